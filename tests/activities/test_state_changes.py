"""R17 with R28: an activity changes state with the clock alone (未开始 → 进行中 → 已结束),
and the listing, its counts, the API and cached pages follow the moment it does.

The listing's segment counts (ongoing, upcoming, ended) were kept for a minute under a key
blind to the clock, and each segment's rows were read by them: after an activity started,
the 进行中 filter showed nothing for up to a minute, a province said three activities and
showed two, and the default listing dropped the activity from every page. The page cache
kept a detail page's 未开始, and the API's "upcoming", for five minutes after the start."""

import datetime
from unittest import mock

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.utils import timezone

from tests import factories

from .conftest import titles
from .test_page_cache_wsgi import needs_redis

pytestmark = pytest.mark.django_db


def at(moment, seconds):
    return moment + datetime.timedelta(seconds=seconds)


def activity(owner, image, title, start, end):
    return factories.activity(
        owner, publish=True, poster=image, title=title, start_at=start, end_at=end
    )


def total(response):
    return BeautifulSoup(response.content, "html.parser").select_one(".listing-count").text


def every_page(client, **params):
    """Every card of the listing, page by page, and the total it states."""
    shown, number = [], 1
    while True:
        response = client.get("/activities/", {**params, "page": number})
        assert response.status_code == 200
        shown += titles(response)
        if number >= response.context["paginator"].num_pages:
            return shown, total(response)
        number += 1


def badges(response, selector):
    soup = BeautifulSoup(response.content, "html.parser")
    return [badge.get_text(strip=True) for badge in soup.select(selector)]


@pytest.fixture
def now():
    # Whole seconds, so that a start half a second on is half a second on.
    return timezone.now().replace(microsecond=0)


def test_the_ongoing_filter_shows_and_counts_an_activity_the_moment_it_starts(
    client, owner, image, now
):
    """The audit's 进行中 showing 0 while one was in progress."""
    activity(owner, image, "即将开始的天文讲座", at(now, 30), at(now, 7200))
    activity(owner, image, "下周的机器人展览", at(now, 7 * 86400), at(now, 7 * 86400 + 3600))
    with time_machine.travel(now, tick=False) as clock:
        response = client.get("/activities/", {"state": "ongoing"})
        assert titles(response) == [] and "共 0 个活动" in total(response)
        clock.shift(31)
        response = client.get("/activities/", {"state": "ongoing"})
        assert titles(response) == ["即将开始的天文讲座"]
        assert "共 1 个活动" in total(response)
        upcoming = client.get("/activities/", {"state": "upcoming"})
        assert titles(upcoming) == ["下周的机器人展览"] and "共 1 个活动" in total(upcoming)


def test_no_page_drops_or_repeats_an_activity_that_started_or_ended_since_counting(
    client, owner, image, now, monkeypatch
):
    """Two cards a page: the segments' counts made before the start and the end must not
    be the ones the rows are read by after them."""
    monkeypatch.setattr("activities.listing.PER_PAGE", 2)
    activity(owner, image, "早结束的展览", at(now, -3600), at(now, 20))
    activity(owner, image, "进行中的讲座", at(now, -3600), at(now, 7200))
    activity(owner, image, "即将开始的讲座", at(now, 30), at(now, 10800))
    activity(owner, image, "明天的讲座", at(now, 86400), at(now, 90000))
    activity(owner, image, "昨天的讲座", at(now, -86400), at(now, -82800))
    activity(owner, image, "前天的讲座", at(now, -172800), at(now, -169200))
    with time_machine.travel(now, tick=False) as clock:
        shown, _stated = every_page(client)
        assert shown == [
            "早结束的展览",
            "进行中的讲座",
            "即将开始的讲座",
            "明天的讲座",
            "昨天的讲座",
            "前天的讲座",
        ]
        clock.shift(31)
        shown, stated = every_page(client)
        assert shown == [
            "进行中的讲座",
            "即将开始的讲座",
            "明天的讲座",
            "早结束的展览",
            "昨天的讲座",
            "前天的讲座",
        ]
        assert "共 6 个活动" in stated
        # A filter's count says what it shows (the audit's province of 3 showing 2).
        ongoing = client.get("/activities/", {"province": "440000", "state": "ongoing"})
        assert len(titles(ongoing)) == 2 and "共 2 个活动" in total(ongoing)


