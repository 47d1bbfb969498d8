"""The custom user model (R1): mobile login, real name, verification flag."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import User
from accounts.validators import normalize_mobile, validate_mainland_mobile


@pytest.mark.parametrize(
    "number",
    [
        "12800138000",  # second digit 2
        "10800138000",
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "23800138000",
        "+85291234567",  # Hong Kong
        "0085291234567",
        "1380013800a",
        "",
        "1٣800138000",  # an Arabic-Indic digit is a digit, but not a mobile number
    ],
)
def test_non_mainland_numbers_are_rejected_with_a_translated_message(number):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        validate_mainland_mobile(normalize_mobile(number))
        assert "请输入有效的中国大陆手机号" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("199 0000 0000", "19900000000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits from a Chinese IME
    ],
)
def test_mainland_numbers_are_normalised_and_accepted(raw, expected):
    assert normalize_mobile(raw) == expected
    validate_mainland_mobile(normalize_mobile(raw))


@pytest.mark.django_db
def test_phone_is_the_unique_login():
    user = User.objects.create_user("+86 13800138000", "a-long-password-1", real_name="张三")
    assert user.phone == "13800138000"
    assert user.get_username() == "13800138000"
    assert str(user) == "张三"
    duplicate = User(phone="13800138000", real_name="李四")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "该手机号已注册" in str(excinfo.value)


@pytest.mark.django_db
def test_create_user_refuses_an_invalid_number():
    with pytest.raises(ValidationError):
        User.objects.create_user("12345", "a-long-password-1", real_name="王五")
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_login_accepts_the_number_with_prefix(client, url):
    # Through the real forms: login throttling (issue #9) needs the request, which
    # client.login() does not pass to authenticate().
    user = User.objects.create_user("13800138000", "a-long-password-1", real_name="张三")
    response = client.post(url, {"username": "+86 138 0013 8000", "password": "a-long-password-1"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
