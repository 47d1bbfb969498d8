"""Two moderators acting on the same review step produce exactly one transition (R20, R25)."""

import threading
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import translation
from wagtail.models import PageLogEntry, TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from workflow.models import NationalApprovalTask, ProvinceApprovalTask, ReviewTask

from .conftest import action_url, current_task_state, submit

IS_POSTGRES = connection.vendor == "postgresql"
ALREADY_DONE = "This review step has already been completed by someone else."


def province_step(people, title="并发审核测试活动", **fields):
    page = factories.activity(owner=people["submitter"], title=title, **fields)
    submit(page, people["submitter"])
    state = current_task_state(page)
    assert isinstance(state.task.specific, ProvinceApprovalTask)
    assert state.status == TaskState.STATUS_IN_PROGRESS
    return ActivityPage.objects.get(pk=page.pk), state


def beijing_province_step(people, title):
    return province_step(
        people,
        title=title,
        province_id="110000",
        city_id=None,
        channel=Organization.objects.get(name="北京市科学技术协会", category="provincial"),
    )


def second_guangdong_moderator():
    return factories.user(
        roles.PROVINCE_MODERATORS,
        province="440000",
        real_name="广东审核员乙",
        email="gd2@example.cn",
    )


def states_of(page):
    workflow = WorkflowState.objects.for_instance(page).get()
    return workflow, list(
        TaskState.objects.filter(workflow_state=workflow)
        .order_by("pk")
        .values_list("task__content_type__model", "status")
    )


def approvals_logged(page):
    return PageLogEntry.objects.filter(page=page, action="wagtail.workflow.approve").count()


# --- real concurrency (PostgreSQL row locks) -----------------------------------------


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL: SQLite has no SELECT … FOR UPDATE row locks and serialises "
    "writers, so two simultaneous approvals cannot be exercised there",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=IS_POSTGRES)
def test_two_moderators_approving_at_once_make_exactly_one_transition(people, monkeypatch):
    page, state = province_step(people)
    moderators = [people["guangdong"], second_guangdong_moderator()]
    mail.outbox.clear()

    # Widen the race: whoever passes the status check holds the row lock for a while before
    # the transition, so without the lock the other would pass the same check.
    checked = []
    original = ReviewTask.user_can_approve

    def slow_user_can_approve(self, page, user, task_state=None):
        checked.append(user.pk)
        time.sleep(0.5)
        return original(self, page, user, task_state)

    monkeypatch.setattr(ReviewTask, "user_can_approve", slow_user_can_approve)

    barrier = threading.Barrier(len(moderators), timeout=20)
    results = {}

    def approve(user):
        try:
            own_state = TaskState.objects.get(pk=state.pk)
            task = own_state.task.specific
            barrier.wait()
            task.on_action(own_state, user, "approve", comment="")
        except PermissionDenied as error:
            with translation.override("en"):
                results[user.pk] = ("refused", str(error))
        except Exception as error:  # reported through the assertion on results below
            results[user.pk] = ("error", repr(error))
        else:
            results[user.pk] = ("approved", "")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    outcomes = sorted(outcome for outcome, _message in results.values())
    assert outcomes == ["approved", "refused"], results
    refused = next(message for outcome, message in results.values() if outcome == "refused")
    assert refused == ALREADY_DONE
    # The loser never got past the locked status check.
    assert len(checked) == 1

    workflow, states = states_of(page)
    assert states == [
        ("provinceapprovaltask", TaskState.STATUS_APPROVED),
        ("nationalapprovaltask", TaskState.STATUS_IN_PROGRESS),
    ]
    assert workflow.status == WorkflowState.STATUS_IN_PROGRESS
    assert isinstance(workflow.current_task_state.task.specific, NationalApprovalTask)
    winner = next(pk for pk, (outcome, _message) in results.items() if outcome == "approved")
    assert TaskState.objects.get(pk=state.pk).finished_by_id == winner
    assert approvals_logged(page) == 1
    assert [message.to for message in mail.outbox] == [["national@example.cn"]]
    assert not ActivityPage.objects.get(pk=page.pk).live


# --- any database -----------------------------------------------------------------------


