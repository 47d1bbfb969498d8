"""The user editor's 组织 (R3, R4): the library's certified organizations, and the one the
user already has. It offered pending and rejected onboarding requests too."""

import pytest
from bs4 import BeautifulSoup

from accounts import roles
from organizations.models import Organization
from tests import factories
from tests.html_forms import posted_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_client(client):
    client.force_login(factories.user(roles.ADMINISTRATORS, real_name="平台管理员"))
    return client


@pytest.fixture
def requests_():
    pending = Organization.objects.create(name="某待审科技馆", category="other")
    rejected = Organization.objects.create(
        name="某被拒科技馆", category="other", status="rejected", rejection_reason="查无此馆"
    )
    return pending, rejected


def edit_url(user):
    return f"/admin/users/edit/{user.pk}/"


def offered(response):
    select = BeautifulSoup(response.content, "html.parser").select_one("select[name=organization]")
    return {option["value"] for option in select.select("option") if option["value"]}


def test_the_select_offers_certified_organizations_only(platform_client, requests_):
    user = factories.submitter()
    certified = {str(pk) for pk in Organization.objects.certified().values_list("pk", flat=True)}
    for url in (edit_url(user), "/admin/users/new/"):
        response = platform_client.get(url)
        assert response.status_code == 200
        assert offered(response) == certified, url


def test_a_pending_organization_cannot_be_given(platform_client, requests_):
    user = factories.submitter()
    for organization in requests_:
        form = posted_values(platform_client.get(edit_url(user)).content.decode(), edit_url(user))
        form["organization"] = [str(organization.pk)]
        response = platform_client.post(edit_url(user), form)
        assert response.status_code == 200
        errors = response.context["form"].errors.as_data()["organization"]
        assert [error.code for error in errors] == ["invalid_choice"]
        user.refresh_from_db()
        assert user.organization_id is None


def test_the_users_own_pending_organization_stays(platform_client, requests_):
    pending, rejected = requests_
    user = factories.submitter(organization=pending)
    response = platform_client.get(edit_url(user))
    assert str(pending.pk) in offered(response)
    assert str(rejected.pk) not in offered(response)
    form = posted_values(response.content.decode(), edit_url(user))
    assert form["organization"] == [str(pending.pk)]
    form["real_name"] = ["王老师"]
    assert platform_client.post(edit_url(user), form).status_code == 302
    user.refresh_from_db()
    assert (user.real_name, user.organization_id) == ("王老师", pending.pk)
