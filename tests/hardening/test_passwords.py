"""Password strength (issue #9, R1): at least 10 characters, not common, not all digits, not
similar to and not containing the account's mobile number or real name. The same validators
run at registration, in the user admin and in `manage.py set_password`."""

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, override

from accounts.models import User

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
NAME = "张晓明"


def zh(message):
    with override("zh-hans"):
        return gettext(message)


@pytest.fixture
def person():
    return User(phone=PHONE, real_name=NAME, email="zhang.xiaoming@example.cn")


def codes(password, user):
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {item.code for item in error.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Kp#2026x", "password_too_short"),
        ("password123", "password_too_common"),
        ("qwertyuiop", "password_too_common"),
        ("20260920123456", "password_entirely_numeric"),
        (PHONE + "ab", "password_too_similar"),  # similar to the number as a whole
        ("kepuri-" + PHONE + "-pw", "password_contains_mobile"),
        ("my 138 1234 5678 pass", "password_contains_mobile"),
        ("my-138-1234-5678-pass", "password_contains_mobile"),
        ("１３８１２３４５６７８-abcdef", "password_contains_mobile"),  # full-width digits
        (NAME + "的密码abc2026", "password_contains_name"),
        ("zhang.xiaoming@example", "password_too_similar"),  # the e-mail address
    ],
)
def test_weak_passwords_are_refused(person, password, code):
    assert code in codes(password, person)


@pytest.mark.parametrize(
    "password",
    ["Kepu-Day-2026!", "science-day-poster-42", "晓光科普日2026年活动", "138-kepuri-5678-day"],
)
def test_strong_passwords_pass(person, password):
    assert codes(password, person) == set()


def test_a_one_character_name_is_not_treated_as_contained(person):
    person.real_name = "张"
    assert codes("张开双臂拥抱科学2026", person) == set()


def test_new_rules_are_listed_in_the_help_text(client):
    with override("en"):
        texts = [str(text) for text in password_validators_help_texts()]
    assert "Do not use your mobile number or your name in the password." in texts
    register = client.get("/accounts/register/").content.decode()
    assert zh("Do not use your mobile number or your name in the password.") in register


def test_registration_refuses_a_password_containing_the_number(client):
    password = f"kp-{PHONE}-day"
    response = client.post(
        "/accounts/register/",
        {
            "phone": f"+86 {PHONE}",
            "real_name": NAME,
            "password1": password,
            "password2": password,
            "consent": "on",
        },
    )
    assert response.status_code == 200
    assert zh("The password must not contain your mobile number.") in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists()


def test_registration_refuses_a_password_containing_the_name(client):
    password = f"{NAME}-kepu-2026"
    response = client.post(
        "/accounts/register/",
        {
            "phone": PHONE,
            "real_name": NAME,
            "password1": password,
            "password2": password,
            "consent": "on",
        },
    )
    assert response.status_code == 200
    assert zh("The password must not contain your real name.") in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists()


def test_user_admin_refuses_a_password_containing_the_number(admin_client):
    response = admin_client.post(
        "/admin/users/new/",
        {
            "phone": PHONE,
            "real_name": NAME,
            "password1": f"pw-{PHONE}-x",
            "password2": f"pw-{PHONE}-x",
        },
    )
    assert response.status_code == 200
    assert zh("The password must not contain your mobile number.") in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists()
