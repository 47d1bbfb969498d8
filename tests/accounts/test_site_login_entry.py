"""The way in for a new organizing unit (R1, R26): "我要发布" on the public site led a visitor
who had no account to Wagtail's admin login ("登录Wagtail"), which offers neither
registration nor anything of the site around it. It now leads to the site's own login, which
returns to the new-activity form after login, offers registration and the password reset by
e-mail, and never sends anyone to another site afterwards."""

import pytest
from bs4 import BeautifulSoup
from django.utils.translation import gettext, override

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "test-pass-2026-x"  # what tests.factories.user gives every account
NEW_ACTIVITY = "/admin/my-activities/new/"
LOGIN_TO_PUBLISH = f"/accounts/login/?next={NEW_ACTIVITY}"


def zh(message):
    """Whatever the catalogs say: "忘记密码？", "还没有账号？" (locale/zh_Hans)."""
    with override("zh-hans"):
        return gettext(message)


def publish_links(response):
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return [link["href"] for link in soup.find_all("a") if link.get_text(strip=True) == "我要发布"]


def test_publish_links_send_a_visitor_to_the_site_login_and_back_r1(client):
    links = publish_links(client.get("/"))
    # The header's and the home page's "Organizing units" card's.
    assert len(links) == 2
    assert set(links) == {LOGIN_TO_PUBLISH}

    login = client.get(links[0])
    assert login.status_code == 200
    hidden = BeautifulSoup(login.content.decode(), "html.parser").select_one(
        "main form input[name=next]"
    )
    assert hidden["value"] == NEW_ACTIVITY


def test_publish_links_go_straight_to_the_form_when_signed_in_r26(client):
    client.force_login(factories.submitter())
    assert set(publish_links(client.get("/"))) == {NEW_ACTIVITY}


def test_the_site_login_returns_to_where_the_visitor_was_going_r1(client):
    account = factories.submitter()
    response = client.post(
        LOGIN_TO_PUBLISH, {"username": account.phone, "password": PASSWORD, "next": NEW_ACTIVITY}
    )
    assert response.status_code == 302
    assert response["Location"] == NEW_ACTIVITY


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/admin/", "/\\evil.example/", "javascript:alert(1)"],
)
def test_the_site_login_never_sends_anyone_to_another_site(client, target):
    account = factories.submitter()
    page = client.get("/accounts/login/", {"next": target})
    hidden = BeautifulSoup(page.content.decode(), "html.parser").select_one(
        "main form input[name=next]"
    )
    assert hidden["value"] == ""
    response = client.post(
        "/accounts/login/", {"username": account.phone, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_site_login_offers_registration_and_password_reset_r1(client):
    main = BeautifulSoup(client.get("/accounts/login/").content.decode(), "html.parser").main
    links = {link["href"]: link.get_text(" ", strip=True) for link in main.find_all("a")}
    assert links.get("/admin/password_reset/") == zh("Forgotten password?")
    assert links.get("/accounts/register/") == "注册"
    # The question before the register link says who it is for.
    register = main.find("a", href="/accounts/register/")
    assert register.parent.get_text(" ", strip=True) == f"{zh('No account yet?')} 注册"


def test_r1_wagtails_login_names_the_platform_and_offers_registration(client):
    """Found by a new user's audit: the admin's login said "登录Wagtail" under Wagtail's logo
    and offered no way to register."""
    html = client.get("/admin/login/").content.decode()
    assert "登录全国科普日活动平台" in html
    assert "Wagtail" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'href="/accounts/register/"' in html
