"""Cards kept in each process's memory (activities/cards.py, #8): a listing reads only the
columns of its cards' keys and builds only the cards it has not built before. Every input
of a card is in its key, so whatever changes a card shows at once, through real requests
with the page cache off (R27, R28, R29)."""

import datetime

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.cards import memory
from activities.models import ActivityIndexPage, ActivityPage, ActivityType
from activities.nomination_models import Nomination
from tests import factories

pytestmark = pytest.mark.django_db


def _cards(client, url="/activities/", params=None, **headers):
    soup = BeautifulSoup(client.get(url, params or {}, **headers).content.decode(), "html.parser")
    return soup.select("li.activity-card")


def _card_of(client, page, url="/activities/", params=None, **headers):
    for item in _cards(client, url, params, **headers):
        if item.select_one("a")["href"] == page.url:
            return item
    raise AssertionError(f"no card for {page.title}")


def _full_row_queries(queries):
    """The query that reads a card's shown columns (the activity type's name among them)."""
    return [q for q in queries if '"activities_activitytype"."name"' in q["sql"]]


def test_a_second_view_builds_no_card_and_shows_the_same(client, owner, image):
    for number in range(3):
        factories.activity(owner, publish=True, poster=image, title=f"海洋科普展{number}")
    first = client.get("/activities/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/activities/").content.decode()
    assert second == first
    assert _full_row_queries(queries.captured_queries) == []
    memory.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/activities/").content.decode() == first
    assert len(_full_row_queries(queries.captured_queries)) == 1


def test_a_published_change_shows_at_once(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image, title="湿地观鸟自然研学")
    assert _card_of(client, page).select_one("h2").get_text() == "湿地观鸟自然研学"
    page = ActivityPage.objects.get(pk=page.pk)
    page.title = "湿地观鸟与标本制作"
    page.save_revision(user=owner).publish()
    assert _card_of(client, page).select_one("h2").get_text() == "湿地观鸟与标本制作"


def test_a_recommendation_shows_at_once_even_without_signals(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image)
    assert not _card_of(client, page).select(".badge--recommended")
    Nomination.objects.create(page=page)
    # update() sends no signal: the card's key reads the flag itself.
    Nomination.objects.filter(page=page).update(recommended=True)
    assert _card_of(client, page).select(".badge--recommended")


def test_a_renamed_type_shows_at_once(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image)
    assert "科普讲座" in _card_of(client, page).get_text()
    kind = ActivityType.objects.get(pk=page.activity_type_id)
    kind.name = "科学讲座"
    kind.save()
    assert "科学讲座" in _card_of(client, page).get_text()


def test_a_moved_activity_links_to_its_new_address(client, owner, image):
    """A move writes no revision; it bumps the site version, and the card's key also
    holds the page's URL path."""
    page = factories.activity(owner, publish=True, poster=image, title="青少年机器人大赛")
    other = (
        factories.index()
        .get_parent()
        .add_child(instance=ActivityIndexPage(title="往届活动", slug="archive"))
    )
    old = _card_of(client, page, "/search/", {"q": "机器人"})
    page.move(other, pos="last-child")
    page = ActivityPage.objects.get(pk=page.pk)
    assert page.url.startswith("/archive/")
    assert old.select_one("a")["href"] != page.url
    assert _card_of(client, page, "/search/", {"q": "机器人"})


def test_the_state_badge_follows_the_clock(client, owner, image):
    start = timezone.now() + datetime.timedelta(days=2)
    page = factories.activity(
        owner,
        publish=True,
        poster=image,
        start_at=start,
        end_at=start + datetime.timedelta(hours=2),
    )
    assert _card_of(client, page).select_one(".badge--warn")  # upcoming
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        assert _card_of(client, page).select_one(".badge--ok")  # ongoing
    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        assert _card_of(client, page).select_one(".badge--neutral")  # ended


def test_each_language_has_its_own_cards(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image)
    assert "线下" in _card_of(client, page).get_text()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _card_of(client, page)
    assert "Offline" in english.get_text() and "线下" not in english.get_text()


def test_search_words_are_marked_on_kept_cards_and_only_there(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image, title="青少年机器人大赛")
    assert not _card_of(client, page).select("mark")  # now kept
    found = _card_of(client, page, "/search/", {"q": "机器人"})
    assert found.select_one("h2 mark").get_text() == "机器人"
    assert not _card_of(client, page).select("mark")


def test_kept_cards_are_named_without_building_activity_objects(client, owner, image, monkeypatch):
    """#8: a page of cards reads their keys as CardKeys; ActivityPage objects are built
    only for the cards not kept yet (building twenty took 1.5 ms of every listing)."""
    for number in range(3):
        factories.activity(owner, publish=True, poster=image, title=f"天文观测夜{number}")
    # The home page's first view creates the campaign settings, which bumps the site
    # version (and so every card's key): seen once before counting.
    assert client.get("/").status_code == 200
    first = client.get("/activities/").content.decode()
    built = []
    original = ActivityPage.from_db.__func__

    def counting(cls, *args, **kwargs):
        built.append(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(ActivityPage, "from_db", classmethod(counting))
    assert client.get("/activities/").content.decode() == first
    assert ActivityPage not in built, "listing"
    assert client.get("/").status_code == 200
    assert ActivityPage not in built, "home"
    assert client.get("/search/", {"q": "天文"}).status_code == 200
    assert ActivityPage not in built, "search"
    memory.clear()
    assert client.get("/activities/").content.decode() == first
    assert built.count(ActivityPage) == 3
