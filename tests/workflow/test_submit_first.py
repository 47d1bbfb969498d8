"""The guide's clerk fills the form and presses the button at the bottom, which files the
activity (R23, R26): for a submitter the editor's first button submits for review; saving
only a draft says that nothing was submitted, and 我的活动 flags a live activity whose
correction was saved but never submitted. A reviewer at their step keeps Wagtail's
order."""

import re

import pytest
from django.contrib.messages import get_messages

from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db


def first_button(client, page):
    """The name of the footer's default (first, visible) button."""
    response = client.get(EDIT_URL.format(pk=page.pk))
    assert response.status_code == 200
    footer = response.content.decode().split('<footer class="footer', 1)[1]
    first = re.search(r"<button\b[^>]*>", footer).group(0)
    name = re.search(r'name="([^"]+)"', first)
    return name.group(1) if name else ("save" if "action-save" in first else first)


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_r23_a_submitters_first_button_submits(client, people):
    page = factories.activity(owner=people["submitter"])
    client.force_login(people["submitter"])
    assert first_button(client, page) == "action-submit"


def test_r23_the_first_button_submits_a_live_activitys_correction(client, people):
    page = factories.activity(owner=people["submitter"], publish=True)
    client.force_login(people["submitter"])
    assert first_button(client, page) == "action-submit"


def test_r23_a_reviewer_at_their_step_keeps_wagtails_order(client, people):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    client.force_login(people["guangdong"])
    assert first_button(client, page) == "save"  # Wagtail's order; approve is a click away


def test_r26_saving_a_draft_says_it_was_not_submitted(client, people):
    page = factories.activity(owner=people["submitter"])
    client.force_login(people["submitter"])
    data = open_editor(client, page)
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 302
    assert "已保存为草稿，尚未提交审核。填写完成后请提交审核。" in texts(response)


def test_r23_saving_a_live_activitys_correction_warns_and_is_flagged(client, people):
    page = factories.activity(owner=people["submitter"], publish=True, title="已上线活动")
    client.force_login(people["submitter"])
    data = open_editor(client, page)
    data["contact_phone"] = ["020-83549999"]
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 302
    [warning] = [text for text in texts(response) if "尚未提交" in text]
    assert "网站上仍显示已通过审核的版本" in warning
    listing = client.get("/admin/my-activities/").content.decode()
    assert "已通过，修改未提交" in listing


def test_r23_submitting_gives_no_reminder(client, people):
    page = factories.activity(owner=people["submitter"], publish=True)
    client.force_login(people["submitter"])
    data = open_editor(client, page)
    data["action-submit"] = ["1"]
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 302
    assert current_task_state(page) is not None
    assert not [text for text in texts(response) if "尚未提交" in text], texts(response)
    listing = client.get("/admin/my-activities/").content.decode()
    assert "修改未提交" not in listing


def test_r18_r26_a_taken_down_activity_is_approved_with_its_reason_not_unsubmitted(client, people):
    """Found by a moderator's audit: Wagtail's unpublish marks a taken-down activity as
    having unpublished changes, so 我的活动 and 全部活动 told the submitter of a correction
    they never made, and the reason showed only in the editor. A correction saved after
    the take-down is still flagged."""
    from workflow.takedown import take_down

    page = factories.activity(owner=people["submitter"], title="被下架的活动")
    submit(page, people["submitter"])
    for reviewer in (people["guangdong"], people["national"]):
        state = current_task_state(page)
        state.task.specific.on_action(state, reviewer, "approve", comment="")
    page.refresh_from_db()
    assert page.live
    take_down(page, people["national"], "海报内容与活动不符")

    def row(user, url, **params):
        client.force_login(user)
        html = client.get(url, params).content.decode()
        [cells] = re.findall(
            r"<tr[^>]*>(?:(?!</tr>).)*被下架的活动(?:(?!</tr>).)*</tr>", html, re.S
        )
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells))

    mine = row(people["submitter"], "/admin/my-activities/")
    assert "已通过" in mine and "修改未提交" not in mine
    assert "下架原因：海报内容与活动不符" in mine and "下架" in mine
    everything = row(people["national"], "/admin/all-activities/", q="被下架的活动")
    assert "已通过" in everything and "修改未提交" not in everything

    client.force_login(people["submitter"])
    data = open_editor(client, page)
    data["contact_phone"] = ["020-83549999"]
    assert client.post(EDIT_URL.format(pk=page.pk), data).status_code == 302
    assert "已通过，修改未提交" in row(people["submitter"], "/admin/my-activities/")
