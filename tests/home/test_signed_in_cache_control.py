"""Signed-in pages are never kept by a cache (PIPL audit, low; R27). Wagtail marks its own
admin URLs never_cache (Cache-Control: no-cache, no-store, private), but the views mounted
ahead of them in config/urls.py (the account page, the workflow and site-history reports and
their CSV/XLSX exports) and the organization pages sent no Cache-Control: a shared proxy or
the browser's disk could keep a page of names, phone numbers and review history."""

import pytest
from django.contrib.auth import get_user_model

from tests import factories

pytestmark = pytest.mark.django_db

ADMIN_PATHS = [
    "/admin/",  # Wagtail's own, for comparison
    "/admin/account/",
    "/admin/reports/site-history/",
    "/admin/reports/site-history/results/",
    "/admin/reports/site-history/?export=csv",
    "/admin/reports/site-history/?export=xlsx",
    "/admin/reports/workflow/",
    "/admin/reports/workflow/?export=csv",
    "/admin/reports/workflow_tasks/",
    "/admin/reports/workflow_tasks/?export=csv",
    "/admin/reports/locked/",
    "/admin/reports/aging-pages/",
    "/admin/reports/page-types-usage/",
]
SITE_PATHS = [
    "/organizations/requests/",
    "/organizations/join/",
    "/organizations/autocomplete/?q=科",
    "/accounts/password/change/",
]


def assert_never_cached(response, path):
    assert response.status_code == 200, (path, response.status_code)
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-cache", "no-store", "private"} <= directives, (path, directives)


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_signed_in_admin_pages_are_not_cached(client, path):
    client.force_login(get_user_model().objects.create_superuser("13800009999", "test-pass-2026-x"))
    assert_never_cached(client.get(path), path)


@pytest.mark.parametrize("path", SITE_PATHS)
def test_signed_in_site_pages_are_not_cached(client, path):
    client.force_login(factories.submitter())
    assert_never_cached(client.get(path), path)


def test_the_public_regions_list_stays_cacheable(client):
    response = client.get("/organizations/regions/")
    assert "public" in response["Cache-Control"]
