"""An activity reaches the public site only through review and leaves it only by a take-down
(R18-R22, R24, R27): Wagtail's own publish, unpublish and delete controls are closed on
activities, a resubmission takes the route its channel calls for, and a step stays with the
province it was routed to."""

import pytest
from django.core import mail
from wagtail.models import Page, TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from tests.activities.editor import ADD_URL, EDIT_URL, editor_data
from workflow.models import NationalApprovalTask, ProvinceApprovalTask, TakeDown
from workflow.takedown import restore, take_down

from .conftest import action_url, current_task_state, submit

pytestmark = pytest.mark.django_db

PUBLISHERS = ("national", "administrator", "superuser")


@pytest.fixture
def team(people):
    return {**people, "administrator": factories.user(roles.ADMINISTRATORS)}


def fresh(page):
    return ActivityPage.objects.get(pk=page.pk)


def beijing_channel():
    return Organization.objects.get(name="北京市科学技术协会", category="provincial")


def reject(page, user, comment="请换成正确的归口单位"):
    state = current_task_state(page)
    state.task.specific.on_action(state, user, "reject", comment=comment)


def approve(page, user):
    state = current_task_state(page)
    state.task.specific.on_action(state, user, "approve", comment="")


# --- Wagtail's publication controls ------------------------------------------------------


@pytest.mark.parametrize("role", PUBLISHERS)
def test_the_editor_offers_no_publish_and_a_forged_publish_only_saves(client, team, role):
    """R19-R21: without review, not even a national moderator or a superuser publishes."""
    draft = factories.activity(owner=team["submitter"], title="未提交的草稿活动")
    client.force_login(team[role])
    editor = client.get(EDIT_URL.format(pk=draft.pk)).content.decode()
    assert 'name="action-publish"' not in editor
    data = editor_data(draft.poster, factories.channel(), "action-publish", title="直接发布的尝试")
    client.post(EDIT_URL.format(pk=draft.pk), data)
    page = fresh(draft)
    assert not page.live
    assert page.get_latest_revision_as_object().title == "直接发布的尝试"
    assert client.get(page.url).status_code == 404 or not page.url


@pytest.mark.parametrize("role", ("administrator", "superuser"))
def test_a_new_activity_is_not_published_from_the_create_view(client, team, role):
    """National moderators create nothing (no "add" on the index); those who can create
    cannot publish what they create."""
    client.force_login(team[role])
    add_url = ADD_URL.format(index=factories.index().pk)
    assert 'name="action-publish"' not in client.get(add_url).content.decode()
    poster = factories.poster(team[role])
    client.post(add_url, editor_data(poster, factories.channel(), "action-publish"))
    created = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert not created.live


@pytest.mark.parametrize("role", PUBLISHERS)
def test_bulk_publish_skips_activities(client, team, role):
    draft = factories.activity(owner=team["submitter"])
    client.force_login(team[role])
    client.post(f"/admin/bulk/wagtailcore/page/publish/?id={draft.pk}", {})
    assert not fresh(draft).live


def test_a_copy_is_never_published(client, team):
    """Copy-and-publish is refused with Wagtail's message; a plain copy is a draft."""
    live = factories.activity(owner=team["submitter"], publish=True, title="被复制的活动")
    client.force_login(team["superuser"])
    data = {
        "new_title": "复制出的活动",
        "new_slug": "copied-activity",
        "new_parent_page": factories.index().pk,
        "copy_subpages": "",
        "alias": "",
    }
    response = client.post(f"/admin/pages/{live.pk}/copy/", {**data, "publish_copies": "on"})
    assert response.status_code == 200
    assert "new_parent_page" in response.context["form"].errors
    assert not ActivityPage.objects.filter(title="复制出的活动").exists()

    response = client.post(f"/admin/pages/{live.pk}/copy/", data)
    assert response.status_code == 302
    copy = ActivityPage.objects.get(title="复制出的活动")
    assert not copy.live


@pytest.mark.parametrize("role", ("national", "administrator"))
def test_unpublish_and_delete_are_closed_take_down_is_the_way(client, team, role):
    """R18: off the public site only with a reason, by a national moderator."""
    live = factories.activity(owner=team["submitter"], publish=True, title="公开中的活动")
    client.force_login(team[role])
    client.post(f"/admin/pages/{live.pk}/unpublish/", {})
    client.post(f"/admin/bulk/wagtailcore/page/unpublish/?id={live.pk}", {})
    client.post(f"/admin/pages/{live.pk}/delete/", {})
    client.post(f"/admin/bulk/wagtailcore/page/delete/?id={live.pk}", {})
    assert fresh(live).live
    assert not TakeDown.objects.exists()

    take_down(fresh(live), team["national"], "含商业推广内容")
    assert not fresh(live).live
    assert TakeDown.objects.get(page=live).reason == "含商业推广内容"


def test_the_last_approval_still_publishes(team):
    page = factories.activity(owner=team["submitter"], title="两级审核通过的活动")
    submit(page, team["submitter"])
    approve(page, team["guangdong"])
    approve(page, team["national"])
    assert fresh(page).live


def test_put_back_is_refused_while_the_activity_is_under_review_again(team):
    """Publishing the taken-down version would cancel the owner's new review silently."""
    page = factories.activity(owner=team["submitter"], publish=True, title="下架后修改的活动")
    take_down(fresh(page), team["national"], "时间不清楚")
    submit(fresh(page), team["submitter"])
    with pytest.raises(ValueError, match="under review|正在重新审核"):
        restore(fresh(page), team["national"])
    state = fresh(page).current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not fresh(page).live


