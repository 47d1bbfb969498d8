"""Page-cache hits answered before Django's handler (activities.cache.PageCacheApplication,
#8): the same pages, headers and invalidation as PageCacheMiddleware, and everything that
is not a current hit goes to Django unchanged (R27, R31)."""

import logging
import os
import time
from unittest import mock

import pytest
from django.test import RequestFactory

from activities import cache as page_cache
from activities.cache import hot
from tests import factories

from .conftest import REDIS_URL

pytestmark = pytest.mark.django_db


def get(app, path, method="GET", **headers):
    request = getattr(RequestFactory(), method.lower())(path, **headers)
    # The factory's request decoded PATH_INFO in its environ; a WSGI server passes the
    # URL's bytes as latin-1 text.
    environ = dict(request.environ)
    environ["PATH_INFO"] = environ["PATH_INFO"].encode().decode("iso-8859-1")
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    try:
        answer["body"] = b"".join(chunks).decode()
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer


def test_second_request_is_a_hit_with_the_middlewares_headers(app, owner, image, caplog):
    factories.activity(owner, publish=True, poster=image, title="海洋科普展")
    first = get(app, "/activities/")
    assert first["status"] == 200 and first["headers"]["X-Page-Cache"] == "miss"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="config.access"):
        second = get(app, "/activities/", HTTP_X_REQUEST_ID="proxy-id-12345678")
    assert app.calls == ["/activities/"]  # the hit never reached Django
    assert second["status"] == 200 and second["headers"]["X-Page-Cache"] == "hit"
    assert second["body"] == first["body"] and "海洋科普展" in second["body"]
    headers = second["headers"]
    assert int(headers["Content-Length"]) == len(second["body"].encode())
    assert headers["X-Request-ID"] == "proxy-id-12345678"
    assert "Cookie" in headers["Vary"]
    # Security headers added below the cache are stored with the page.
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy"):
        assert headers.get(name) == first["headers"].get(name), name
    assert "Set-Cookie" not in headers
    [line] = [record for record in caplog.records if record.name == "config.access"]
    assert line.status == 200 and line.path == "/activities/"
    assert line.request_id == "proxy-id-12345678"


def test_chinese_paths_pass_through_and_hit(app, owner, image):
    """The path reaches Django undecoded on a miss (a decoded copy broke every detail
    page under gunicorn) and the detail page is a hit the second time."""
    page = factories.activity(owner, publish=True, poster=image, title="广州青少年机器人科普体验日")
    path = page.url
    assert "%E5%B9%BF" in path  # 广, percent-encoded
    first = get(app, path)
    assert first["status"] == 200 and page.title in first["body"]
    second = get(app, path)
    assert second["headers"]["X-Page-Cache"] == "hit" and len(app.calls) == 1
    missing = get(app, "/activities/%E4%B8%8D%E5%AD%98%E5%9C%A8/")  # 不存在
    assert missing["status"] == 404


def test_publishing_sends_the_next_request_to_django(app, owner, image):
    get(app, "/activities/")
    get(app, "/activities/")
    assert app.calls == ["/activities/"]
    factories.activity(owner, publish=True, poster=image, title="新批准的天文活动")
    fresh = get(app, "/activities/")
    assert app.calls == ["/activities/", "/activities/"]
    assert "新批准的天文活动" in fresh["body"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_COOKIE": "messages=xyz"},
        {"HTTP_COOKIE": "django_language=en"},
        {"QUERY_STRING": "page=2"},
    ],
)
def test_other_visitors_and_urls_are_not_served_this_page(app, headers):
    get(app, "/activities/")
    get(app, "/activities/", **headers)
    assert len(app.calls) == 2


def test_writes_and_per_user_paths_always_reach_django(app):
    for _ in range(2):
        get(app, "/admin/login/")
        get(app, "/search/", method="HEAD")
    assert len(app.calls) == 4


def test_a_failing_fast_path_falls_back_to_django(app, monkeypatch):
    get(app, "/activities/")

    def broken(*args, **kwargs):
        raise ValueError("unreadable request")

    monkeypatch.setattr(page_cache, "WSGIRequest", broken)
    answer = get(app, "/activities/")
    assert answer["status"] == 200 and len(app.calls) == 2


# The in-process layer (HotPages) ------------------------------------------------------


def _redis_answers():
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


