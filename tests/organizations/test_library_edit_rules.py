"""The library admin's create and edit forms: parents (R3) and decisions (R4)."""

import pytest
from wagtail.models import ModelLogEntry

from organizations.models import Organization

pytestmark = pytest.mark.django_db

LIBRARY = "/admin/organizations/organization/"


def form_data(organization, **overrides):
    """The library form as the browser would send it for `organization`."""
    data = {
        name: getattr(organization, name)
        for name in (
            "name",
            "short_name",
            "category",
            "status",
            "rejection_reason",
            "contact_person",
            "contact_phone",
            "contact_email",
            "address",
            "note",
        )
    }
    for name in ("province", "city", "county", "parent"):
        data[name] = getattr(organization, f"{name}_id") or ""
    return {**data, **overrides}


def edit(client, organization, **overrides):
    return client.post(f"{LIBRARY}edit/{organization.pk}/", form_data(organization, **overrides))


def society(name):
    return Organization.objects.get(name=name, category="national_society")


def error_codes(response, field):
    return [error.code for error in response.context["form"].errors.as_data().get(field, [])]


def actions(organization):
    return list(
        ModelLogEntry.objects.for_instance(organization)
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_r3_an_organization_cannot_be_its_own_parent(admin_client):
    chemistry = society("中国化学会")
    response = edit(admin_client, chemistry, parent=chemistry.pk)
    assert response.status_code == 200
    assert error_codes(response, "parent") == ["self"]
    chemistry.refresh_from_db()
    assert chemistry.parent_id is None


def test_r3_parents_cannot_form_a_loop(admin_client):
    maths, physics, mechanics = (
        society("中国数学会"),
        society("中国物理学会"),
        society("中国力学学会"),
    )
    assert edit(admin_client, physics, parent=maths.pk).status_code == 302
    assert edit(admin_client, mechanics, parent=physics.pk).status_code == 302

    response = edit(admin_client, maths, parent=physics.pk)  # maths → physics → maths
    assert response.status_code == 200
    assert error_codes(response, "parent") == ["loop"]
    response = edit(admin_client, maths, parent=mechanics.pk)  # maths → mechanics → physics → maths
    assert error_codes(response, "parent") == ["loop"]
    maths.refresh_from_db()
    assert maths.parent_id is None


def test_r3_the_parent_is_a_certified_organization(admin_client):
    pending = Organization.objects.create(name="某待审学会", category="national_society")
    response = edit(admin_client, society("中国化学会"), parent=pending.pk)
    assert response.status_code == 200
    assert error_codes(response, "parent") == ["uncertified"]


def test_r4_certifying_in_the_library_form_is_stamped_and_logged(admin_client, superuser):
    organization = Organization.objects.create(name="某待审学会", category="national_society")
    response = edit(admin_client, organization, status="certified")
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.status == Organization.Status.CERTIFIED
    assert organization.reviewed_at is not None
    assert actions(organization) == ["wagtail.edit", "organizations.certify"]
    entry = ModelLogEntry.objects.for_instance(organization).get(action="organizations.certify")
    assert entry.user == superuser


def test_r4_rejecting_in_the_library_form_logs_the_reason(admin_client):
    organization = Organization.objects.create(name="某待审学会", category="national_society")
    response = edit(admin_client, organization, status="rejected", rejection_reason="查无此会")
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.reviewed_at is not None
    entry = ModelLogEntry.objects.for_instance(organization).get(action="organizations.reject")
    assert entry.data == {"reason": "查无此会"}

    # Editing anything else is no new decision.
    reviewed_at = organization.reviewed_at
    assert edit(admin_client, organization, note="已电话核实").status_code == 302
    organization.refresh_from_db()
    assert organization.reviewed_at == reviewed_at
    assert actions(organization) == ["wagtail.edit", "organizations.reject", "wagtail.edit"]


def test_r4_a_decision_cannot_be_undone_to_pending_in_the_library_form(admin_client):
    chemistry = society("中国化学会")
    response = edit(admin_client, chemistry, status="pending")
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    chemistry.refresh_from_db()
    assert chemistry.status == Organization.Status.CERTIFIED


def test_r4_creating_a_certified_entry_is_stamped_and_logged(admin_client):
    data = form_data(
        Organization(name="某新成立学会", category="national_society", status="certified")
    )
    response = admin_client.post(f"{LIBRARY}create/", data)
    assert response.status_code == 302
    organization = Organization.objects.get(name="某新成立学会")
    assert organization.reviewed_at is not None
    assert actions(organization) == ["wagtail.create", "organizations.certify"]
