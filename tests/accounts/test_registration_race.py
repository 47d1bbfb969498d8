"""R1: two registrations of one mobile number at the same moment (a double tap, two people)
make one account; the other gets the form back with the sequential "already registered"
answer, never a 500. The race is staged deterministically: the competing account is
inserted after this request's uniqueness check has passed and before its own insert."""

import pytest

from accounts.models import User
from accounts.registration import RegistrationForm

from .test_registration import DUPLICATE_MOBILE, GOOD_PASSWORD, assert_refused, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def another_request_registers_first(monkeypatch):
    """After the form's checks pass (once), another request commits an account with the
    same number."""
    original = RegistrationForm._post_clean
    pending = []

    def post_clean(form):
        original(form)
        while pending:
            phone = pending.pop()
            User.objects.create_user(phone, "other-pass-2026", real_name="同时注册者")

    monkeypatch.setattr(RegistrationForm, "_post_clean", post_clean)
    return pending.append


def test_r1_losing_the_race_for_a_number_answers_like_a_duplicate(
    client, another_request_registers_first
):
    another_request_registers_first("13912345678")
    response = register(client)
    assert_refused(response, "phone", DUPLICATE_MOBILE)
    body = response.content.decode()
    assert GOOD_PASSWORD not in body  # passwords are not sent back
    assert list(User.objects.values_list("real_name", flat=True)) == ["同时注册者"]


def test_r1_the_race_is_lost_for_a_number_typed_another_way(
    client, another_request_registers_first
):
    another_request_registers_first("13912345678")
    response = register(client, phone="+86 139 1234 5678")
    assert_refused(response, "phone", DUPLICATE_MOBILE)
    assert User.objects.count() == 1


def test_r1_a_lost_race_leaves_the_client_free_to_register_another_number(
    client, another_request_registers_first
):
    another_request_registers_first("13912345678")
    register(client)
    response = register(client, phone="13912345679")
    assert response.status_code == 302
    assert User.objects.get(phone="13912345679").groups.exists()
