"""Two administrators editing one library entry (R3): the later save of a form opened
before the other's save is refused, rather than silently putting back the name, category
and province the other changed. Category and province decide an activity's review route
and province (R19, R20)."""

import html

import pytest
from django.core.exceptions import NON_FIELD_ERRORS

from home.concurrency import FINGERPRINT_FIELD
from organizations.admin_forms import OrganizationAdminForm
from organizations.models import Organization
from tests.html_forms import posted_values

pytestmark = pytest.mark.django_db

LIBRARY = "/admin/organizations/organization/"


@pytest.fixture
def chemistry():
    return Organization.objects.get(name="中国化学会", category="national_society")


def edit_url(organization):
    return f"{LIBRARY}edit/{organization.pk}/"


def opened_form(client, organization):
    response = client.get(edit_url(organization))
    assert response.status_code == 200
    return posted_values(response.content.decode(), edit_url(organization))


def test_r3_an_older_form_cannot_put_back_what_another_admin_changed(admin_client, chemistry):
    first, second = opened_form(admin_client, chemistry), opened_form(admin_client, chemistry)
    assert first[FINGERPRINT_FIELD][0]

    # Administrator A renames the entry, recategorises it and gives it a province.
    first.update(name=["广东省化学学会"], category=["other"], province=["440000"])
    assert admin_client.post(edit_url(chemistry), first).status_code == 302

    # B, from the form opened before A saved, changes only the phone.
    second["contact_phone"] = ["010-12345678"]
    response = admin_client.post(edit_url(chemistry), second)
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data().get(NON_FIELD_ERRORS, [])
    assert [error.code for error in errors] == ["stale"]
    body = html.unescape(response.content.decode())
    assert str(OrganizationAdminForm.stale_message) in body
    assert 'value="010-12345678"' in body  # what B typed comes back

    chemistry.refresh_from_db()
    assert (chemistry.name, chemistry.category, chemistry.province_id) == (
        "广东省化学学会",
        "other",
        "440000",
    )
    assert chemistry.contact_phone != "010-12345678"

    # Reloaded, B's change goes in on top of A's.
    again = opened_form(admin_client, chemistry)
    again["contact_phone"] = ["010-12345678"]
    assert admin_client.post(edit_url(chemistry), again).status_code == 302
    chemistry.refresh_from_db()
    assert (chemistry.name, chemistry.contact_phone) == ("广东省化学学会", "010-12345678")


def test_r3_a_change_made_outside_the_form_refuses_an_older_form_too(admin_client, chemistry):
    """A decision on the review page writes the row without this form (R4)."""
    form = opened_form(admin_client, chemistry)
    Organization.objects.filter(pk=chemistry.pk).update(note="由审核页面写入")
    form["contact_phone"] = ["010-12345678"]
    assert admin_client.post(edit_url(chemistry), form).status_code == 200
    chemistry.refresh_from_db()
    assert chemistry.contact_phone != "010-12345678"
    assert chemistry.note == "由审核页面写入"


def test_r3_an_unchanged_entry_saves_from_the_form_as_opened(admin_client, chemistry):
    form = opened_form(admin_client, chemistry)
    form["contact_phone"] = ["010-12345678"]
    assert admin_client.post(edit_url(chemistry), form).status_code == 302
    chemistry.refresh_from_db()
    assert chemistry.contact_phone == "010-12345678"


def test_r3_the_create_form_has_no_version_to_compare(admin_client):
    response = admin_client.get(f"{LIBRARY}create/")
    assert response.status_code == 200
    assert FINGERPRINT_FIELD not in posted_values(response.content.decode(), f"{LIBRARY}create/")
