"""What the public sees is what review approved, and review ends only by a reviewer's
decision the submitter hears of (R18, R20-R25): no rewritten approved version, no put-back of
a version nobody reviewed, no silent withdrawal by a reviewer, no lock outliving its step, no
stale or forged review action turned into a save or a 500."""

import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from wagtail.actions.delete_page import DeletePageAction
from wagtail.models import Page, Revision, TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityPage
from tests import factories
from tests.activities.editor import EDIT_URL, open_editor
from workflow.models import TakeDown
from workflow.takedown import restore, take_down

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db


def fresh(page):
    return ActivityPage.objects.get(pk=page.pk)


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


def post_editor(client, page, action=None, **changes):
    form = open_editor(client, page)
    form.update(changes)
    if action:
        form[action] = "1"
    return client.post(EDIT_URL.format(pk=page.pk), form)


def live_activity(people, title="已通过的科普活动"):
    return factories.activity(owner=people["submitter"], publish=True, title=title)


def at_province_step(people, title="等待省级审核的活动"):
    page = factories.activity(owner=people["submitter"], title=title)
    submit(page, people["submitter"])
    return fresh(page)


def reject(page, moderator, comment="请补充活动地点"):
    state = current_task_state(page)
    state.task.specific.on_action(state, moderator, "reject", comment=comment)


# --- the approved version stays the approved version (R18, R23, R25, R27) ----------------


def test_r23_the_editor_never_rewrites_the_live_revision_in_place(client, people):
    """Autosave's overwrite_revision_id, posted by hand, rewrote the approved revision with
    text nobody reviewed; a take-down and put-back then published it."""
    page = live_activity(people)
    live_revision = page.live_revision
    approved_title = page.title
    client.force_login(people["submitter"])
    post_editor(
        client,
        page,
        title="未审核的标题",
        overwrite_revision_id=str(live_revision.pk),
    )
    live_revision.refresh_from_db()
    assert live_revision.content["title"] == approved_title
    assert fresh(page).get_latest_revision().pk != live_revision.pk
    assert fresh(page).get_latest_revision().content["title"] == "未审核的标题"

    take_down(fresh(page), people["national"], "核实中")
    restore(fresh(page), people["national"])
    page = fresh(page)
    assert page.live and page.title == approved_title
    assert client.get(page.url).status_code == 200


def test_r18_put_back_never_publishes_the_latest_draft(people):
    """When the listed version is gone (Wagtail's purge_revisions deletes it), putting the
    activity back published the latest revision, a draft nobody reviewed."""
    page = live_activity(people)
    take_down(fresh(page), people["national"], "核实中")
    draft = fresh(page)
    draft.title = "下架期间保存的草稿"
    draft.save_revision(user=people["submitter"])

    call_command("purge_revisions", days=0, verbosity=0)
    assert TakeDown.objects.get(page=page).revision is None
    with pytest.raises(ValueError):
        restore(fresh(page), people["national"])
    page = fresh(page)
    assert not page.live
    assert TakeDown.objects.get(page=page).restored_at is None


def test_an_activity_taken_down_can_still_be_deleted(people):
    page = live_activity(people)
    take_down(fresh(page), people["national"], "重复发布")
    DeletePageAction(Page.objects.get(pk=page.pk), user=people["superuser"]).execute()
    assert not Page.objects.filter(pk=page.pk).exists()
    assert not TakeDown.objects.filter(page_id=page.pk).exists()


def test_r18_r22_put_back_is_refused_while_a_new_version_waits_for_changes(client, people):
    """Publishing the old version cancelled the submitter's review without a word; the
    success message named the draft's title."""
    page = live_activity(people, title="原来的标题")
    take_down(fresh(page), people["national"], "核实中")
    edited = fresh(page)
    edited.title = "修改后的标题"
    edited.save_revision(user=people["submitter"])
    edited.get_workflow().start(edited, people["submitter"])
    reject(edited, people["guangdong"])

    with pytest.raises(ValueError):
        restore(fresh(page), people["national"])
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not fresh(page).live

    client.force_login(people["national"])
    response = client.post(f"/admin/review/restore/{page.pk}/", follow=True)
    assert "退回修改" in messages_of(response)
    assert not fresh(page).live


def test_r18_the_put_back_message_and_mail_name_the_version_put_back(client, people):
    page = live_activity(people, title="原来的标题")
    take_down(fresh(page), people["national"], "核实中")
    draft = fresh(page)
    draft.title = "下架期间的草稿标题"
    draft.save_revision(user=people["submitter"])
    mail.outbox.clear()
    client.force_login(people["national"])
    response = client.post(f"/admin/review/restore/{page.pk}/", follow=True)
    assert "原来的标题" in messages_of(response)
    assert "下架期间的草稿标题" not in messages_of(response)
    (message,) = mail.outbox
    assert "原来的标题" in message.subject + message.body
    assert "下架期间的草稿标题" not in message.subject + message.body


