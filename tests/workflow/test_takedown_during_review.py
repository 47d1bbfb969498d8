"""A take-down (下架) stands against a review that began before it (R18, R21): approving
the version submitted earlier no longer lists the activity again within a second, unseen
by the reviewer; the desk marks the activity as taken down; a version submitted after
the take-down, answering its reason, is approved and listed as before."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import translation

from tests import factories
from workflow.models import TakeDown
from workflow.takedown import open_take_down, take_down

from .conftest import IN_WINDOW, current_task_state, submit


def later(hours):
    return time_machine.travel(IN_WINDOW + datetime.timedelta(hours=hours), tick=False)


pytestmark = pytest.mark.django_db


def approve(page, user):
    state = current_task_state(page)
    state.task.specific.on_action(state, user, "approve", comment="")


@pytest.fixture
def re_review(people):
    """A live activity whose correction waits at the national step."""
    page = factories.activity(owner=people["submitter"], publish=True, title="下架测试活动")
    page = page.specific
    page.contact_phone = "020-83549999"
    submit(page, people["submitter"])
    approve(page, people["guangdong"])
    return page


def test_r18_approval_of_a_version_older_than_the_take_down_is_refused(client, people, re_review):
    page = re_review
    with later(1):
        take_down(page, people["superuser"], "海报含违规内容")
    with (
        later(2),
        translation.override("zh-hans"),
        pytest.raises(PermissionDenied) as refused,
    ):
        approve(page, people["national"])
    assert "在提交此版本之后被下架" in str(refused.value)
    assert "海报含违规内容" in str(refused.value)
    page.refresh_from_db()
    assert not page.live and open_take_down(page) is not None

    client.force_login(people["national"])
    desk = client.get("/admin/review/").content.decode()
    title_cell = desk.split(">下架测试活动</a>", 1)[1].split("</td>", 1)[0]
    assert "下架" in title_cell


def test_r18_a_version_submitted_after_the_take_down_lists_it_again(people, re_review):
    page = re_review
    with later(1):
        take_down(page, people["superuser"], "海报含违规内容")
        state = current_task_state(page)
        state.task.specific.on_action(
            state, people["national"], "reject", comment="请更换海报", reasons=["poster"]
        )
    with later(2):
        page.refresh_from_db()
        page = page.specific
        page.save_revision(user=people["submitter"])
        page.current_workflow_state.resume(people["submitter"])
        approve(page, people["national"])
    page.refresh_from_db()
    assert page.live
    assert TakeDown.objects.get(page=page).restored_at is not None