# --- the route of a resubmission -----------------------------------------------------------


def resubmit(client, page, user, channel):
    client.force_login(user)
    data = editor_data(fresh(page).poster, channel, "action-submit")
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_rejected_nationally_then_moved_to_another_province_starts_at_its_province(client, team):
    """R19/R20: Guangdong approved, the national team asked for the right channel; Beijing's
    association is named: Beijing reviews it, Guangdong no longer can."""
    page = factories.activity(owner=team["submitter"])
    submit(page, team["submitter"])
    approve(page, team["guangdong"])
    reject(page, team["national"])
    first = fresh(page).current_workflow_state
    resubmit(client, page, team["submitter"], beijing_channel())

    state = current_task_state(page)
    assert isinstance(state.task.specific, ProvinceApprovalTask)
    assert state.workflow_state_id != first.pk
    assert WorkflowState.objects.get(pk=first.pk).status == WorkflowState.STATUS_CANCELLED
    task = state.task.specific
    assert task.get_actions(fresh(page), team["guangdong"]) == []
    assert "approve" in [name for name, *_ in task.get_actions(fresh(page), team["beijing"])]
    client.force_login(team["guangdong"])
    client.post(action_url(page, "approve", state), {"comment": ""})
    assert TaskState.objects.get(pk=state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_rejected_by_its_province_then_given_a_ministry_goes_national_only(client, team):
    page = factories.activity(owner=team["submitter"])
    submit(page, team["submitter"])
    reject(page, team["guangdong"])
    ministry = Organization.objects.certified().filter(category="ministry").first()
    resubmit(client, page, team["submitter"], ministry)
    state = current_task_state(page)
    assert isinstance(state.task.specific, NationalApprovalTask)
    assert state.workflow_state.workflow.tasks.count() == 1
    approve(page, team["national"])
    assert fresh(page).live


def test_a_national_society_given_a_provincial_channel_starts_at_the_province(client, team):
    society = Organization.objects.get(name="中国化学会")
    page = factories.activity(
        owner=team["submitter"], channel_category="national_society", channel=society
    )
    submit(page, team["submitter"])
    reject(page, team["national"])
    resubmit(client, page, team["submitter"], factories.channel())
    state = current_task_state(page)
    assert isinstance(state.task.specific, ProvinceApprovalTask)
    assert TaskState.objects.reviewable_by(team["guangdong"]).filter(pk=state.pk).exists()


def test_the_same_route_resumes_at_the_stage_that_asked_for_changes(client, team):
    """R22 unchanged: same channel, the national stage reviews it again."""
    page = factories.activity(owner=team["submitter"])
    submit(page, team["submitter"])
    approve(page, team["guangdong"])
    reject(page, team["national"], "请补充联系人")
    first = fresh(page).current_workflow_state
    resubmit(client, page, team["submitter"], factories.channel())
    state = current_task_state(page)
    assert state.workflow_state_id == first.pk
    assert isinstance(state.task.specific, NationalApprovalTask)


# --- a step stays with the province it was routed to -------------------------------------------


def test_the_channel_cannot_change_during_review(client, team):
    """R20: the Guangdong moderator cannot hand the step to Beijing by editing the channel;
    the editor says why and keeps what was typed."""
    page = factories.activity(owner=team["submitter"])
    submit(page, team["submitter"])
    state = current_task_state(page)
    client.force_login(team["guangdong"])
    data = editor_data(fresh(page).poster, beijing_channel(), "", title="审核中改名的活动")
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "审核中改名的活动" in html
    assert "channel" in html and ("review" in html or "审核" in html)
    latest = fresh(page).get_latest_revision_as_object()
    assert latest.channel == factories.channel()
    task = state.task.specific
    assert task.get_actions(latest, team["beijing"]) == []
    assert "approve" in [name for name, *_ in task.get_actions(latest, team["guangdong"])]


def test_a_rereview_with_a_new_province_notifies_that_province(team):
    """R24: a live Guangdong activity resubmitted with Beijing's association: Beijing's
    moderators are told, Guangdong's are not."""
    page = factories.activity(owner=team["submitter"], publish=True, title="改为北京归口的活动")
    page = fresh(page)
    page.channel = beijing_channel()
    page.province_id = "110000"
    page.city_id = None
    mail.outbox.clear()
    submit(page, team["submitter"])
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["bj@example.cn"]
    state = current_task_state(page)
    assert TaskState.objects.reviewable_by(team["beijing"]).filter(pk=state.pk).exists()
    assert not TaskState.objects.reviewable_by(team["guangdong"]).filter(pk=state.pk).exists()
    assert Page.objects.get(pk=page.pk).live


# --- forged ids in the review desk's URLs and forms -------------------------------------------


def test_impossible_ids_are_not_found_or_ignored(client, team):
    page = factories.activity(owner=team["submitter"])
    submit(page, team["submitter"])
    state = current_task_state(page)
    client.force_login(team["national"])
    for page_id in ("99999999999999999999", "2147483648"):
        assert client.get(f"/admin/review/take-down/{page_id}/").status_code == 404
        assert client.post(f"/admin/review/restore/{page_id}/").status_code == 404
    client.force_login(team["guangdong"])
    response = client.post(
        "/admin/review/",
        {"task_states": ["99999999999999999999", state.pk], "action": "approve"},
    )
    assert response.status_code in {200, 302}
    assert TaskState.objects.get(pk=state.pk).status == TaskState.STATUS_APPROVED
