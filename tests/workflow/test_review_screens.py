"""The review screens work for the people who use them (R16, R20, R22, R26): after a
decision in the editor a province moderator lands where they may be, the desk's date
filter has its calendar, and wide lists can be scrolled on a phone."""

import json

import pytest
from bs4 import BeautifulSoup

from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db

NO_PERMISSION = "没有权限"


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_r20_a_decision_in_the_editor_returns_a_province_moderator_to_the_desk(
    client, people, action
):
    """Wagtail went back to the activity index's explorer, which province moderators may
    not open: the dashboard showed "approved" beside "you do not have permission"."""
    page = factories.activity(owner=people["submitter"], title="在编辑器里审核的活动")
    submit(page, people["submitter"])
    client.force_login(people["guangdong"])
    form = open_editor(client, page)
    form.update({"action-workflow-action": "1", "workflow-action-name": action})
    form["workflow-action-extra-data"] = json.dumps({"comment": "请补充地点"})
    response = client.post(EDIT_URL.format(pk=page.pk), form, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/review/"
    assert response.status_code == 200
    text = messages_of(response)
    assert NO_PERMISSION not in text and "在编辑器里审核的活动" in text
    state = current_task_state(page)
    expected = {"approve": ("national", "in_progress"), "reject": ("province", "rejected")}
    assert (state.task.specific.review_stage, state.status) == expected[action]


def test_r20_the_desks_date_filter_loads_its_calendar(client, people):
    client.force_login(people["national"])
    html = client.get("/admin/review/").content.decode()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one('input[name="started_at_from"]')
    scripts = [tag.get("src", "") for tag in soup.select("script[src]")]
    assert any("date-time-chooser" in src for src in scripts), scripts


def test_r26_wide_lists_scroll_within_the_page(client, people):
    """The admin's content column hides what overflows: on a phone the edit, preview and
    supplementary-information buttons of 我的活动 could not be reached."""
    factories.activity(owner=people["submitter"], title="手机上的我的活动")
    client.force_login(people["submitter"])
    soup = BeautifulSoup(client.get("/admin/my-activities/").content.decode(), "html.parser")
    assert soup.select_one(".w-overflow-x-auto table")
    page = factories.activity(owner=people["submitter"], title="手机上的审核台")
    submit(page, people["submitter"])
    for role, url in (("guangdong", "/admin/review/"), ("national", "/admin/all-activities/")):
        client.force_login(people[role])
        soup = BeautifulSoup(client.get(url).content.decode(), "html.parser")
        assert soup.select_one(".w-overflow-x-auto table"), url


def test_r8_the_editor_shows_the_format_to_type_a_time_in(client, people):
    """On a phone the pop-up calendar is partly off screen; typing is the way in."""
    page = factories.activity(owner=people["submitter"], title="手机上填写时间")
    client.force_login(people["submitter"])
    soup = BeautifulSoup(client.get(EDIT_URL.format(pk=page.pk)).content.decode(), "html.parser")
    for name in ("start_at", "end_at"):
        assert soup.select_one(f'input[name="{name}"]')["placeholder"] == "2026-09-20 09:00"
