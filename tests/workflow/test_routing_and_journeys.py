"""Routing by channel (R19) and full review journeys (R20–R23, R16, R18)."""

import pytest
from django.core import mail
from wagtail.models import TaskState, WorkflowState

from activities.models import ActivityPage
from activities.states import ReviewState
from organizations.models import Organization
from tests import factories
from workflow.models import NationalApprovalTask, ProvinceApprovalTask
from workflow.takedown import restore, take_down

from .conftest import action_url, current_task_state, submit

pytestmark = pytest.mark.django_db

CHANNELS = {
    "provincial": ("广东省科学技术协会", ProvinceApprovalTask),
    "municipal": ("广州市科学技术协会", ProvinceApprovalTask),
    "county": (None, ProvinceApprovalTask),
    "ministry": ("教育部", NationalApprovalTask),
    "national_society": ("中国化学会", NationalApprovalTask),
}


@pytest.mark.parametrize("category", list(CHANNELS))
def test_route_table(people, category):
    """R19: each channel category gets its workflow and first task."""
    name, first_task = CHANNELS[category]
    if name is None:
        org = Organization.objects.create(
            name=f"测试{category}",
            category=category,
            province_id="440000",
            city_id="440100" if category == "county" else None,
            county_id="440106" if category == "county" else None,
            status="certified",
        )
    else:
        org = Organization.objects.get(name=name, category=category)
    page = factories.activity(owner=people["submitter"], channel_category=category, channel=org)
    workflow = page.get_workflow()
    assert page.has_workflow is True
    two_stage = category in {"provincial", "municipal", "county"}
    assert workflow.tasks.count() == (2 if two_stage else 1)
    submit(page, people["submitter"])
    assert isinstance(current_task_state(page).task.specific, first_task)


def test_changing_the_channel_of_a_draft_changes_its_route(people):
    page = factories.activity(owner=people["submitter"])
    assert page.get_workflow().tasks.count() == 2
    page.channel_category = "national_society"
    page.channel = Organization.objects.get(name="中国化学会")
    assert page.get_workflow().tasks.count() == 1


def test_province_then_national_then_public(client, people):
    page = factories.activity(owner=people["submitter"], title="省市科协两级审核活动")
    submit(page, people["submitter"])
    assert ActivityPage.objects.get(pk=page.pk).review_state == ReviewState.PROVINCE_REVIEWING

    client.force_login(people["guangdong"])
    task_state = current_task_state(page)
    response = client.post(action_url(page, "approve", task_state), {"comment": ""})
    assert response.status_code in {200, 302}
    assert ActivityPage.objects.get(pk=page.pk).review_state == ReviewState.NATIONAL_REVIEWING
    assert not ActivityPage.objects.get(pk=page.pk).live

    client.force_login(people["national"])
    client.post(action_url(page, "approve", current_task_state(page)), {"comment": "很好"})
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.live
    assert page.review_state == ReviewState.APPROVED
    client.logout()
    assert client.get(page.url).status_code == 200


def test_province_rejects_then_resubmission_returns_to_province(client, people):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    client.force_login(people["guangdong"])
    response = client.post(
        action_url(page, "reject", current_task_state(page)),
        {"reasons": ["poster"], "comment": "请补充主办单位"},
    )
    assert response.status_code in {200, 302}
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.review_state == ReviewState.PROVINCE_REJECTED
    assert "请补充主办单位" in page.review_comment
    assert "宣传图" in page.review_comment

    client.force_login(people["submitter"])
    center = client.get("/admin/my-activities/").content.decode()
    assert "请补充主办单位" in center and "省管理员审批拒绝" in center
    edit = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert "请补充主办单位" in edit

    # Resubmitting resumes the workflow at the task that rejected it.
    page.current_workflow_state.resume(people["submitter"])
    state = current_task_state(page)
    assert isinstance(state.task.specific, ProvinceApprovalTask)
    assert ActivityPage.objects.get(pk=page.pk).review_state == ReviewState.PROVINCE_REVIEWING