needs_redis = pytest.mark.skipif(
    not _redis_answers() and not os.environ.get("CI"),
    reason=f"Redis not reachable at {REDIS_URL}: the in-process layer needs it",
)


def _wait_for(condition, seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@needs_redis
def test_hot_pages_skip_redis_until_another_process_announces_a_bump(app, redis_cache, owner):
    assert _wait_for(hot.enabled), "the bump channel subscription did not start"
    get(app, "/activities/")  # miss: rendered and stored in Redis
    get(app, "/activities/")  # hit from Redis: now also kept in this process
    with mock.patch.object(page_cache, "cache_get", side_effect=AssertionError("read Redis")):
        answer = get(app, "/activities/")
    assert answer["headers"]["X-Page-Cache"] == "hit" and app.calls == ["/activities/"]

    # What another instance's bump() does: new tokens in Redis, then the announcement.
    page_cache.cache.set_many({page_cache._VERSION_PREFIX + "listing": "elsewhere"}, None)
    from django_redis import get_redis_connection

    get_redis_connection("default").publish(hot.channel, b"1")
    assert _wait_for(lambda: not hot._entries, 2.0), "the announcement did not empty the layer"
    get(app, "/activities/")
    assert app.calls == ["/activities/", "/activities/"]


@needs_redis
def test_a_bump_in_this_process_empties_the_layer_at_once(app, redis_cache, owner, image):
    assert _wait_for(hot.enabled)
    get(app, "/activities/")
    get(app, "/activities/")
    assert hot._entries
    factories.activity(owner, publish=True, poster=image, title="同一进程发布的活动")
    assert not hot._entries
    assert "同一进程发布的活动" in get(app, "/activities/")["body"]


@needs_redis
def test_an_entry_checked_before_a_bump_is_not_kept(redis_cache):
    assert _wait_for(hot.enabled)
    entry = {"deps": [], "versions": [], "stored": time.time(), "content": b"", "headers": []}
    generation = hot.generation
    hot.invalidate(announce=False)  # a bump lands between the check and the put
    hot.put("key", entry, generation)
    assert hot.get("key") is None
    hot.put("key", entry, hot.generation)
    assert hot.get("key") is entry


@needs_redis
def test_other_sites_on_the_same_redis_do_not_empty_the_layer(redis_cache):
    assert _wait_for(hot.enabled)
    hot.put("key", {"stored": time.time()}, hot.generation)
    from django.conf import settings
    from django_redis import get_redis_connection

    caches = settings.CACHES
    settings.CACHES = {"default": {**caches["default"], "KEY_PREFIX": "another-site"}}
    other = hot.channel  # what a site with another key prefix announces on
    settings.CACHES = caches
    assert other != hot.channel
    get_redis_connection("default").publish(other, b"1")
    time.sleep(0.3)
    assert hot.get("key") is not None


@needs_redis
def test_old_entries_and_a_lost_channel_fall_back_to_redis(redis_cache, settings):
    assert _wait_for(hot.enabled)
    old = {"deps": [], "versions": [], "stored": time.time() - settings.PAGE_CACHE_SECONDS}
    hot.put("old", old, hot.generation)
    assert hot.get("old") is None  # no older than the shared cache keeps pages
    # A page rendered from lagging counts is kept for its own, shorter lifetime.
    lagging = {**old, "stored": time.time() - 6, "seconds": 5}
    hot.put("lagging", lagging, hot.generation)
    assert hot.get("lagging") is None
    hot.put("lagging", {**lagging, "stored": time.time() - 4}, hot.generation)
    assert hot.get("lagging") is not None
    fresh = {**old, "stored": time.time()}
    hot.put("fresh", fresh, hot.generation)
    hot._listening.clear()  # the subscription is down: nothing is served from memory
    assert hot.get("fresh") is None


def test_without_redis_the_layer_is_off(app):
    get(app, "/activities/")
    get(app, "/activities/")
    assert not hot.enabled() and not hot._entries


@needs_redis
def test_a_stopped_listener_leaves_its_successors_pages_alone(redis_cache):
    """The listener stopped last (its thread ends within a second of stop()) used to empty
    the layer as it ended, taking the pages its successor had kept since."""
    assert _wait_for(hot.enabled)
    hot.stop()
    assert _wait_for(hot.enabled)  # a new listener
    hot.put("key", {"stored": time.time()}, hot.generation)
    time.sleep(1.5)  # the old one has ended by now
    assert hot.get("key") is not None
