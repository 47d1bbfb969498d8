"""The user admin's rules hold everywhere an administrator can change accounts (R1, R2):
Wagtail's bulk actions, the role/province binding, finding people by mobile number or real
name, readable real names, and registration that cannot be used to list who has an account."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from accounts import roles
from accounts.models import User
from accounts.validators import validate_real_name
from tests import factories

pytestmark = pytest.mark.django_db

BULK = "/admin/bulk/accounts/user/{action}/?id={ids}&next=/admin/users/"


@pytest.fixture
def administrator(client):
    user = factories.user(roles.ADMINISTRATORS, real_name="平台管理员", is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def root():
    return factories.user(None, real_name="超级管理员", is_superuser=True, is_staff=True)


# --- Wagtail's user bulk actions (R2) ----------------------------------------------------


def test_a_platform_administrator_cannot_deactivate_a_superuser_in_bulk(
    client, administrator, root
):
    other = factories.submitter(real_name="普通用户")
    url = BULK.format(action="set_active_state", ids=f"{root.pk}&id={other.pk}")
    confirmation = client.get(url).content.decode()
    assert "超级管理员" in confirmation  # listed among those it cannot change
    client.post(url, {"mark_as_active": "False"})
    root.refresh_from_db()
    other.refresh_from_db()
    assert root.is_active
    assert not other.is_active


def test_a_platform_administrator_cannot_give_a_superuser_a_role_or_delete_one(
    client, administrator, root
):
    client.post(
        BULK.format(action="assign_role", ids=root.pk),
        {"role": Group.objects.get(name=roles.SUBMITTERS).pk},
    )
    assert not root.groups.exists()
    client.post(BULK.format(action="delete", ids=root.pk))
    assert User.objects.filter(pk=root.pk).exists()


def test_a_superuser_still_acts_on_superusers(client, root):
    other_root = factories.user(None, real_name="另一位超级管理员", is_superuser=True)
    client.force_login(root)
    client.post(
        BULK.format(action="set_active_state", ids=other_root.pk), {"mark_as_active": "False"}
    )
    other_root.refresh_from_db()
    assert not other_root.is_active


def test_the_province_moderator_role_goes_only_to_accounts_with_a_province(client, administrator):
    with_province = factories.submitter(real_name="有省份的人", province="440000")
    without = factories.submitter(real_name="没有省份的人")
    moderators = Group.objects.get(name=roles.PROVINCE_MODERATORS)
    response = client.post(
        BULK.format(action="assign_role", ids=f"{with_province.pk}&id={without.pk}"),
        {"role": moderators.pk},
        follow=True,
    )
    assert with_province.groups.filter(pk=moderators.pk).exists()
    assert not without.groups.filter(pk=moderators.pk).exists()
    assert "没有省份的人" in response.content.decode()  # named in the warning


def test_select_all_after_a_search_acts_on_what_was_found(client, administrator):
    found = factories.submitter(real_name="搜索到的人")
    missed = factories.submitter(real_name="别的人")
    client.post(
        "/admin/bulk/accounts/user/set_active_state/?id=all&q=搜索到&next=/admin/users/",
        {"mark_as_active": "False"},
    )
    found.refresh_from_db()
    missed.refresh_from_db()
    assert not found.is_active
    assert missed.is_active


def test_select_all_in_a_filtered_listing_acts_only_on_what_it_shows(client, administrator):
    submitter = factories.submitter(real_name="发布者")
    moderator = factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核员")
    submitters = Group.objects.get(name=roles.SUBMITTERS)
    client.post(
        f"/admin/bulk/accounts/user/set_active_state/?id=all&group={submitters.pk}"
        "&next=/admin/users/",
        {"mark_as_active": "False"},
    )
    submitter.refresh_from_db()
    moderator.refresh_from_db()
    assert not submitter.is_active
    assert moderator.is_active


# --- One province per province moderator (R2, R20) ---------------------------------------


def new_user_data(**fields):
    return {
        "phone": "13700000011",
        "real_name": "新审核员",
        "email": "",
        "password1": "a-strong-pass-2026",
        "password2": "a-strong-pass-2026",
        **fields,
    }


def test_a_province_moderator_cannot_be_created_without_a_province(client, administrator):
    moderators = Group.objects.get(name=roles.PROVINCE_MODERATORS)
    response = client.post("/admin/users/new/", new_user_data(groups=[moderators.pk]))
    assert response.status_code == 200
    assert "province" in response.context["form"].errors
    assert "新审核员" in response.content.decode()  # what was typed comes back
    assert not User.objects.filter(phone="13700000011").exists()

    created = client.post(
        "/admin/users/new/", new_user_data(groups=[moderators.pk], province="440000")
    )
    assert created.status_code == 302
    assert User.objects.get(phone="13700000011").province_id == "440000"


def test_a_province_is_refused_for_other_roles(client, administrator):
    submitters = Group.objects.get(name=roles.SUBMITTERS)
    response = client.post(
        "/admin/users/new/", new_user_data(groups=[submitters.pk], province="440000")
    )
    assert "province" in response.context["form"].errors


def test_removing_the_role_in_the_editor_asks_to_clear_the_province(client, administrator):
    moderator = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="审核员")
    url = f"/admin/users/edit/{moderator.pk}/"
    data = {
        "phone": moderator.phone,
        "real_name": "审核员",
        "email": "",
        "is_active": "on",
        "province": "440000",
        "groups": [],
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "province" in response.context["form"].errors
    assert client.post(url, {**data, "province": ""}).status_code == 302


# --- Finding people (R1) -----------------------------------------------------------------


@pytest.mark.parametrize("query", ["陈晓明", "晓明", "13912345678", "139 1234 5678", "+86 139"])
def test_the_user_listing_finds_people_by_number_and_real_name(client, administrator, query):
    found = User.objects.create_user("13912345678", "a-strong-pass-2026", real_name="陈晓明")
    found.groups.add(Group.objects.get(name=roles.SUBMITTERS))
    factories.submitter(real_name="别的人")
    response = client.get("/admin/users/", {"q": query})
    html = response.content.decode()
    assert "陈晓明" in html
    assert "别的人" not in html


def test_the_user_listing_shows_verification_and_calls_the_login_a_mobile_number(
    client, administrator
):
    factories.submitter(real_name="已核实的人", is_real_name_verified=True)
    html = client.get("/admin/users/").content.decode()
    assert "已实名认证" in html
    assert "手机号" in html
    assert "用户名" not in html


# --- Chinese labels (R34) ----------------------------------------------------------------


def test_admin_login_and_assign_role_labels_are_translated(client, administrator):
    other = factories.submitter()
    with translation.override("zh-hans"):
        role_page = client.get(BULK.format(action="assign_role", ids=other.pk)).content.decode()
        client.logout()
        login_page = client.get("/admin/login/").content.decode()
    assert "Role" not in role_page
    assert "Password" not in login_page and "密码" in login_page


# --- Readable real names (R1) ------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["\u3164", "\u3164\u3164", "王\u202e五", "王\u200d", "-", "·", "……"],
    ids=["filler", "fillers", "rtl-override", "zwj", "dash", "dot", "ellipsis"],
)
def test_unreadable_or_direction_spoofing_names_are_refused(name):
    with pytest.raises(ValidationError):
        validate_real_name(name)


@pytest.mark.parametrize("name", ["王五", "阿卜杜拉·买买提", "Li Lei", "欧阳 娜娜"])
def test_real_names_pass(name):
    validate_real_name(name)


# --- Registration cannot list who has an account (R1) ------------------------------------


@override_settings(REGISTRATION_ATTEMPTS_PER_HOUR=3)
def test_registration_attempts_are_limited_per_client_and_say_nothing_past_the_limit(client):
    taken = factories.submitter(real_name="已注册的人")
    data = {"phone": taken.phone, "real_name": "试探", "password1": "", "password2": ""}
    for _attempt in range(3):
        response = client.post("/accounts/register/", data)
        assert response.status_code == 200
        assert "phone" in response.context["form"].errors  # a person typing sees why
    response = client.post("/accounts/register/", data)
    assert response.status_code == 429
    form = response.context["form"]
    assert "phone" not in form.errors
    assert form.non_field_errors()
    assert "试探" in response.content.decode()  # what was typed comes back
    # Another client is not affected.
    other = client.post("/accounts/register/", data, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_a_taken_number_is_called_a_mobile_number_in_the_user_admin(client, administrator):
    taken = factories.submitter()
    response = client.post("/admin/users/new/", new_user_data(phone=taken.phone))
    errors = response.context["form"].errors["phone"]
    assert errors == ["该手机号已注册。"]


def test_the_english_registration_form_capitalises_its_labels(client):
    client.cookies["django_language"] = "en"
    html = client.get("/accounts/register/").content.decode()
    assert "Mobile number" in html


def test_registration_works_while_the_shared_cache_is_down(client, settings):
    """django-redis answers None instead of raising when Redis is unreachable: the limit is
    off meanwhile, registration is not (it was a 500)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    response = client.post(
        "/accounts/register/",
        {
            "phone": "13700000099",
            "real_name": "新用户",
            "password1": "a-strong-pass-2026",
            "password2": "a-strong-pass-2026",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(phone="13700000099").exists()


@override_settings(REGISTRATION_ATTEMPTS_PER_HOUR=2)
def test_the_registration_limit_counts_an_ipv6_client_by_its_network(client):
    """A host picks any address in its /64: each new address must not bring a new limit."""
    data = {"phone": "13700000077", "real_name": "试探", "password1": "", "password2": ""}
    statuses = [
        client.post("/accounts/register/", data, REMOTE_ADDR=f"2001:db8:1:2::{host:x}").status_code
        for host in range(1, 4)
    ]
    assert statuses == [200, 200, 429]
    elsewhere = client.post("/accounts/register/", data, REMOTE_ADDR="2001:db8:1:3::1")
    assert elsewhere.status_code == 200
