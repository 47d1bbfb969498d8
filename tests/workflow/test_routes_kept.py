"""R19: the workflows review routing uses, and their steps, cannot be disabled from
Wagtail's settings while they are routes: that cancelled every review in progress and left
new activities with no review, or skipped province review for all. The route is changed
first (Settings → Review routing); then the old workflow can be disabled as usual."""

import pytest
from wagtail.models import Task, Workflow, WorkflowState, WorkflowTask

from tests import factories
from workflow.models import ProvinceApprovalTask, ReviewRouting

from .conftest import submit

pytestmark = pytest.mark.django_db


def routing():
    return ReviewRouting.objects.get()


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


@pytest.mark.parametrize("method", ["get", "post"])
def test_r19_the_routed_workflow_is_not_disabled(client, people, method):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    route = routing().province_workflow
    client.force_login(people["superuser"])
    response = getattr(client, method)(f"/admin/workflows/disable/{route.pk}/", follow=True)
    assert response.status_code == 200
    assert "审核流程设置" in messages_of(response)
    assert "1 个活动" in messages_of(response)
    route.refresh_from_db()
    assert route.active
    assert WorkflowState.objects.get(object_id=str(page.pk)).status == "in_progress"


@pytest.mark.parametrize("method", ["get", "post"])
def test_r19_a_step_of_a_route_is_not_disabled(client, people, method):
    step = ProvinceApprovalTask.objects.get()
    client.force_login(people["superuser"])
    response = getattr(client, method)(f"/admin/workflows/tasks/disable/{step.pk}/", follow=True)
    assert response.status_code == 200
    assert "省级审核" in messages_of(response)
    step.refresh_from_db()
    assert step.active


def test_r19_once_the_route_changes_the_old_workflow_can_be_disabled(client, people):
    settings = routing()
    old = settings.province_workflow
    replacement = Workflow.objects.create(name="新的省级流程", active=True)
    for position, task in enumerate(Task.objects.filter(workflow_tasks__workflow=old)):
        WorkflowTask.objects.create(workflow=replacement, task=task, sort_order=position)
    client.force_login(people["superuser"])

    assert client.get(f"/admin/workflows/disable/{old.pk}/").status_code == 302  # refused
    settings.province_workflow = replacement
    settings.save()
    confirm = client.get(f"/admin/workflows/disable/{old.pk}/")
    assert confirm.status_code == 200  # Wagtail's own confirmation, with its warning
    response = client.post(f"/admin/workflows/disable/{old.pk}/")
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.active


def test_r19_an_unrouted_task_is_disabled_as_before(client, people):
    spare = Task.objects.create(name="备用步骤", active=True)
    client.force_login(people["superuser"])
    client.post(f"/admin/workflows/tasks/disable/{spare.pk}/")
    spare.refresh_from_db()
    assert not spare.active


def test_r19_others_still_meet_wagtails_permission_check(client, people):
    route = routing().province_workflow
    client.force_login(people["guangdong"])
    response = client.post(f"/admin/workflows/disable/{route.pk}/")
    assert response.status_code in (302, 403)
    assert "审核流程设置" not in response.content.decode()
    route.refresh_from_db()
    assert route.active