def test_counts_from_before_a_state_change_never_serve_after_it_even_while_lagging(
    client, owner, image, now, monkeypatch, settings
):
    """At the peak the last counts serve for RECOUNT_SECONDS after a publication; counts
    from before an activity started are not among them, since the rows of each segment are
    read by them."""
    settings.RECOUNT_SECONDS = 10
    monkeypatch.setattr("activities.listing.PER_PAGE", 1)
    activity(owner, image, "进行中的讲座", at(now, -3600), at(now, 3600))
    activity(owner, image, "五秒后开始的讲座", at(now, 5), at(now, 7200))
    activity(owner, image, "三天后的讲座", at(now, 3 * 86400), at(now, 3 * 86400 + 3600))
    with time_machine.travel(now, tick=False) as clock:
        assert titles(client.get("/activities/", {"page": 2})) == ["五秒后开始的讲座"]
        clock.shift(1)
        activity(owner, image, "五天后的讲座", at(now, 5 * 86400), at(now, 5 * 86400 + 3600))
        clock.shift(5)
        shown, stated = every_page(client)
        assert shown == ["进行中的讲座", "五秒后开始的讲座", "三天后的讲座", "五天后的讲座"]
        assert "共 4 个活动" in stated


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300


def test_cached_pages_are_kept_no_longer_than_until_an_activity_they_show_starts(
    client, owner, image, now, page_cache
):
    """A detail page until its own start, the listing and the API until any activity's;
    to the instant, though the cache counts whole seconds."""
    starting = activity(owner, image, "半分钟后开始的讲座", at(now, 30.5), at(now, 7200))
    later = activity(owner, image, "下周的讲座", at(now, 7 * 86400), at(now, 7 * 86400 + 3600))
    api = "/api/v2/activities/?fields=state"
    with time_machine.travel(now, tick=False) as clock:
        assert badges(client.get(starting.url), ".activity__badges .badge")[0] == "未开始"
        assert client.get("/activities/").headers["X-Page-Cache"] == "miss"
        assert client.get(api).json()["items"][0]["state"] == "upcoming"
        assert client.get(later.url).headers["X-Page-Cache"] == "miss"
        clock.shift(10)
        for url in (starting.url, "/activities/", api, later.url):
            assert client.get(url).headers["X-Page-Cache"] == "hit", url
        clock.shift(20.6)  # 0.1 s after the start
        detail = client.get(starting.url)
        assert detail.headers["X-Page-Cache"] == "miss"
        assert badges(detail, ".activity__badges .badge")[0] == "进行中"
        listing = client.get("/activities/")
        assert listing.headers["X-Page-Cache"] == "miss"
        assert badges(listing, ".activity-card__badges .badge")[0] == "进行中"
        assert client.get(api).json()["items"][0]["state"] == "ongoing"
        # Another activity's page did not change: still the stored one.
        assert client.get(later.url).headers["X-Page-Cache"] == "hit"


@pytest.fixture
def hot_layer(redis_cache, app):
    """The production path: hits answered before Django (PageCacheApplication) from the
    shared cache (Redis) and from this process's memory (HotPages)."""
    from activities.cache import hot

    from .test_page_cache_wsgi import _wait_for

    assert _wait_for(hot.enabled), "the bump channel subscription did not start"
    return app


@needs_redis
def test_the_in_process_layer_lets_a_page_go_the_moment_its_activity_starts(
    owner, image, now, hot_layer
):
    from activities import cache as page_cache

    from .test_page_cache_wsgi import get

    starting = activity(owner, image, "半分钟后开始的讲座", at(now, 30.5), at(now, 7200))
    path = starting.url
    with time_machine.travel(now, tick=False) as clock:
        get(hot_layer, path)  # rendered, stored in Redis
        get(hot_layer, path)  # read from Redis, kept in this process
        with mock.patch.object(page_cache, "cache_get", side_effect=AssertionError("Redis")):
            assert get(hot_layer, path)["headers"]["X-Page-Cache"] == "hit"
        assert len(hot_layer.calls) == 1
        clock.shift(30.6)
        answer = get(hot_layer, path)
    assert len(hot_layer.calls) == 2
    assert '<span class="badge badge--ok">进行中</span>' in answer["body"]
