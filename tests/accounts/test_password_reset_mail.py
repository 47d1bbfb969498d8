"""The password reset mail (R1, R34): its subject was Wagtail's "Password reset", translated
"密码已重置。" ("the password has been reset"), before anything was reset: a reader could take
it for a notice that someone else had changed the password, or ignore it. It now asks the
reader to reset it, on one line, and the body still carries the link."""

import re

import pytest
from django.core import mail
from django.utils.translation import gettext, override

from tests import factories

pytestmark = pytest.mark.django_db


def test_reset_mail_subject_asks_to_reset_the_password_in_chinese_r34(client):
    factories.submitter(email="reset@example.cn")
    response = client.post("/admin/password_reset/", {"email": "reset@example.cn"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["reset@example.cn"]
    with override("zh-hans"):
        expected = gettext("Reset your password")
    assert message.subject == expected
    assert "已重置" not in message.subject
    assert "\n" not in message.subject and "\r" not in message.subject
    assert re.search(r"https?://[^/\s]+/admin/password_reset/confirm/\S+/", message.body)


def test_reset_mail_subject_in_english(client, settings):
    settings.LANGUAGE_CODE = "en"
    factories.submitter(email="reset@example.cn")
    client.post("/admin/password_reset/", {"email": "reset@example.cn"})
    [message] = mail.outbox
    assert message.subject == "Reset your password"
    assert "/admin/password_reset/confirm/" in message.body
