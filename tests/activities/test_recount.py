"""#8, the September peak: a kept count (a listing's total, a search's ranked ids, the
statistics, the sitemap) that expires is counted by one request at a time. Before, every
request in flight counted it at once (eight 1-second counts at a million activities on two
cores) and a burst of visitors waited seconds."""

import datetime
import re
import threading
import time

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from activities import cache as page_cache
from activities.cache import recounted
from home.models import HOME_COUNTS_SECONDS, CampaignSettings
from tests import factories

from .conftest import titles
from .test_scale import add_activities, cache_state


class Counter:
    def __init__(self, value, seconds=0.0):
        self.value = value
        self.seconds = seconds
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return self.value


def lags_until():
    """What a page rendered from the values read so far may be kept until."""
    until = [float("inf")]
    token = page_cache._lags_until.set(until)
    return until, token


def test_requests_in_flight_count_an_expired_value_once(settings):
    settings.RECOUNT_SECONDS = 10
    count = Counter([7], seconds=0.3)
    results = []

    def visit():
        results.append(recounted("exact:v2", "latest", count, 60))

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count.calls == 1
    # Nothing counted before: the others waited for the count, exact.
    assert results == [([7], False)] * 8
    assert cache.get("recount:claim:exact:v2") is None


def test_while_another_counts_the_last_count_shows_and_pages_keep_it_a_second(settings):
    settings.RECOUNT_SECONDS = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert recounted("exact:v1", "latest", Counter([3]), 60) == ([3], False)
        # Later, after publications: the window has passed, another request counts.
        clock.shift(90)
        cache.add("recount:claim:exact:v2", 1)
        count = Counter([5])
        until, token = lags_until()
        try:
            assert recounted("exact:v2", "latest", count, 60) == ([3], True)
        finally:
            page_cache._lags_until.reset(token)
        assert count.calls == 0
        assert until[0] == pytest.approx(time.time() + 1)
        # Its count done, the exact value serves.
        cache.delete("recount:claim:exact:v2")
        assert recounted("exact:v2", "latest", count, 60) == ([5], False)
        assert count.calls == 1


def test_a_claim_lost_with_its_process_delays_the_count_only_briefly(settings, monkeypatch):
    settings.RECOUNT_SECONDS = 10
    monkeypatch.setattr(page_cache, "RECOUNT_WAIT_SECONDS", 0.1)
    cache.add("recount:claim:exact:v1", 1)
    count = Counter([4])
    started = time.monotonic()
    assert recounted("exact:v1", "latest", count, 60) == ([4], False)
    assert count.calls == 1 and time.monotonic() - started < 1


def test_a_failed_count_releases_its_claim(settings):
    settings.RECOUNT_SECONDS = 10

    def failing():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        recounted("exact:v1", "latest", failing, 60)
    assert cache.get("recount:claim:exact:v1") is None
    assert recounted("exact:v1", "latest", Counter([2]), 60) == ([2], False)


def test_exact_counts_wait_for_another_count_rather_than_show_an_old_one(settings):
    """RECOUNT_SECONDS = 0 asks for exact counts: no earlier count is shown."""
    settings.RECOUNT_SECONDS = 0
    assert recounted("exact:v1", "latest", Counter([3]), 60) == ([3], False)
    cache.add("recount:claim:exact:v2", 1)

    def finish():
        time.sleep(0.1)
        cache.set("exact:v2", [5], 60)

    finisher = threading.Thread(target=finish)
    finisher.start()
    count = Counter([9])
    assert recounted("exact:v2", "latest", count, 60) == ([5], False)
    finisher.join()
    assert count.calls == 0


@pytest.fixture
def two_live(db, settings):
    """Two live activities, the recount window on, and the clock stopped."""
    settings.RECOUNT_SECONDS = 10
    owner = factories.submitter()
    image = factories.poster(owner)
    add_activities(owner, image, 2, "癸")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        yield owner, image, clock


def counting(client, url):
    """The response and how many COUNT queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len([q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()])


def test_a_listing_counted_elsewhere_shows_the_last_total_and_an_exact_first_page(
    client, settings, monkeypatch, two_live
):
    """Through the site: while another request counts the listing's total, page 1 is read
    exactly (a new activity shows), no COUNT runs here, and the page is cached for a
    second only."""
    owner, image, clock = two_live
    settings.PAGE_CACHE_SECONDS = 300
    assert "共 2 个活动" in client.get("/activities/").content.decode()
    factories.activity(owner=owner, publish=True, title="别处正在计数时批准", poster=image)
    clock.shift(30)
    monkeypatch.setattr(page_cache, "_claim", lambda key: False)
    response, counted = counting(client, "/activities/")
    assert counted == 0 and "别处正在计数时批准" in titles(response)
    assert cache_state(response) == "miss"
    # Kept a second, not until the next publication: then counted here.
    clock.shift(2)
    monkeypatch.undo()
    again, counted = counting(client, "/activities/")
    assert cache_state(again) == "miss" and counted == 1
    assert "共 3 个活动" in again.content.decode()


@pytest.fixture
def two_live_mid_year(db, settings):
    """As two_live, in the middle of the campaign's year: the home page counts that year's
    activities, and activities around today would straddle New Year at its turn."""
    settings.RECOUNT_SECONDS = 10
    with time_machine.travel(
        datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
        campaign.year = 2026
        campaign.save()
        owner = factories.submitter()
        image = factories.poster(owner)
        add_activities(owner, image, 2, "癸")
        yield owner, image, clock


def home_total(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return int(re.search(r"\d+", soup.select_one(".stats__total").get_text()).group())


def test_the_home_pages_totals_are_counted_by_one_request_when_they_expire(
    client, monkeypatch, two_live_mid_year
):
    """The burst measured at a million activities: 64 visitors arriving as the home page's
    five-minute totals expired got no answer for 8 s (every request in flight counted
    them). Now the others show the previous totals, and pages keep them a second."""
    owner, image, clock = two_live_mid_year
    assert home_total(client.get("/")) == 2
    add_activities(owner, image, 1, "乙")
    # Within five minutes the totals are kept (not per publication, by design).
    clock.shift(HOME_COUNTS_SECONDS - 10)
    assert home_total(client.get("/")) == 2
    clock.shift(20)
    monkeypatch.setattr(page_cache, "_claim", lambda key: False)
    counted_elsewhere, counted = counting(client, "/")
    assert home_total(counted_elsewhere) == 2 and counted == 0
    monkeypatch.undo()
    assert home_total(client.get("/")) == 3


def test_with_redis_down_each_request_counts_at_once(settings):
    """django-redis swallows the outage (IGNORE_EXCEPTIONS) and answers None to the claim:
    that is no one else counting, so nothing to wait for."""
    settings.RECOUNT_SECONDS = 10
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    count = Counter([6])
    started = time.monotonic()
    assert recounted("exact:v1", "latest", count, 60) == ([6], False)
    assert recounted("exact:v1", "latest", count, 60) == ([6], False)
    assert count.calls == 2 and time.monotonic() - started < 2
