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


# --- Settings → Review routing only takes routes that review as R19 says -------------------


def routing_url():
    from wagtail.models import Site

    return f"/admin/settings/workflow/reviewrouting/{Site.objects.get(is_default_site=True).pk}/"


def post_routing(client, province, national):
    return client.post(
        routing_url(), {"province_workflow": province.pk, "national_workflow": national.pk}
    )


def form_errors(response):
    form = response.context["form"]
    return {name: " ".join(errors) for name, errors in form.errors.items()}


def test_r19_review_routing_refuses_a_route_that_cannot_review(client, people):
    settings = routing()
    two_stage, national_only = settings.province_workflow, settings.national_workflow
    client.force_login(people["superuser"])

    disabled = Workflow.objects.create(name="停用的流程", active=False)
    WorkflowTask.objects.create(workflow=disabled, task=national_only.tasks.get(), sort_order=0)
    errors = form_errors(post_routing(client, two_stage, disabled))
    assert "停用" in errors["national_workflow"]

    # The two routes swapped: no province step on the province route, and a province step
    # that ministries' activities would wait at for good.
    errors = form_errors(post_routing(client, national_only, two_stage))
    assert set(errors) == {"province_workflow", "national_workflow"}

    # A province route whose province step is disabled skips it.
    province_step = ProvinceApprovalTask.objects.get()
    Task.objects.filter(pk=province_step.pk).update(active=False)
    errors = form_errors(post_routing(client, two_stage, national_only))
    assert set(errors) == {"province_workflow"}
    Task.objects.filter(pk=province_step.pk).update(active=True)

    settings.refresh_from_db()
    assert (settings.province_workflow, settings.national_workflow) == (two_stage, national_only)


def test_r19_review_routing_takes_an_equivalent_route(client, people):
    settings = routing()
    copy = Workflow.objects.create(name="省级审核 → 全国审核（新）", active=True)
    for position, task in enumerate(settings.province_workflow.tasks):
        WorkflowTask.objects.create(workflow=copy, task=task, sort_order=position)
    client.force_login(people["superuser"])
    response = post_routing(client, copy, settings.national_workflow)
    assert response.status_code == 302
    settings.refresh_from_db()
    assert settings.province_workflow == copy


# --- Editing a route's workflow or enabling a task keeps the routes as R19 says ------------


def edit_route_data(client, route):
    from tests.html_forms import posted_values

    url = f"/admin/workflows/edit/{route.pk}/"
    return url, posted_values(client.get(url).content.decode(), url)


def test_r19_editing_a_route_cannot_drop_its_province_step(client, people):
    route = routing().province_workflow
    province_step = ProvinceApprovalTask.objects.get()
    client.force_login(people["superuser"])
    url, data = edit_route_data(client, route)
    for key, values in list(data.items()):
        if key.endswith("-task") and values == [str(province_step.pk)]:
            data[key.removesuffix("task") + "DELETE"] = ["1"]
    response = client.post(url, data, follow=True)
    assert "没有保存" in messages_of(response)
    assert "已更新" not in messages_of(response)
    assert [type(task.specific) for task in route.tasks] == [
        ProvinceApprovalTask,
        type(routing().national_workflow.tasks.get().specific),
    ]
    # A Guangdong activity still starts at its province.
    page = factories.activity(owner=people["submitter"])
    state = submit(page, people["submitter"])
    assert isinstance(state.current_task_state.task.specific, ProvinceApprovalTask)


def test_r19_editing_a_route_keeps_what_does_not_break_it(client, people):
    route = routing().province_workflow
    client.force_login(people["superuser"])
    url, data = edit_route_data(client, route)
    data["name"] = ["省级审核 → 全国审核（改名）"]
    response = client.post(url, data)
    assert response.status_code == 302
    route.refresh_from_db()
    assert route.name == "省级审核 → 全国审核（改名）"


def test_r19_enabling_a_spare_step_of_a_route_is_undone(client, people):
    national_route = routing().national_workflow
    spare = Task.objects.create(name="备用步骤", active=False)
    WorkflowTask.objects.create(workflow=national_route, task=spare, sort_order=5)
    client.force_login(people["superuser"])
    response = client.post(f"/admin/workflows/tasks/enable/{spare.pk}/", follow=True)
    assert "没有保存" in messages_of(response)
    spare.refresh_from_db()
    assert not spare.active
    # Outside the routes it is enabled as before.
    WorkflowTask.objects.filter(task=spare).delete()
    client.post(f"/admin/workflows/tasks/enable/{spare.pk}/")
    spare.refresh_from_db()
    assert spare.active


def edit_task_data(client, task):
    from tests.html_forms import posted_values

    url = f"/admin/workflows/tasks/edit/{task.pk}/"
    return url, posted_values(client.get(url).content.decode(), url)


def test_r21_the_national_step_stays_the_national_moderators_alone(client, people):
    """Another group added to the national step let its members publish: a misclick in
    Settings → Workflows → Tasks opened national approval to every submitter."""
    from django.contrib.auth.models import Group

    from accounts import roles
    from workflow.models import NationalApprovalTask

    step = NationalApprovalTask.objects.get()
    client.force_login(people["superuser"])
    url, data = edit_task_data(client, step)
    submitters = Group.objects.get(name=roles.SUBMITTERS)
    data["groups"] = [*data.get("groups", []), str(submitters.pk)]
    response = client.post(url, data, follow=True)
    assert "没有保存" in messages_of(response)
    assert "全国管理员" in messages_of(response)
    assert set(step.groups.values_list("name", flat=True)) == {roles.NATIONAL_MODERATORS}

    # Saved as it is, the step is saved as before (to Wagtail's task list, not refused).
    url, data = edit_task_data(client, step)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] != url


def test_r20_review_routing_refuses_a_province_step_of_another_group(client, people):
    from django.contrib.auth.models import Group

    from accounts import roles

    settings = routing()
    ProvinceApprovalTask.objects.get().groups.set(
        Group.objects.filter(name=roles.NATIONAL_MODERATORS)
    )
    client.force_login(people["superuser"])
    errors = form_errors(
        post_routing(client, settings.province_workflow, settings.national_workflow)
    )
    assert "省级管理员" in errors["province_workflow"]


def test_r21_another_group_on_the_national_step_grants_nothing(client, people):
    """Whatever way a group reaches the step (the shell, an import, the admin before its
    guard), only national moderators review it (ReviewTask.reviewer_groups)."""
    from django.contrib.auth.models import Group
    from wagtail.models import TaskState

    from accounts import roles
    from workflow.models import NationalApprovalTask

    from .conftest import action_url, current_task_state

    step = NationalApprovalTask.objects.get()
    step.groups.add(Group.objects.get(name=roles.SUBMITTERS))
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "approve")
    state = current_task_state(page)
    assert isinstance(state.task.specific, NationalApprovalTask)

    other = factories.submitter(real_name="另一位提交人")
    assert not state.task.specific.user_can_approve(page, other)
    assert other not in state.task.specific.users_to_notify(page)
    assert not TaskState.objects.reviewable_by(other).exists()
    client.force_login(other)
    client.post(action_url(page, "approve", state), {"comment": ""})
    assert current_task_state(page).pk == state.pk
    assert people["national"] in state.task.specific.users_to_notify(page)
