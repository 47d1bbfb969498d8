"""Issue 5: an activity goes through province and national review in the real admin and
becomes public; a moderator of another province never sees it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import TaskState, WorkflowState

from accounts import roles
from organizations.models import Organization
from tests import factories

from .conftest import E2E_DB, login, logout

TITLE = "广州青少年机器人科普体验日"


def awaiting_review(page):
    """Rows of the dashboard's "awaiting your review" panel that name the activity."""
    return page.locator("#awaiting-review-content tr", has_text=TITLE)


def current_task(activity):
    state = WorkflowState.objects.for_instance(activity).get(
        status=WorkflowState.STATUS_IN_PROGRESS
    )
    return state.current_task_state


@pytest.mark.browser
@E2E_DB
def test_province_then_national_approval_publishes_the_activity(
    page, live_server, campaign_window, artifacts
):
    base = live_server.url
    submitter = factories.submitter(
        real_name="王老师", organization=Organization.objects.get(name="广州市科学技术协会")
    )
    guangdong = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核员")
    beijing = factories.user(roles.PROVINCE_MODERATORS, province="110000", real_name="北京审核员")
    national = factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核员")
    activity = factories.activity(
        owner=submitter, title=TITLE, start_at=timezone.now() + datetime.timedelta(days=30)
    )
    assert activity.channel.name == "广东省科学技术协会"

    # The submitter submits the draft with the editor's own submit button.
    login(page, base, submitter.phone)
    page.goto(f"{base}/admin/pages/{activity.pk}/edit/")
    page.locator("footer button[name=action-submit]").click()  # the first button (R23)
    expect(page.locator(".messages .success")).to_contain_text(TITLE)
    page.screenshot(path=artifacts / "review-submitted.png")
    assert current_task(activity).task.name == "省级审核"

    # A Beijing moderator sees it nowhere while it waits for the province stage: not on the
    # dashboard, not on the review desk, not in the admin search, not in the editor.
    logout(page)
    login(page, base, beijing.phone)
    page.goto(f"{base}/admin/")
    expect(page.locator("#awaiting-review-content")).to_have_count(0)
    expect(page.get_by_text(TITLE)).to_have_count(0)
    page.goto(f"{base}/admin/review/")
    expect(page.get_by_role("heading", name="审核工作台")).to_be_visible()
    expect(page.get_by_text(TITLE)).to_have_count(0)
    page.screenshot(path=artifacts / "review-beijing-desk.png")
    page.goto(f"{base}/admin/pages/search/?q=机器人")
    expect(page.get_by_text(TITLE)).to_have_count(0)
    page.goto(f"{base}/admin/pages/{activity.pk}/edit/")
    expect(page.locator(".messages .error")).to_be_visible()
    assert f"/pages/{activity.pk}/" not in page.url
    expect(page.get_by_text(TITLE)).to_have_count(0)
    page.screenshot(path=artifacts / "review-beijing-edit-refused.png")

    # The Guangdong moderator finds it on the dashboard and approves it there.
    logout(page)
    login(page, base, guangdong.phone)
    page.goto(f"{base}/admin/")
    row = awaiting_review(page)
    expect(row).to_have_count(1)
    page.screenshot(path=artifacts / "review-guangdong-dashboard.png")
    row.get_by_role("button", name="操作").click()
    row.get_by_role("button", name="通过", exact=True).click()
    expect(awaiting_review(page)).to_have_count(0)
    province_state = TaskState.objects.get(
        workflow_state__object_id=str(activity.pk), task__name="省级审核"
    )
    assert province_state.status == TaskState.STATUS_APPROVED
    assert province_state.finished_by == guangdong
    assert current_task(activity).task.name == "全国审核"

    # The national moderator approves with a comment in the edit page's confirm modal.
    logout(page)
    login(page, base, national.phone)
    page.goto(f"{base}/admin/")
    expect(awaiting_review(page)).to_have_count(1)
    page.goto(f"{base}/admin/pages/{activity.pk}/edit/")
    page.locator("footer .w-dropdown__toggle").first.click()
    page.locator(
        "button[data-workflow-action-name=approve][data-workflow-action-modal-url]"
    ).click()
    modal = page.locator(".modal-dialog")
    expect(modal).to_be_visible()
    modal.locator("#id_comment").fill("内容完整，同意发布。")
    page.screenshot(path=artifacts / "review-national-modal.png")
    modal.locator("form button[type=submit]").click()
    expect(page.locator(".messages .success")).to_contain_text(TITLE)
    page.screenshot(path=artifacts / "review-national-approved.png")

    activity.refresh_from_db()
    assert activity.live
    workflow_state = WorkflowState.objects.for_instance(activity).get()
    assert workflow_state.status == WorkflowState.STATUS_APPROVED
    national_state = workflow_state.task_states.get(task__name="全国审核")
    assert (national_state.finished_by, national_state.comment) == (
        national,
        "内容完整，同意发布。",
    )

    # Anyone can now open the public page.
    logout(page)
    response = page.goto(f"{base}{activity.relative_url(activity.get_site())}")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.screenshot(path=artifacts / "review-public-page.png", full_page=True)
