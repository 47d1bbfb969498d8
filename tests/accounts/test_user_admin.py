"""Wagtail's user admin works with the custom user model (create and edit)."""

import re

import pytest
from bs4 import BeautifulSoup

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_create_user_through_wagtail_admin(admin_client):
    response = admin_client.get("/admin/users/new/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="phone"' in body
    assert 'name="real_name"' in body
    assert 'name="first_name"' not in body

    response = admin_client.post(
        "/admin/users/new/",
        {
            "phone": "+86 137 0000 0001",
            "real_name": "赵六",
            "email": "",
            "is_real_name_verified": "on",
            "password1": "a-strong-pass-2026",
            "password2": "a-strong-pass-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(phone="13700000001")
    assert user.real_name == "赵六"
    assert user.is_real_name_verified
    assert user.check_password("a-strong-pass-2026")


def test_create_user_rejects_bad_and_duplicate_numbers(admin_client, superuser):
    bad = admin_client.post(
        "/admin/users/new/",
        {
            "phone": "12345",
            "real_name": "赵六",
            "password1": "a-strong-pass-2026",
            "password2": "a-strong-pass-2026",
        },
    )
    assert bad.status_code == 200
    assert "请输入有效的中国大陆手机号" in bad.content.decode()
    assert "赵六" in bad.content.decode()  # what was typed comes back

    duplicate = admin_client.post(
        "/admin/users/new/",
        {
            "phone": superuser.phone,
            "real_name": "重复",
            "password1": "a-strong-pass-2026",
            "password2": "a-strong-pass-2026",
        },
    )
    assert duplicate.status_code == 200
    assert User.objects.filter(phone=superuser.phone).count() == 1


def test_edit_user_through_wagtail_admin(admin_client):
    user = User.objects.create_user("13700000002", "a-strong-pass-2026", real_name="钱七")
    url = f"/admin/users/edit/{user.pk}/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "phone": "13700000002",
            "real_name": "钱七七",
            "is_real_name_verified": "on",
            "is_active": "on",
            "password1": "",
            "password2": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.real_name == "钱七七"
    assert user.is_real_name_verified


def form_data(html, form_selector="form"):
    """Every field of the page's form with its current value, as a browser would post it."""
    form = BeautifulSoup(html, "html.parser").select_one(form_selector)
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            option = field.select_one("option[selected]") or field.select_one("option")
            data[name] = option.get("value", "") if option else ""
        elif field.get("type") in {"checkbox", "radio"}:
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in {"submit", "file"}:
            data[name] = field.get("value", "") if field.name == "input" else field.text
    return data


def test_account_settings_edit_real_name_until_verified(client):
    user = User.objects.create_user(
        "13700000003", "a-strong-pass-2026", real_name="孙八", is_staff=True
    )
    user.is_superuser = True
    user.save()
    client.force_login(user)
    page = client.get("/admin/account/")
    assert page.status_code == 200
    data = form_data(page.content.decode(), "form[method=post]")
    assert "name_email-first_name" not in data
    response = client.post("/admin/account/", {**data, "name_email-real_name": "孙八八"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.real_name == "孙八八"

    user.is_real_name_verified = True
    user.save()
    data = form_data(client.get("/admin/account/").content.decode(), "form[method=post]")
    client.post("/admin/account/", {**data, "name_email-real_name": "冒名"})
    user.refresh_from_db()
    assert user.real_name == "孙八八"


def test_account_settings_requires_login(client):
    response = client.get("/admin/account/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_r1_r2_the_user_list_names_roles_provinces_and_says_yes_or_no(admin_client):
    """Found by a moderator's audit: the platform administrator could not see which
    province a moderator reviews, nor anyone's role, and the yes/no icons were titled
    "True"/"False" in the Chinese admin. Roles and groups are read for the whole page at
    once, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts import roles

    factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核员")
    factories.submitter(real_name="活动填报人")
    admin_client.get("/admin/users/")  # what the first request of a process reads once
    with CaptureQueriesContext(connection) as few:
        html = admin_client.get("/admin/users/").content.decode()
    for number in range(5):
        factories.submitter(real_name=f"填报人{number}")
    with CaptureQueriesContext(connection) as more:
        admin_client.get("/admin/users/")
    assert len(more) == len(few)
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*广东审核员(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "省级管理员" in row and "广东省" in row
    assert "<th" in html and "角色" in html
    assert "True" not in html and "False" not in html
    assert re.search(r'<span class="w-sr-only">\s*是\s*</span>', html)
