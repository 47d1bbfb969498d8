"""A province moderator can stop the review mails (R24): Wagtail offers the switch only to
users who may publish pages, which a province moderator, reviewing through their step,
may not; they were mailed every submission of their province with no way to stop it."""

import pytest

from tests import factories
from tests.accounts.test_user_admin import form_data

from .conftest import mails_to, submit

pytestmark = pytest.mark.django_db

ACCOUNT = "/admin/account/"
SUBMITTED = "notifications-submitted_notifications"


def account_form(client):
    return form_data(client.get(ACCOUNT).content.decode(), "form[method=post]")


def test_r24_a_province_moderator_sees_the_switches_for_reviewing(client, people):
    client.force_login(people["guangdong"])
    data = account_form(client)
    assert data[SUBMITTED] == "on"
    assert "有活动等待您审核时接收邮件" in client.get(ACCOUNT).content.decode()
    assert "notifications-updated_comments_notifications" in data
    # Outcome mails go to an activity's owner: a moderator gets no switch for them.
    assert "notifications-approved_notifications" not in data


def test_r24_a_province_moderator_who_turns_it_off_gets_no_submission_mail(client, people):
    client.force_login(people["guangdong"])
    data = account_form(client)
    del data[SUBMITTED]  # an unticked checkbox is not sent
    assert client.post(ACCOUNT, data).status_code == 302
    people["guangdong"].wagtail_userprofile.refresh_from_db()
    assert people["guangdong"].wagtail_userprofile.submitted_notifications is False

    submit(factories.activity(owner=people["submitter"]), people["submitter"])
    assert mails_to(people["guangdong"]) == []


def test_r24_a_submitter_has_no_submission_switch(client, people):
    client.force_login(people["submitter"])
    data = account_form(client)
    assert SUBMITTED not in data
    assert "notifications-approved_notifications" in data
