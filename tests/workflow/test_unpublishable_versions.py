"""A version that can no longer be published is refused at review with a message, never a
500 (R4, R10, R18, R20-R22). The library's administrators may uncertify or recategorise an
organization while activities naming it as their channel wait for review; publishing such
a version raised Page.save()'s ValidationError inside the moderator's approval."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from wagtail.models import TaskState

from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from tests.activities.editor import EDIT_URL, open_editor
from workflow.models import NotPublishable
from workflow.takedown import restore, take_down

from .conftest import action_url, current_task_state, submit

pytestmark = pytest.mark.django_db

UNCERTIFIED = "只有经过认证的组织才能作为归口单位。"


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


def waiting_at_national_step(people):
    page = factories.activity(
        owner=people["submitter"],
        title="部委归口的科普活动",
        channel_category="ministry",
        channel=Organization.objects.filter(
            category="ministry", status=Organization.Status.CERTIFIED
        ).first(),
    )
    submit(page, people["submitter"])
    return ActivityPage.objects.get(pk=page.pk)


def uncertify(page):
    Organization.objects.filter(pk=page.channel_id).update(status=Organization.Status.REJECTED)


def test_r4_approval_of_a_channel_uncertified_since_submission_is_a_message(client, people):
    page = waiting_at_national_step(people)
    state = current_task_state(page)
    uncertify(page)
    client.force_login(people["national"])
    response = client.post(action_url(page, "approve", state), {"comment": ""}, follow=True)
    assert response.status_code == 200
    text = messages_of(response)
    assert "不能通过" in text and UNCERTIFIED in text and "退回修改" in text
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS
    assert not ActivityPage.objects.get(pk=page.pk).live

    # The way out the message names works: changes are requested, and once the channel is
    # certified again the resubmission is approved and published.
    response = client.post(
        action_url(page, "reject", state), {"comment": "请更换归口单位"}, follow=True
    )
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_REJECTED
    Organization.objects.filter(pk=page.channel_id).update(status=Organization.Status.CERTIFIED)
    page = ActivityPage.objects.get(pk=page.pk)
    page.save_revision(user=people["submitter"])
    page.current_workflow_state.resume(people["submitter"])
    state = current_task_state(page)
    client.post(action_url(page, "approve", state), {"comment": ""})
    assert ActivityPage.objects.get(pk=page.pk).live


def test_r10_province_step_refuses_a_recategorised_channel_in_bulk_and_in_the_editor(
    client, people
):
    """Refused at the province step too: the national step could never publish it."""
    page = factories.activity(owner=people["submitter"], title="归口单位被改类别的活动")
    submit(page, people["submitter"])
    state = current_task_state(page)
    Organization.objects.filter(pk=page.channel_id).update(category="society")
    client.force_login(people["guangdong"])

    response = client.post(
        "/admin/review/",
        {"task_states": [state.pk], "action": "approve", "comment": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "不能通过" in messages_of(response)
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS

    with translation.override("zh-hans"), pytest.raises(NotPublishable) as refused:
        state.task.specific.on_action(state, people["guangdong"], "approve", comment="")
    assert "不属于所选类别" in str(refused.value)


def test_r20_the_editor_approve_button_says_why_too(client, people):
    page = waiting_at_national_step(people)
    uncertify(page)
    client.force_login(people["national"])
    form = open_editor(client, page)
    form["action-workflow-action"] = "1"
    form["workflow-action-name"] = "approve"
    form["workflow-action-extra-data"] = "{}"
    response = client.post(EDIT_URL.format(pk=page.pk), form, follow=True)
    assert response.status_code == 200
    assert UNCERTIFIED in messages_of(response)
    assert current_task_state(page).status == TaskState.STATUS_IN_PROGRESS


def test_r18_put_back_of_a_version_whose_channel_was_uncertified_is_refused(client, people):
    page = factories.activity(owner=people["submitter"], publish=True, title="下架后渠道失效")
    take_down(page, people["national"], "核实中")
    uncertify(page)
    with pytest.raises(ValueError, match=UNCERTIFIED):
        restore(ActivityPage.objects.get(pk=page.pk), people["national"])

    client.force_login(people["national"])
    response = client.post(f"/admin/review/restore/{page.pk}/", follow=True)
    assert response.status_code == 200
    assert UNCERTIFIED in messages_of(response)
    page = ActivityPage.objects.get(pk=page.pk)
    assert not page.live
    assert page.take_downs.get().restored_at is None


# --- what a saved version points at may be deleted (R12, R20-R22) ------------------------


def test_r22_a_poster_deleted_while_its_version_awaits_review_is_asked_for_again(client, people):
    """PROTECT guards only the live row: the submitter could delete the image their new
    version uses. Reading that version raised in modelcluster, and the editor, the preview
    and both review actions answered 500 with the review stuck."""
    page = factories.activity(owner=people["submitter"], publish=True, title="换了海报的活动")
    new_poster = factories.poster(people["submitter"], title="新海报")
    page.poster = new_poster
    submit(page, people["submitter"])
    client.force_login(people["submitter"])
    response = client.post(f"/admin/images/{new_poster.pk}/delete/")
    assert response.status_code == 302
    state = current_task_state(page)

    client.force_login(people["guangdong"])
    assert client.get(EDIT_URL.format(pk=page.pk)).status_code == 200
    assert (
        client.get(f"/admin/pages/workflow/preview/{page.pk}/{state.task_id}/").status_code == 200
    )
    response = client.post(action_url(page, "approve", state), {"comment": ""}, follow=True)
    assert "不能通过" in messages_of(response) and "宣传图" in messages_of(response)
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS
    client.post(action_url(page, "reject", state), {"comment": "请重新上传海报"})
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_REJECTED

    # The submitter's editor opens, asks for a poster, and the live page keeps its own.
    client.force_login(people["submitter"])
    response = client.get(EDIT_URL.format(pk=page.pk))
    assert response.status_code == 200
    assert response.context["form"].initial.get("poster") is None
    assert ActivityPage.objects.get(pk=page.pk).poster_id == page.live_revision.content["poster"]


def test_r20_taking_down_during_a_re_review_keeps_its_province(people):
    """A take-down saves the live row, whose channel is the live version's; that save
    handed the province step of a re-review routed to Beijing back to Guangdong."""
    page = factories.activity(owner=people["submitter"], publish=True, title="改归口单位再审")
    page = ActivityPage.objects.get(pk=page.pk)
    page.channel = factories.channel("北京市科学技术协会")
    submit(page, people["submitter"])
    assert ActivityPage.objects.get(pk=page.pk).review_province_id == "110000"

    take_down(ActivityPage.objects.get(pk=page.pk), people["national"], "群众投诉，核实中")

    page = ActivityPage.objects.get(pk=page.pk)
    assert page.review_province_id == "110000"
    state = current_task_state(page)
    task = state.task.specific
    assert task.user_can_review(page, people["beijing"])
    assert not task.user_can_review(page, people["guangdong"])
    with pytest.raises(PermissionDenied):
        task.on_action(state, people["guangdong"], "approve", comment="")
    task.on_action(state, people["beijing"], "approve", comment="")
