"""Fixtures for the end-to-end journeys: a live Django server, Debian's Chromium through
pytest-playwright's `page`, an open campaign window and a folder for screenshots."""

import contextlib
import datetime
import pathlib
import time

import pytest
from django.utils import timezone
from wagtail.models import Site

from home.models import CampaignSettings

ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "test-pass-2026-x"  # what tests.factories.user gives every account

# Transactional tests end with a flush of every table. The regions, organization library,
# role groups, review workflows and page tree come from data migrations, so each journey
# restores them first (serialized_rollback) instead of finding an empty database.
E2E_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def campaign_window(transactional_db):
    """Submission is open today: the default window (21 Aug – 30 Sep) may not include it."""
    today = timezone.localdate()
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.year = today.year
    campaign.window_start = today - datetime.timedelta(days=1)
    campaign.window_end = today + datetime.timedelta(days=60)
    campaign.save()
    return campaign


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1400, "height": 1000},
    }


@contextlib.contextmanager
def drained(tab):
    """Sets the tab's timeouts; on leaving, lets the live server answer what the browser
    still asked for (autosave, editing-session pings) before the test database is flushed:
    SQLite refuses to flush a locked table."""
    tab.set_default_timeout(15_000)
    tab.set_default_navigation_timeout(20_000)
    pending = set()
    tab.on("request", lambda request: pending.add(request))
    tab.on("requestfinished", lambda request: pending.discard(request))
    tab.on("requestfailed", lambda request: pending.discard(request))
    yield tab
    deadline = time.monotonic() + 5
    while pending and not tab.is_closed() and time.monotonic() < deadline:
        tab.wait_for_timeout(50)


@pytest.fixture
def page(page):
    with drained(page):
        yield page


def login(page, base_url, phone, password=PASSWORD):
    """Through the real Wagtail login form (the username field takes the mobile number)."""
    page.goto(f"{base_url}/admin/login/")
    page.locator("#id_username").fill(phone)
    page.locator("#id_password").fill(password)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/admin/login/" not in url)


def logout(page):
    page.context.clear_cookies()
