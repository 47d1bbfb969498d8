"""R4: the same onboarding request (组织入驻) sent twice at once (a double submit, or two
people) makes one pending request; the other gets the form back with the message of a
sequential duplicate, never a 500. The race is staged deterministically: the competing row
is inserted after this request's name check has passed and before its own insert."""

import pytest

from organizations.forms import OnboardingForm
from organizations.models import Organization
from tests import factories

from .test_requests_and_review import request_data

pytestmark = pytest.mark.django_db

JOIN = "/organizations/join/"
NAME = "某某县青少年科技中心"


@pytest.fixture
def another_request_wins(monkeypatch):
    """After the form's checks pass (once), another request commits the same name."""
    original = OnboardingForm._post_clean
    pending = []

    def post_clean(form):
        original(form)
        while pending:
            Organization.objects.create(**pending.pop())

    monkeypatch.setattr(OnboardingForm, "_post_clean", post_clean)
    return lambda **row: pending.append({"name": NAME, "category": "other", **row})


def name_errors(response):
    return response.context["form"].errors.as_data().get("name", [])


def test_r4_a_request_that_loses_the_race_gets_the_pending_duplicate_message(
    client, another_request_wins
):
    winner = factories.submitter()
    another_request_wins(status=Organization.Status.PENDING, requested_by=winner)
    client.force_login(factories.submitter())
    response = client.post(JOIN, request_data(contact_person="赵老师"))
    assert response.status_code == 200
    assert [error.code for error in name_errors(response)] == ["requested"]
    body = response.content.decode()
    assert "该组织已有人申请入驻，正在等待审核" in body
    assert "赵老师" in body  # what was typed comes back
    assert list(Organization.objects.filter(name=NAME).values_list("requested_by", flat=True)) == [
        winner.pk
    ]


def test_r4_the_same_user_sending_twice_gets_one_request(client, another_request_wins):
    user = factories.submitter()
    another_request_wins(status=Organization.Status.PENDING, requested_by=user)
    client.force_login(user)
    response = client.post(JOIN, request_data())
    assert [error.code for error in name_errors(response)] == ["requested"]
    assert Organization.objects.filter(name=NAME).count() == 1


def test_r4_losing_the_race_to_a_certification_says_the_name_exists(client, another_request_wins):
    another_request_wins(status=Organization.Status.CERTIFIED)
    client.force_login(factories.submitter())
    response = client.post(JOIN, request_data())
    assert response.status_code == 200
    assert [error.code for error in name_errors(response)] == ["exists"]
    assert "该类别下已存在同名组织" in response.content.decode()