def test_reject_requires_a_comment(client, people):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    client.force_login(people["guangdong"])
    client.post(action_url(page, "reject", current_task_state(page)), {"comment": ""})
    assert current_task_state(page).status == TaskState.STATUS_IN_PROGRESS


def test_national_rejects_and_returns_to_national(client, people):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    task = current_task_state(page)
    task.task.specific.on_action(task, people["guangdong"], "approve", comment="")
    task = current_task_state(page)
    task.task.specific.on_action(task, people["national"], "reject", comment="时间不清楚")
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.review_state == ReviewState.NATIONAL_REJECTED
    page.current_workflow_state.resume(people["submitter"])
    assert isinstance(current_task_state(page).task.specific, NationalApprovalTask)


def test_editing_a_live_activity_rereviews_while_old_version_stays_public(client, people):
    page = factories.activity(owner=people["submitter"], publish=True, title="旧标题活动")
    page = ActivityPage.objects.get(pk=page.pk)
    page.title = "新标题活动"
    submit(page, people["submitter"])
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.review_state == ReviewState.PROVINCE_REVIEWING
    assert page.live and page.title == "旧标题活动"
    response = client.get(page.url)
    assert response.status_code == 200 and "旧标题活动" in response.content.decode()

    task = current_task_state(page)
    task.task.specific.on_action(task, people["guangdong"], "approve", comment="")
    task = current_task_state(page)
    task.task.specific.on_action(task, people["national"], "approve", comment="")
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.title == "新标题活动"


def test_take_down_and_put_back(client, people):
    page = factories.activity(owner=people["submitter"], publish=True)
    page = ActivityPage.objects.get(pk=page.pk)
    url = page.url
    assert client.get(url).status_code == 200
    mail.outbox.clear()
    take_down(page, people["national"], "含商业推广内容")
    page = ActivityPage.objects.get(pk=page.pk)
    assert not page.live
    assert page.listing_state == "taken_down"
    assert client.get(url).status_code == 404
    assert [m.to for m in mail.outbox] == [["submitter@example.cn"]]
    assert "含商业推广内容" in mail.outbox[0].body

    restore(page, people["national"])
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.live and page.listing_state == "on"
    assert client.get(url).status_code == 200


def test_take_down_needs_a_reason_and_a_national_moderator(people):
    page = ActivityPage.objects.get(
        pk=factories.activity(owner=people["submitter"], publish=True).pk
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(ValueError):
        take_down(page, people["national"], "  ")
    for role in ("submitter", "guangdong"):
        with pytest.raises(PermissionDenied):
            take_down(page, people[role], "原因")
    assert ActivityPage.objects.get(pk=page.pk).live


def test_notifications_reach_exactly_the_right_people(people):
    page = factories.activity(owner=people["submitter"])
    mail.outbox.clear()
    submit(page, people["submitter"])
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["gd@example.cn"]

    mail.outbox.clear()
    task = current_task_state(page)
    task.task.specific.on_action(task, people["guangdong"], "approve", comment="")
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["national@example.cn"]

    mail.outbox.clear()
    task = current_task_state(page)
    task.task.specific.on_action(task, people["national"], "reject", comment="请补充联系人")
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["submitter@example.cn"]
    assert "请补充联系人" in mail.outbox[0].body


def test_audit_log_records_each_step(people):
    from wagtail.models import PageLogEntry

    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    task = current_task_state(page)
    task.task.specific.on_action(task, people["guangdong"], "reject", comment="补充")
    actions = list(
        PageLogEntry.objects.filter(page=page).order_by("timestamp").values_list("action", "user")
    )
    assert ("wagtail.workflow.start", people["submitter"].pk) in actions
    assert ("wagtail.workflow.reject", people["guangdong"].pk) in actions
    entry = PageLogEntry.objects.get(page=page, action="wagtail.workflow.reject")
    assert entry.data["comment"] == "补充"


def test_workflow_state_is_single_after_resubmit(people):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    assert WorkflowState.objects.for_instance(page).filter(status="in_progress").count() == 1
