"""A change to users that leaves a province without an active province moderator warns
the administrator who made it (R2, R20, R24): the province's review tasks then reach only
superusers' desks, and its new submissions mail nobody. Who may act is unchanged."""

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import WARNING, get_messages

from accounts import roles
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from tests.html_forms import posted_values
from workflow.models import ProvinceApprovalTask

pytestmark = pytest.mark.django_db

# Inside the default campaign window, so submissions are open.
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
GUANGDONG, BEIJING = "440000", "110000"


@pytest.fixture(autouse=True)
def campaign_open():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


@pytest.fixture
def guangdong():
    return factories.user(roles.PROVINCE_MODERATORS, province=GUANGDONG, real_name="广东审核员")


@pytest.fixture
def submitter():
    return factories.submitter(real_name="提交人")


def submitted(submitter, title, **fields):
    page = factories.activity(owner=submitter, title=title, **fields)
    page.save_revision(user=submitter)
    page.get_workflow().start(page, submitter)
    return ActivityPage.objects.get(pk=page.pk)


def beijing_channel():
    return Organization.objects.get(name="北京市科学技术协会", category="provincial")


@pytest.fixture
def waiting(submitter, guangdong):
    """Two Guangdong activities at the province step, one past it (national step), and a
    Beijing one at its own province step: only the first two wait for Guangdong."""
    pages = [submitted(submitter, f"广东活动{n}") for n in (1, 2)]
    past = submitted(submitter, "广东活动已过省级")
    state = past.current_workflow_state.current_task_state
    state.task.specific.on_action(state, guangdong, "approve", comment="")
    factories.user(roles.PROVINCE_MODERATORS, province=BEIJING, real_name="北京审核员")
    submitted(submitter, "北京活动", province_id=BEIJING, city_id=None, channel=beijing_channel())
    return pages


def edit_url(user):
    return f"/admin/users/edit/{user.pk}/"


def save_user(client, user, **changes):
    response = client.get(edit_url(user))
    data = posted_values(response.content.decode(), edit_url(user))
    data.update(changes)
    response = client.post(edit_url(user), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return warnings(response)


def warnings(response):
    return [str(m.message) for m in get_messages(response.wsgi_request) if m.level == WARNING]


def only_warning_names(text, province, count):
    assert province in text
    assert re.findall(r"\d+", text) == ([str(count)] if count else [])
    return True


def test_r20_moving_the_last_moderator_away_names_the_province_and_its_waiting_activities(
    admin_client, guangdong, waiting
):
    [warning] = save_user(admin_client, guangdong, province=[BEIJING])
    assert only_warning_names(warning, "广东省", 2)
    # Who may act is as before: the tasks are only on superusers' desks now.
    task = ProvinceApprovalTask.objects.get()
    assert not task.users_to_notify(waiting[0]).exists()


def test_r20_deactivating_the_last_moderator_warns(admin_client, guangdong, waiting):
    [warning] = save_user(admin_client, guangdong, is_active=[])
    assert only_warning_names(warning, "广东省", 2)


def test_r20_taking_the_role_away_from_the_last_moderator_warns(admin_client, guangdong, waiting):
    [warning] = save_user(admin_client, guangdong, groups=[], province=[""])
    assert only_warning_names(warning, "广东省", 2)


def test_r20_deleting_the_last_moderator_warns(admin_client, guangdong, waiting):
    response = admin_client.post(f"/admin/users/delete/{guangdong.pk}/")
    assert response.status_code == 302
    [warning] = warnings(response)
    assert only_warning_names(warning, "广东省", 2)


def test_r20_a_province_with_nothing_waiting_still_warns_for_its_next_submissions(
    admin_client, guangdong
):
    [warning] = save_user(admin_client, guangdong, province=[BEIJING])
    assert only_warning_names(warning, "广东省", 0)


def test_r20_no_warning_while_another_active_moderator_covers_the_province(
    admin_client, guangdong, waiting
):
    factories.user(roles.PROVINCE_MODERATORS, province=GUANGDONG, real_name="广东审核员乙")
    assert save_user(admin_client, guangdong, province=[BEIJING]) == []


def test_r20_an_inactive_colleague_covers_nothing(admin_client, guangdong, waiting):
    factories.user(
        roles.PROVINCE_MODERATORS, province=GUANGDONG, real_name="已停用", is_active=False
    )
    [warning] = save_user(admin_client, guangdong, province=[BEIJING])
    assert only_warning_names(warning, "广东省", 2)


def test_r20_other_edits_of_the_last_moderator_do_not_warn(admin_client, guangdong, waiting):
    assert save_user(admin_client, guangdong, email=["gd@example.cn"]) == []


def test_r20_a_province_that_had_no_moderator_is_not_blamed_on_this_change(admin_client, waiting):
    """Someone who never moderated (a submitter) changes nothing about coverage."""
    person = factories.submitter(real_name="别人")
    assert save_user(admin_client, person, email=["x@example.cn"], is_active=[]) == []


def test_r20_deactivating_the_last_moderator_in_bulk_warns(admin_client, guangdong, waiting):
    url = f"/admin/bulk/accounts/user/set_active_state/?id={guangdong.pk}&next=/admin/users/"
    response = admin_client.post(url, {"mark_as_active": "False"})
    assert response.status_code == 302
    guangdong.refresh_from_db()
    assert not guangdong.is_active
    [warning] = warnings(response)
    assert only_warning_names(warning, "广东省", 2)


def test_r20_a_bulk_change_that_keeps_a_moderator_does_not_warn(admin_client, guangdong, waiting):
    other = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="广东二")
    url = f"/admin/bulk/accounts/user/set_active_state/?id={other.pk}&next=/admin/users/"
    response = admin_client.post(url, {"mark_as_active": "False"})
    assert response.status_code == 302
    assert warnings(response) == []
