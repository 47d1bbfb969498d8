import os
import uuid

import pytest
from bs4 import BeautifulSoup
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from accounts import roles
from activities.cache import PageCacheApplication, hot
from tests import factories

from .editor import ADD_URL


def titles(response):
    """The titles of the activity cards on a listing or search page, in order."""
    soup = BeautifulSoup(response.content, "html.parser")
    return [h.get_text(strip=True) for h in soup.select("li.activity-card .activity-card__title")]


@pytest.fixture
def owner():
    return factories.submitter()


@pytest.fixture
def national():
    return factories.user(roles.NATIONAL_MODERATORS)


@pytest.fixture
def page(owner):
    """An approved activity of `owner` that ended on 2026-09-15, for its supplementary
    information (tests/activities/nominating.py)."""
    from .nominating import make

    return make(owner)


@pytest.fixture
def image(owner):
    return factories.poster(owner)


@pytest.fixture
def submitter(client):
    """A signed-in submitter, for the editor's tests."""
    account = factories.submitter(real_name="王老师")
    client.force_login(account)
    return account


@pytest.fixture
def add_url():
    return ADD_URL.format(index=factories.index().pk)


# Page-cache fixtures shared by test_page_cache_wsgi and test_state_changes ---------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def app(settings):
    settings.PAGE_CACHE_SECONDS = 300
    django_app = WSGIHandler()
    calls = []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return django_app(environ, start_response)

    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        wrapped = PageCacheApplication(counting)
        wrapped.calls = calls
        yield wrapped
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def redis_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    }
    hot.stop()
    yield
    hot.stop()