# --- only the submitter withdraws (R22, R24) ---------------------------------------------


@pytest.mark.parametrize("action", ["action-cancel-workflow", "action-restart-workflow"])
def test_r22_a_reviewer_cannot_withdraw_a_submission(client, people, action):
    page = at_province_step(people)
    client.force_login(people["guangdong"])
    editor = client.get(EDIT_URL.format(pk=page.pk)).content.decode()
    assert 'name="action-cancel-workflow"' not in editor
    assert 'name="action-restart-workflow"' not in editor

    response = post_editor(client, page, action)
    assert response.status_code == 200
    assert "请求修改" in messages_of(response) or "退回" in messages_of(response)
    assert current_task_state(page).status == TaskState.STATUS_IN_PROGRESS


def test_r22_the_submitter_can_still_withdraw(client, people):
    page = at_province_step(people)
    client.force_login(people["submitter"])
    editor = client.get(EDIT_URL.format(pk=page.pk)).content.decode()
    assert 'name="action-cancel-workflow"' in editor
    post_editor(client, page, "action-cancel-workflow")
    assert fresh(page).current_workflow_state is None


@pytest.mark.parametrize("action", ["action-cancel-workflow", "action-restart-workflow"])
@pytest.mark.parametrize("ended_by", ["approval", "withdrawal in another tab"])
def test_r22_a_withdrawal_after_the_review_ended_says_so_and_keeps_the_form(
    client, people, action, ended_by
):
    """The editor was opened while the review ran; by the time the submitter withdraws,
    the last step approved it (or another tab withdrew it). Wagtail then "cancelled" the
    finished review: "you do not have permission", and what was typed was lost."""
    page = at_province_step(people)
    client.force_login(people["submitter"])
    form = open_editor(client, page)
    if ended_by == "approval":
        for moderator in ("guangdong", "national"):
            state = current_task_state(page)
            state.task.specific.on_action(state, people[moderator], "approve")
        expected = "已通过"
    else:
        post_editor(client, page, "action-cancel-workflow")
        expected = "已经撤回"
    revisions = fresh(page).revisions.count()

    form.update({action: "1", "title": "撤回时改过的标题"})
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 200
    assert expected in messages_of(response)
    assert "撤回时改过的标题" in response.content.decode()
    assert fresh(page).revisions.count() == revisions
    assert fresh(page).current_workflow_state is None


# --- locks ---------------------------------------------------------------------------------


def test_r22_a_reviewer_cannot_lock_and_a_lock_ends_with_the_step(client, people):
    page = at_province_step(people)
    client.force_login(people["guangdong"])
    client.post(f"/admin/pages/{page.pk}/lock/")
    assert not fresh(page).locked

    # A lock taken before this rule is released by the review decision.
    Page.objects.filter(pk=page.pk).update(locked=True, locked_by=people["guangdong"])
    reject(fresh(page), people["guangdong"])
    assert not fresh(page).locked

    client.force_login(people["submitter"])
    response = post_editor(client, fresh(page), "action-submit", title="补充地点后重新提交")
    assert response.status_code == 302
    assert current_task_state(page).status == TaskState.STATUS_IN_PROGRESS


# --- the editor's review action (R20, R21, issue #9) ---------------------------------------


