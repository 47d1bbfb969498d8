"""R1 self-registration at /accounts/register/: a mainland mobile number (unique, the login),
a real name and a strong password; new accounts land in the Submitter group (活动发布者)."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, override

from accounts.roles import SUBMITTERS
from organizations.models import Organization

pytestmark = pytest.mark.django_db

REGISTER_URL = "/accounts/register/"
GOOD_PASSWORD = "Kepu-Day-2026!"

# locale/zh_Hans/LC_MESSAGES/django.po
INVALID_MOBILE = "请输入有效的中国大陆手机号（以1开头的11位数字）。"
DUPLICATE_MOBILE = "该手机号已注册。"
PASSWORDS_DIFFER = "两次输入的密码不一致。"
# Django's own catalogue (the project does not override these).
TOO_SHORT = "密码太短：至少需要 10 个字符。"
TOO_COMMON = "这个密码太常见了。"
ENTIRELY_NUMERIC = "密码只包含数字。"


def zh(message):
    with override("zh-hans"):
        return gettext(message)


INVALID_CHOICE = zh("Select a valid choice. That choice is not one of the available choices.")

User = get_user_model()


def form_data(**overrides):
    data = {
        "phone": "13912345678",
        "real_name": "李科普",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "consent": "on",
        "organization": "",
    }
    data.update(overrides)
    return data


def field_block(body, name):
    """The rendered `form__field` block (label, input, help, errors) of one field."""
    for block in body.split('<div class="form__field')[1:]:
        if f'name="{name}"' in block:
            return html.unescape(block)
    raise AssertionError(f"no rendered field {name!r}")


def typed_value(body, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert match, f"no input {name!r}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def register(client, **overrides):
    return client.post(REGISTER_URL, form_data(**overrides))


def assert_refused(response, field, message, keeps=("phone", "real_name")):
    """200 (never a 500), the Chinese message beside the field, no account, values kept."""
    assert response.status_code == 200
    body = response.content.decode()
    assert message in field_block(body, field), body
    submitted = response.wsgi_request.POST
    for name in keeps:
        assert typed_value(body, name) == submitted[name], name
    assert "_auth_user_id" not in response.wsgi_request.session


def test_r1_register_page_renders_in_chinese(client):
    response = client.get(REGISTER_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="phone"' in body and 'name="password2"' in body
    assert "注册" in body


def test_r1_registration_creates_a_logged_in_submitter(client):
    response = register(client)
    assert response.status_code == 302
    assert response["Location"] == "/admin/my-activities/"
    account = User.objects.get(phone="13912345678")
    assert account.real_name == "李科普"
    assert account.check_password(GOOD_PASSWORD)
    assert list(account.groups.values_list("name", flat=True)) == [SUBMITTERS]
    assert not account.is_real_name_verified
    assert not account.is_superuser
    assert account.organization is None
    assert client.session["_auth_user_id"] == str(account.pk)
    assert client.get("/admin/my-activities/").status_code == 200


def test_r1_new_account_logs_in_with_its_mobile_number(client):
    register(client)
    client.logout()
    response = client.post(
        "/accounts/login/", {"username": "13912345678", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(phone="13912345678").pk)


@pytest.mark.parametrize(
    "phone",
    ["12345678901", "1391234567", "23912345678", "1391234567a", "abcdefghijk", "10086"],
    ids=["prefix-12", "ten-digits", "not-1", "letter", "letters", "short"],
)
def test_r1_invalid_mobile_is_refused_with_its_message(client, phone):
    assert_refused(register(client, phone=phone), "phone", INVALID_MOBILE)
    assert not User.objects.exists()


def test_r1_full_width_digits_are_normalised(client):
    response = register(client, phone="１３９１２３４５６７８")
    assert response.status_code == 302
    assert User.objects.get().phone == "13912345678"


@pytest.mark.parametrize("phone", ["+86 139 1234 5678", "139-1234-5678"])
def test_r1_mobile_with_prefix_or_separators_registers_normalised(client, phone):
    response = register(client, phone=phone)
    assert response.status_code == 302
    assert User.objects.get().phone == "13912345678"


@pytest.mark.parametrize(
    "phone", ["13912345678", "１３９１２３４５６７８"], ids=["same", "full-width"]
)
def test_r1_duplicate_mobile_is_refused(client, phone):
    User.objects.create_user("13912345678", "other-pass-2026", real_name="先注册者")
    assert_refused(register(client, phone=phone), "phone", DUPLICATE_MOBILE)
    assert User.objects.count() == 1


def test_r1_duplicate_mobile_written_with_country_code_is_refused_as_duplicate(client):
    User.objects.create_user("13912345678", "other-pass-2026", real_name="先注册者")
    response = register(client, phone="+86 139 1234 5678")
    assert User.objects.count() == 1
    assert_refused(response, "phone", DUPLICATE_MOBILE)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("qwertyuiop", TOO_COMMON),
        ("iloveyou12", TOO_COMMON),
        ("20260915314159", ENTIRELY_NUMERIC),
    ],
    ids=["common", "common-with-digits", "numeric"],
)
def test_r1_weak_password_is_refused(client, password, message):
    response = register(client, password1=password, password2=password)
    assert_refused(response, "password1", message)
    assert not User.objects.exists()


def test_r1_too_short_password_is_refused(client):
    response = register(client, password1="Kp#2026x", password2="Kp#2026x")
    assert response.status_code == 200
    assert not User.objects.exists()
    assert "10" in field_block(response.content.decode(), "password1")


def test_r1_too_short_password_message_is_in_chinese(client):
    response = register(client, password1="Kp#2026x", password2="Kp#2026x")
    assert_refused(response, "password1", TOO_SHORT)


def test_r1_mismatched_passwords_are_refused(client):
    response = register(client, password2=GOOD_PASSWORD + "x")
    assert_refused(response, "password2", PASSWORDS_DIFFER)
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["phone", "real_name", "password1", "password2"])
def test_r1_required_fields(client, field):
    response = register(client, **{field: ""})
    keeps = [name for name in ("phone", "real_name") if name != field]
    assert_refused(response, field, zh("This field is required."), keeps=keeps)
    assert not User.objects.exists()


def test_r1_a_certified_organization_can_be_chosen(client):
    org = Organization.objects.get(name="广东省科学技术协会", category="provincial")
    assert org.is_certified
    page = client.get(REGISTER_URL).content.decode()
    assert f'<option value="{org.pk}">广东省科学技术协会</option>' in page
    response = register(client, organization=org.pk)
    assert response.status_code == 302
    assert User.objects.get().organization == org


def test_r1_a_pending_organization_is_refused_even_when_forged(client):
    pending = Organization.objects.create(
        name="待审核的科普协会", category=Organization.Category.OTHER, province_id="440000"
    )
    assert not pending.is_certified
    assert "待审核的科普协会" not in client.get(REGISTER_URL).content.decode()
    response = register(client, organization=pending.pk)
    assert_refused(response, "organization", INVALID_CHOICE)
    assert not User.objects.exists()


def test_r1_signed_in_user_is_redirected_away(client):
    account = User.objects.create_user("13800138000", "other-pass-2026", real_name="已登录")
    client.force_login(account)
    response = client.get(REGISTER_URL)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    forged = register(client)
    assert forged.status_code == 302
    assert forged["Location"] == "/admin/"
    assert list(User.objects.values_list("phone", flat=True)) == ["13800138000"]
    assert client.session["_auth_user_id"] == str(account.pk)


@pytest.mark.parametrize(
    "name", ["\u200b\u200b", "\u3000", "\u200b \u200b", "李\x0b科普", "\u2060"], ids=repr
)
def test_r1_real_name_must_be_readable(client, name):
    """Moderators see the real name beside every submission: zero-width or control
    characters only are no name (they passed Django's "required")."""
    response = register(client, real_name=name)
    assert response.status_code == 200
    assert "real_name" in response.context["form"].errors
    assert not User.objects.filter(phone="13912345678").exists()


def test_r1_a_real_name_with_a_middle_dot_registers(client):
    response = register(client, real_name="阿依古丽·买买提")
    assert response.status_code == 302
    assert User.objects.get(phone="13912345678").real_name == "阿依古丽·买买提"


def test_r34_a_missing_field_asks_for_it_in_djangos_words(client):
    """Wagtail's catalogue words Django's required message as 必需字段, a label rather
    than a request; the site's catalogue restores Django's sentence on every form."""
    response = register(client, real_name="")
    assert_refused(response, "real_name", "这个字段是必填项。", keeps=("phone",))
    assert "必需字段" not in response.content.decode()


def test_r1_registration_asks_for_consent_to_the_privacy_policy(client):
    """PIPL arts. 14 and 17: a unit registers knowing what is collected and why. Without
    the box ticked nothing is created and nothing typed is lost."""
    body = client.get(REGISTER_URL).content.decode()
    assert "我已阅读并同意《隐私政策》" in body
    assert '<a href="/privacy/" target="_blank" rel="noopener">阅读《隐私政策》</a>' in body
    response = client.post(REGISTER_URL, {**form_data(), "consent": ""})
    assert_refused(response, "consent", "请阅读并同意隐私政策后再注册。", keeps=("phone",))
    assert not User.objects.filter(phone="13912345678").exists()


def test_the_privacy_policy_says_what_is_collected_and_whom_to_ask(client):
    from wagtail.models import Site

    from home.models import CampaignSettings

    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.support_person, campaign.support_phone = "蒙昌乐", "010-63589698"
    campaign.save()
    body = client.get("/privacy/").content.decode()
    assert "<h1>隐私政策</h1>" in body
    assert "中华人民共和国个人信息保护法" in body and "手机号" in body
    assert "登录记录保存 30 天后删除。" in body
    assert "蒙昌乐" in body and 'href="tel:01063589698"' in body
    assert 'href="/privacy/">隐私政策</a>' in client.get("/").content.decode()
