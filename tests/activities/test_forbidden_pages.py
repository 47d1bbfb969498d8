"""Refusals that read like the rest of the site. The statistics report (R32) and the
nomination pages (R33) answered a logged-in user without the permission with a bare
"text/html" sentence: no admin frame, no way back. They now answer a 403 in the admin's frame
with Wagtail's own sentence for a refusal and their reason; anonymous users are still sent to
the login page. A PermissionDenied on the public site renders templates/403.html in the site's
frame, in Chinese first (Django had only its bare "403 Forbidden")."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext, override
from wagtail.users.models import UserProfile

from accounts import roles
from config import urls as project_urls
from tests import factories

from .nominating import url as nomination_url

pytestmark = pytest.mark.django_db

STATS_URL = "/admin/stats/"
# Wagtail's own sentence for a refusal (wagtail.admin.auth.permission_denied), in its catalogue.
WAGTAIL_REFUSAL = "对不起， 你没有权限访问。"


def refuse(request):
    raise PermissionDenied("staff-only detail")


# A public URL that refuses, ahead of the project's own (Wagtail's page catch-all is last).
urlpatterns = [path("forbidden-for-test/", refuse), *project_urls.urlpatterns]


def zh(message):
    with override("zh-hans"):
        return gettext(message)


def assert_admin_refusal(response, reason):
    """A 403 in the admin's frame (its sidebar and header), in Chinese, with the reason."""
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    names = [template.name for template in response.templates]
    assert "wagtailadmin/base.html" in names, names
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.html["lang"] == "zh-hans"
    assert soup.select_one("aside#wagtail-sidebar") is not None
    assert soup.h1.get_text(strip=True) == "禁止访问"
    text = soup.select_one("main").get_text(" ", strip=True)
    assert WAGTAIL_REFUSAL in text and zh(reason) in text
    assert soup.select_one('main a[href="/admin/"]') is not None
    return soup


@pytest.mark.parametrize("export", [None, "csv", "xlsx"])
def test_r32_a_submitter_gets_the_admin_refusal_not_the_report(client, owner, export):
    factories.activity(owner=owner, publish=True, title="广州讲座A", province_id="440000")
    client.force_login(owner)
    params = {"year": 2026, **({"export": export} if export else {})}
    response = client.get(STATS_URL, params)
    soup = assert_admin_refusal(response, "Statistics are for moderators and administrators.")
    assert "Content-Disposition" not in response
    assert "广东省" not in soup.get_text() and not soup.select("table")


def test_r32_anonymous_is_sent_to_the_login_page(client):
    response = client.get(STATS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/stats/")


def test_r33_a_moderator_gets_the_refusal_for_a_units_nomination_form(client, page):
    client.force_login(factories.user(roles.PROVINCE_MODERATORS, province="440000"))
    response = client.get(nomination_url(page))
    soup = assert_admin_refusal(response, "Only the activity's submitter can file its nomination.")
    assert page.title not in soup.get_text() and not soup.select("main form")


@pytest.mark.parametrize("target", ["list", "review"])
def test_r33_a_submitter_gets_the_refusal_for_marking(client, owner, page, target):
    client.force_login(owner)
    address = "/admin/nominations/" if target == "list" else f"{nomination_url(page)}review/"
    response = client.get(address)
    soup = assert_admin_refusal(response, "Nominations are marked by national moderators.")
    assert page.title not in soup.get_text() and not soup.select("main form")
    # A forged marking is refused the same way.
    forged = client.post(address, {"selected": [page.pk], "action": "recommend"})
    assert_admin_refusal(forged, "Nominations are marked by national moderators.")


def test_r33_a_moderator_gets_the_refusal_for_a_nomination_video(client, page):
    client.force_login(factories.user(roles.PROVINCE_MODERATORS, province="440000"))
    response = client.get(f"{nomination_url(page)}videos/1/")
    assert_admin_refusal(
        response,
        "Only the activity's submitter, the national moderators and the administrators can "
        "see its videos.",
    )


@pytest.mark.parametrize("suffix", ["", "review/", "videos/1/"])
def test_r33_anonymous_is_sent_to_the_login_page(client, page, suffix):
    address = f"{nomination_url(page)}{suffix}"
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={address}")


def test_the_refusal_follows_the_users_admin_language(client, owner):
    profile = UserProfile.get_for_user(owner)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(owner)
    soup = BeautifulSoup(client.get(STATS_URL).content.decode(), "html.parser")
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "Sorry, you do not have permission to access this area." in text
    assert "Statistics are for moderators and administrators." in text


# The public 403 page -------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_public_refusal_renders_in_chinese_in_the_sites_frame(client):
    response = client.get("/forbidden-for-test/")
    assert response.status_code == 403
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.html["lang"] == "zh-hans"
    assert soup.select_one("header.site-header") and soup.select_one("footer.site-footer")
    assert soup.h1.get_text(strip=True) == "禁止访问"
    assert soup.title.get_text().startswith("禁止访问")
    main = soup.select_one("main")
    assert WAGTAIL_REFUSAL in main.get_text()
    # The exception's text may be written for staff: not shown.
    assert "staff-only detail" not in response.content.decode()
    login = main.select_one('a[href^="/accounts/login/"]')
    assert login["href"] == "/accounts/login/?next=/forbidden-for-test/"
    assert login.get_text(strip=True) == "登录"
    assert main.select_one('a[href="/activities/"]') is not None


@pytest.mark.urls(__name__)
def test_a_public_refusal_to_a_signed_in_user_offers_the_management(client):
    client.force_login(factories.submitter())
    response = client.get("/forbidden-for-test/")
    assert response.status_code == 403
    main = BeautifulSoup(response.content.decode(), "html.parser").select_one("main")
    assert main.select_one('a[href="/admin/"]') is not None
    assert not main.select('a[href^="/accounts/login/"]')


@pytest.mark.urls(__name__)
def test_a_public_refusal_in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/forbidden-for-test/")
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.h1.get_text(strip=True) == "Forbidden"