def test_a_stale_approve_in_the_editor_saves_nothing(client, people):
    """The loser of a race to approve got a success message and an unreviewed draft of
    their own on the live activity."""
    page = at_province_step(people)
    client.force_login(people["guangdong"])
    form = open_editor(client, page)
    state = current_task_state(page)
    colleague = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="另一审核员")
    state.task.specific.on_action(state, colleague, "approve", comment="")
    revisions = Revision.objects.filter(object_id=str(page.pk)).count()

    form.update({"action-workflow-action": "1", "workflow-action-name": "approve"})
    form["highlights"] = "审核员补充的亮点"
    response = client.post(EDIT_URL.format(pk=page.pk), form, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/review/"
    assert "不再等待" in messages_of(response)
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions


def test_a_stale_approve_at_the_national_step_keeps_what_was_typed(client, people):
    """A second national moderator may still open the live activity, so the form comes
    back with their text and nothing saved, not a success message over a stray draft."""
    page = factories.activity(
        owner=people["submitter"],
        title="部委渠道的活动",
        channel_category="ministry",
        channel=factories.channel("科学技术部", "ministry"),
    )
    submit(page, people["submitter"])
    page = fresh(page)
    colleague = factories.user(roles.NATIONAL_MODERATORS, real_name="另一全国审核员")
    client.force_login(people["national"])
    form = open_editor(client, page)
    state = current_task_state(page)
    state.task.specific.on_action(state, colleague, "approve", comment="")
    revisions = Revision.objects.filter(object_id=str(page.pk)).count()

    form.update({"action-workflow-action": "1", "workflow-action-name": "approve"})
    form["highlights"] = "审核员补充的亮点"
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 200
    assert "审核员补充的亮点" in response.content.decode()
    assert "不再等待" in messages_of(response)
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions
    assert not fresh(page).has_unpublished_changes


def test_approving_untouched_seeded_rich_text_from_the_editor_approves(client, people):
    """Draftail adds block keys to rich text it did not write; that counted as the
    moderator's edit, saved in their name, and then refused their approval for good."""
    page = factories.activity(
        owner=people["submitter"], title="导入的活动", details="<p>没有块标识的详情</p>"
    )
    submit(page, people["submitter"])
    page = fresh(page)
    client.force_login(people["guangdong"])
    form = open_editor(client, page)
    assert "data-block-key" not in page.details
    form.update({"action-workflow-action": "1", "workflow-action-name": "approve"})
    form["workflow-action-extra-data"] = json.dumps({"comment": "同意"})
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 302
    assert not Revision.objects.filter(object_id=str(page.pk), user=people["guangdong"]).exists()
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.current_task_state.task.specific.review_stage == "national"


@pytest.mark.parametrize(
    "action,extra",
    [
        ("approve", "not json"),
        ("reject", "not json"),
        ("reject", "[1, 2]"),
        ("reject", json.dumps({"comment": "太长" * 1001})),
        ("reject", json.dumps({"comment": "  "})),
        ("reject", json.dumps({"comment": "改", "reasons": "poster"})),
    ],
)
def test_forged_review_data_from_the_editor_is_refused_not_a_500(client, people, action, extra):
    page = at_province_step(people)
    client.force_login(people["guangdong"])
    form = open_editor(client, page)
    form.update({"action-workflow-action": "1", "workflow-action-name": action})
    form["workflow-action-extra-data"] = extra
    response = client.post(EDIT_URL.format(pk=page.pk), form, follow=True)
    assert response.status_code == 200
    assert current_task_state(page).status == TaskState.STATUS_IN_PROGRESS
    assert messages_of(response)


def test_a_numeric_comment_is_taken_as_text(people):
    page = at_province_step(people)
    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "reject", comment=5)
    assert TaskState.objects.get(pk=state.pk).get_comment() == "5"


# --- notifications (R24) --------------------------------------------------------------------


def test_r24_the_owner_hears_of_a_rejection_when_an_administrator_submitted(people):
    page = factories.activity(owner=people["submitter"], title="管理员代为提交的活动")
    submit(page, people["superuser"])
    mail.outbox.clear()
    reject(fresh(page), people["guangdong"])
    recipients = {address for message in mail.outbox for address in message.to}
    assert people["submitter"].email in recipients
    assert people["superuser"].email in recipients


def test_r24_the_owner_hears_of_the_approval(people):
    page = factories.activity(
        owner=people["submitter"],
        title="部委渠道的活动",
        channel_category="ministry",
        channel=factories.channel("科学技术部", "ministry"),
    )
    submit(page, people["superuser"])
    mail.outbox.clear()
    state = current_task_state(page)
    state.task.specific.on_action(state, people["national"], "approve", comment="")
    recipients = {address for message in mail.outbox for address in message.to}
    assert people["submitter"].email in recipients


# --- the workflow status reads in Chinese (R34) ----------------------------------------------


def test_r34_relative_times_in_the_editor_are_chinese():
    import datetime

    from django.contrib.humanize.templatetags.humanize import naturaltime
    from django.utils import timezone

    with translation.override("zh-hans"):
        text = naturaltime(timezone.now() - datetime.timedelta(minutes=8))
    assert "minutes" not in text and "分钟" in text


def test_r14_a_draft_without_a_host_unit_cannot_start_review_by_any_path(people):
    """A draft may now be saved before its host unit is known; a review started outside
    the editor (whose host rows are checked by their formset) refuses it too."""
    from activities.models import HostUnit

    page = factories.activity(owner=people["submitter"], title="没有主办单位的草稿")
    HostUnit.objects.filter(page=page).delete()
    assert "请至少添加一个主办单位。" in [
        str(message) for message in page.submission_errors().get("__all__", [])
    ]
