"""The 400 and CSRF-failure pages (R34): the site's own frame in Simplified Chinese by
default, with a way on, never Django's English defaults or their advice to set DEBUG."""

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def chinese(text):
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text)


def assert_site_page(response, status, heading):
    assert response.status_code == status
    page = response.content.decode()
    assert re.search(r'<html lang="zh-hans">', page)
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert f"<h1>{chinese(heading)}</h1>" in page
    assert chinese("Home") == "首页" and 'href="/">首页</a>' in page
    assert "DEBUG" not in page and "Bad Request (400)" not in page
    assert "CSRF verification failed" not in page and "Forbidden" not in page
    return page


def assert_bad_request_page(response):
    """The 400 page stands alone, like the 500 page: it can come before any middleware ran
    and while the host is refused, so it needs no frame, no static files and no database
    (through the site's frame, production settings turned it into a 500)."""
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<h1>无法处理该请求</h1>" in page
    assert 'href="/">首页</a>' in page
    assert "{%" not in page and "static" not in page
    assert "DEBUG" not in page and "Bad Request (400)" not in page


@override_settings(ALLOWED_HOSTS=["kepuri.example.cn"])
def test_r34_a_request_for_another_host_gets_the_sites_400_page():
    """R34: a host name the site does not answer to (Django's DisallowedHost) gets a 400 in
    Chinese, with English below."""
    response = Client().get("/activities/", HTTP_HOST="evil.example")
    assert_bad_request_page(response)


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_r34_a_form_with_too_many_fields_gets_the_sites_400_page():
    """R34: a POST of more fields than the site accepts answers 400, not English text."""
    fields = {f"field{n}": "x" for n in range(10)}
    response = Client().post(LOGIN, fields)
    assert_bad_request_page(response)


def test_r34_a_stale_form_gets_the_sites_csrf_page_with_a_way_back():
    """R34: a form sent without a valid CSRF token (signed in again in another tab) answers
    403 with the site's explanation: nothing saved, go back, reload, send again; a link to
    log in for a visitor."""
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    response = client.post(LOGIN, {"username": "13900000009", "password": "x"})
    page = assert_site_page(response, 403, "This form has expired")
    for advice in (
        "Nothing was saved. The form's security code no longer matches your browser's, which "
        "happens when you sign in again in another tab or window after opening the form, or "
        "when this site's cookies were cleared.",
        "Go back with your browser's Back button: most browsers still show what you typed. "
        "Copy anything you want to keep, reload the page to get a fresh form, then send it "
        "again.",
    ):
        assert chinese(advice) in page
    assert f'href="{LOGIN}">{chinese("Log in")}</a>' in page


def test_r34_a_signed_in_users_stale_form_leads_back_to_the_admin():
    """R34: a signed-in editor whose editor form went stale is led to the admin."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.submitter())
    response = client.post("/admin/my-activities/new/", {"title": "x"})
    page = assert_site_page(response, 403, "This form has expired")
    assert f'href="/admin/">{chinese("Management")}</a>' in page
