"""The organization chooser's chosen views (R4, R5): only certified organizations come back."""

import pytest

from organizations.models import Organization

pytestmark = pytest.mark.django_db

CHOSEN = "/admin/organization_chooser/chosen/{}/"
CHOSEN_MULTIPLE = "/admin/organization_chooser/chosen-multiple/"


@pytest.fixture
def requests():
    """One organization of each status, all of the same category."""
    return {
        status: Organization.objects.create(
            name=f"某{status}研究会",
            category="other",
            status=status,
            rejection_reason="无法核实" if status == "rejected" else "",
        )
        for status in Organization.Status.values
    }


def chosen_titles(response):
    result = response.json()["result"]
    return [row["title"] for row in (result if isinstance(result, list) else [result])]


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_r4_r5_chosen_hides_requests_that_are_not_certified(submitter_client, requests, status):
    """A pending or rejected onboarding request is nobody's choice, nor readable by id."""
    response = submitter_client.get(CHOSEN.format(requests[status].pk))
    assert response.status_code == 404
    assert requests[status].name not in response.content.decode()

    response = submitter_client.get(CHOSEN.format(requests["certified"].pk))
    assert response.status_code == 200
    assert chosen_titles(response) == ["某certified研究会"]


def test_r4_r5_chosen_multiple_returns_only_certified_organizations(submitter_client, requests):
    ids = [org.pk for org in requests.values()]
    response = submitter_client.get(CHOSEN_MULTIPLE, {"id": ids})
    assert response.status_code == 200
    assert chosen_titles(response) == ["某certified研究会"]
    body = response.content.decode()
    assert "某pending研究会" not in body and "某rejected研究会" not in body


def test_r5_chosen_answers_404_to_what_is_not_an_id(submitter_client):
    for pk in ["abc", "1.5", "1e3", "-1", "0", "99999999999"]:
        assert submitter_client.get(CHOSEN.format(pk)).status_code == 404, pk


def test_r5_chosen_multiple_ignores_what_is_not_an_id(submitter_client, requests):
    certified = requests["certified"].pk
    response = submitter_client.get(
        CHOSEN_MULTIPLE, {"id": ["abc", "1.5", "", "99999999999", certified]}
    )
    assert response.status_code == 200
    assert chosen_titles(response) == ["某certified研究会"]
