"""R13, R4: a contact phone is a number someone can dial (the public page links it as tel:),
on an activity in the editor and on an onboarding request; what was typed comes back."""

import datetime

import pytest
import time_machine

from tests import factories

from .editor import ADD_URL, editor_data

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
DIALLABLE = [
    "020-88888888",
    "13800138000",
    "+86 10 6358 9000",
    "400-123-4567",
    "(020)12345678转123",
    "０２０－８８８８８８８８",
]
NOT_DIALLABLE = ["请致电王老师", "12", "javascript:alert(1)", "020-8888888x", "+"]


@pytest.fixture(autouse=True)
def campaign_open():
    with time_machine.travel(NOW, tick=False):
        yield


def save_draft(client, phone):
    owner = factories.submitter()
    client.force_login(owner)
    data = editor_data(factories.poster(owner), factories.channel(), None, contact_phone=phone)
    return client.post(ADD_URL.format(index=factories.index().pk), data)


@pytest.mark.parametrize("phone", DIALLABLE)
def test_an_activity_takes_a_number_people_dial(client, phone):
    response = save_draft(client, phone)
    assert response.status_code == 302, response.context["form"].errors


@pytest.mark.parametrize("phone", NOT_DIALLABLE)
def test_an_activity_refuses_a_phone_nobody_can_dial(client, phone):
    response = save_draft(client, phone)
    assert response.status_code == 200
    form = response.context["form"]
    assert "contact_phone" in form.errors
    assert form["title"].value() == "广州青少年机器人科普体验日"  # nothing typed is lost


@pytest.mark.parametrize(("phone", "accepted"), [("020-87654321", True), ("请找王老师", False)])
def test_an_onboarding_request_checks_its_phone(client, phone, accepted):
    client.force_login(factories.submitter())
    response = client.post(
        "/organizations/join/",
        {
            "name": "某某县青少年科技中心",
            "category": "other",
            "province": "440000",
            "city": "440100",
            "contact_person": "王老师",
            "contact_phone": phone,
        },
    )
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert "contact_phone" in response.context["form"].errors