@pytest.mark.django_db
def test_second_approval_of_a_completed_step_is_refused(client, people):
    page, state = province_step(people)
    other = second_guangdong_moderator()
    stale = TaskState.objects.get(pk=state.pk)  # loaded before the first approval
    state.task.specific.on_action(state, people["guangdong"], "approve", comment="")

    workflow, states = states_of(page)
    expected = [
        ("provinceapprovaltask", TaskState.STATUS_APPROVED),
        ("nationalapprovaltask", TaskState.STATUS_IN_PROGRESS),
    ]
    assert states == expected
    mail.outbox.clear()

    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        stale.task.specific.on_action(stale, other, "approve", comment="")
    with translation.override("en"):
        assert str(refused.value) == ALREADY_DONE
    # The same moderator repeating the click, through the admin (double submit).
    client.force_login(people["guangdong"])
    response = client.post(action_url(page, "approve", stale), {"comment": ""})
    assert response.status_code == 302
    response = client.post(
        action_url(page, "approve", stale), {"comment": ""}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    # The review modal is sent on to the activity, where the refusal is shown (issue #9).
    assert response.status_code == 200
    assert response.json()["step"] == "success"
    shown = client.get(response.json()["redirect"], follow=True).context["messages"]
    with translation.override("zh-hans"):
        assert translation.gettext(ALREADY_DONE) in [str(message) for message in shown]

    assert states_of(page) == (workflow, expected)
    assert TaskState.objects.get(pk=state.pk).finished_by == people["guangdong"]
    assert approvals_logged(page) == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_bulk_request_changes_with_one_comment(client, people):
    """Companion of the test below: the bulk path itself works for the moderator's own
    province, one comment reaching every activity."""
    pages = [province_step(people, title=f"广东批量退回活动{n}") for n in (1, 2)]
    client.force_login(people["guangdong"])
    response = client.post(
        "/admin/review/",
        {
            "task_states": [state.pk for _page, state in pages],
            "action": "reject",
            "reasons": ["details"],
            "comment": "请补充活动对象",
        },
    )
    assert response.status_code == 302
    for _page, state in pages:
        state = TaskState.objects.get(pk=state.pk)
        assert state.status == TaskState.STATUS_REJECTED
        assert state.finished_by == people["guangdong"]
        assert state.comment.endswith("请补充活动对象")
        assert state.workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES


class Precondition(Exception):
    """Set-up went wrong: a real error, not the expected failure of an xfail test."""


@pytest.mark.django_db
def test_bulk_request_changes_skips_another_provinces_activity(client, people):
    guangdong = [province_step(people, title=f"广东批量审核活动{n}") for n in (1, 2)]
    beijing, beijing_state = beijing_province_step(people, "北京批量审核活动")
    if beijing.review_province_id != "110000":
        raise Precondition("the Beijing activity is not routed to Beijing")
    client.force_login(people["guangdong"])
    response = client.post(
        "/admin/review/",
        {
            "task_states": [state.pk for _page, state in guangdong] + [beijing_state.pk],
            "action": "reject",
            "comment": "请补充参与科技工作者",
        },
        follow=True,
    )
    if response.status_code != 200:
        raise Precondition(f"review desk answered {response.status_code}")

    # The Beijing activity is untouched whatever happens.
    beijing_now = TaskState.objects.get(pk=beijing_state.pk)
    if beijing_now.status != TaskState.STATUS_IN_PROGRESS or beijing_now.comment:
        raise Precondition("SECURITY: the Beijing activity was acted on")
    assert WorkflowState.objects.for_instance(beijing).get().status == "in_progress"

    handled = [TaskState.objects.get(pk=state.pk) for _page, state in guangdong]
    assert [state.status for state in handled] == [TaskState.STATUS_REJECTED] * 2
    assert all(state.comment == "请补充参与科技工作者" for state in handled)
    assert "2" in " ".join(str(message) for message in response.context["messages"])


@pytest.mark.django_db
def test_bulk_request_changes_after_a_colleague_handled_one(client, people):
    selected = [province_step(people, title=f"广东并发批量活动{n}") for n in (1, 2, 3)]
    colleague = second_guangdong_moderator()
    # The desk was loaded with all three; meanwhile a colleague approves the first.
    first_page, first_state = selected[0]
    first_state.task.specific.on_action(first_state, colleague, "approve", comment="")
    client.force_login(people["guangdong"])
    response = client.post(
        "/admin/review/",
        {
            "task_states": [state.pk for _page, state in selected],
            "action": "reject",
            "comment": "请补充联系方式",
        },
    )
    if response.status_code not in {200, 302}:
        raise Precondition(f"review desk answered {response.status_code}")

    workflow, states = states_of(first_page)
    if states != [
        ("provinceapprovaltask", TaskState.STATUS_APPROVED),
        ("nationalapprovaltask", TaskState.STATUS_IN_PROGRESS),
    ]:
        raise Precondition(f"SECURITY: the colleague's approval was overturned: {states}")
    rest = [TaskState.objects.get(pk=state.pk).status for _page, state in selected[1:]]
    assert rest == [TaskState.STATUS_REJECTED] * 2
