"""R8: a start or end typed in a form the editor cannot read says which form it takes.
The format was only in the box's placeholder, gone once typing began, and the error was
Django's "输入一个有效的日期/时间。" (an accessibility audit: WCAG 3.3.3)."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from django.utils.translation import gettext, override

from activities.constants import MOMENT_FORMAT_MESSAGE
from tests import factories

from .editor import editor_data
from .test_rules import IN_WINDOW, errors_of, rendered_field_errors

pytestmark = pytest.mark.django_db


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize("name", ["start_at", "end_at"])
def test_r8_an_unreadable_moment_names_the_format_and_keeps_what_was_typed(
    client, submitter, add_url, name
):
    start = timezone.now() + datetime.timedelta(days=20)
    data = editor_data(
        factories.poster(submitter), factories.channel(), action=None, start_at=start
    )
    data[name] = "2027/1/20 9点"
    response = client.post(add_url, data)
    assert response.status_code == 200
    with override("zh-hans"):
        message = gettext(MOMENT_FORMAT_MESSAGE)
    assert "2026-09-20 09:00" in message and "格式" in message
    assert errors_of(response)[name] == [message]
    assert message in rendered_field_errors(response, name)
    assert 'value="2027/1/20 9点"' in response.content.decode()
