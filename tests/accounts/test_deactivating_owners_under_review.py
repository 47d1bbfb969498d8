"""Deactivating a unit's account while its activities are under review (R2, R22, R24;
audit of the administrator's journeys, finding 3). The review's result is mailed to active
users only, and only the owner corrects what is sent back: deactivated, the unit heard
nothing and its activity stayed sent back for good, while nobody had been told. The
administrator who deactivates it is told how many of its activities are under review,
and the review desk marks the submitter as deactivated."""

import re

import pytest

from accounts import roles
from activities.models import ActivityPage
from tests import factories

from .test_province_moderator_coverage import (  # noqa: F401 - campaign_open is autouse
    campaign_open,
    edit_url,
    save_user,
    warnings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    person = factories.user(roles.ADMINISTRATORS, real_name="平台管理员")
    client.force_login(person)
    return person


@pytest.fixture
def unit():
    """A unit with two activities under review, one saved but never submitted and one
    whose review it withdrew: only the first two are under review."""
    owner = factories.submitter(real_name="某区科协", email="unit@example.cn")
    factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核员")
    for number in (1, 2):
        submitted(owner, f"审核中的活动{number}")
    factories.activity(owner=owner, title="未提交的活动")
    withdrawn = submitted(owner, "撤回的活动")
    withdrawn.current_workflow_state.cancel(user=owner)
    return owner


def submitted(owner, title):
    page = factories.activity(owner=owner, title=title)
    page.save_revision(user=owner)
    page.get_workflow().start(page, owner)
    return ActivityPage.objects.get(pk=page.pk)


def names(text, person, count):
    return person.real_name in text and re.findall(r"\d+", text) == [str(count)]


def test_deactivating_in_the_user_editor_names_the_activities_under_review(client, admin, unit):
    [warning] = save_user(client, unit, is_active=[])
    unit.refresh_from_db()
    assert not unit.is_active
    assert names(warning, unit, 2)


def test_deactivating_in_bulk_names_them_too(client, admin, unit):
    other = factories.submitter(real_name="别的单位")
    url = (
        f"/admin/bulk/accounts/user/set_active_state/?id={unit.pk}&id={other.pk}&next=/admin/users/"
    )
    response = client.post(url, {"mark_as_active": "False"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert not unit.is_active
    [warning] = warnings(response)
    assert names(warning, unit, 2)


def test_no_warning_without_activities_under_review(client, admin):
    person = factories.submitter(real_name="无活动单位")
    factories.activity(owner=person, title="草稿")
    assert save_user(client, person, is_active=[]) == []


def test_no_warning_for_other_edits_nor_for_reactivating(client, admin, unit):
    assert save_user(client, unit, email=["unit2@example.cn"]) == []
    unit.is_active = False
    unit.save()
    assert save_user(client, unit, is_active=["on"]) == []
    url = f"/admin/bulk/accounts/user/set_active_state/?id={unit.pk}&next=/admin/users/"
    response = client.post(url, {"mark_as_active": "True"})
    assert response.status_code == 302 and warnings(response) == []


def test_the_review_desk_marks_a_deactivated_submitter(client, unit):
    root = factories.user(None, real_name="超级管理员", is_superuser=True, is_staff=True)
    client.force_login(root)
    marker = "data-submitter-deactivated"
    assert marker not in client.get("/admin/review/").content.decode()
    unit.is_active = False
    unit.save()
    html = client.get("/admin/review/").content.decode()
    assert html.count(marker) == 2
