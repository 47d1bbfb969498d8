"""Review against the clock (R8, R23, R24, R32), found by a clock audit: the submission
mail gave a live activity's old start and channel instead of those under review; the desk
did not say an activity had begun (approving it stays allowed: a slow review must not drop
an activity from the statistics); a unit saving a correction of an activity under way was
told to submit it, which is refused."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages

from activities.models import ActivityPage
from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

from .conftest import IN_WINDOW, current_task_state, mails_to, submit
from .test_desk_reviewed_version import desk, rereviewed, row_of  # noqa: F401

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_r24_the_submission_mail_gives_the_version_under_review(people, rereviewed):  # noqa: F811
    [message] = mails_to(people["beijing"])
    assert "北京市科学技术协会" in message.body and "广东省科学技术协会" not in message.body
    assert "2026-09-27 14:30" in message.body and "2026-09-20" not in message.body


def approve(page, user):
    state = current_task_state(page)
    state.task.specific.on_action(state, user, "approve", comment="")


@pytest.fixture
def tomorrows(people):
    page = factories.activity(
        owner=people["submitter"],
        title="明天的讲座",
        start_at=IN_WINDOW + DAY,
        end_at=IN_WINDOW + DAY + datetime.timedelta(hours=3),
    )
    submit(page, people["submitter"])
    return page


def test_r8_the_desk_says_an_activity_has_ended(client, people, tomorrows):
    with time_machine.travel(IN_WINDOW + 3 * DAY, tick=False):
        row = row_of(desk(client, people["guangdong"]), "明天的讲座")
    assert "data-activity-ended" in row and "已结束" in row
    assert "data-activity-started" not in row


def test_r32_an_activity_that_ended_waiting_for_review_can_still_be_approved(people, tomorrows):
    """Not refused: the unit submitted in time; a slow review must not drop it from the
    statistics and the nominations, which count approved activities only (R32, R33)."""
    with time_machine.travel(IN_WINDOW + 3 * DAY, tick=False):
        approve(tomorrows, people["guangdong"])
        approve(tomorrows, people["national"])
    assert ActivityPage.objects.get(pk=tomorrows.pk).live


def test_r8_one_under_way_is_approved_and_the_desk_says_it_began(client, people, tomorrows):
    html = desk(client, people["guangdong"])
    assert "data-activity-started" not in row_of(html, "明天的讲座")
    with time_machine.travel(IN_WINDOW + DAY + datetime.timedelta(hours=1), tick=False):
        row = row_of(desk(client, people["guangdong"]), "明天的讲座")
        assert "data-activity-started" in row and "已开始" in row
        approve(tomorrows, people["guangdong"])
        approve(tomorrows, people["national"])
    assert ActivityPage.objects.get(pk=tomorrows.pk).live


def test_r23_a_live_correction_is_approved_after_the_end(people):
    page = factories.activity(
        owner=people["submitter"],
        publish=True,
        start_at=IN_WINDOW + DAY,
        end_at=IN_WINDOW + DAY + datetime.timedelta(hours=3),
    )
    submit(page, people["submitter"])
    with time_machine.travel(IN_WINDOW + 3 * DAY, tick=False):
        approve(page, people["guangdong"])
        approve(page, people["national"])
    assert current_task_state(page) is None


def test_r8_saving_a_correction_under_way_does_not_ask_to_submit_it(client, people):
    page = factories.activity(
        owner=people["submitter"],
        publish=True,
        start_at=IN_WINDOW + DAY,
        end_at=IN_WINDOW + 5 * DAY,
    )

    def save_draft():
        client.force_login(people["submitter"])  # sessions expire over days
        data = open_editor(client, page)
        data["contact_phone"] = ["020-87654321"]
        response = client.post(EDIT_URL.format(pk=page.pk), data)
        assert response.status_code == 302
        return [str(m) for m in get_messages(response.wsgi_request)]

    said = " ".join(save_draft())
    assert "请提交审核" in said and "活动已经开始" not in said
    with time_machine.travel(IN_WINDOW + 2 * DAY, tick=False):
        said = " ".join(save_draft())
    assert "活动已经开始，修改不能再提交审核" in said and "请提交审核" not in said
