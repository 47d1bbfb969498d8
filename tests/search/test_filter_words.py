"""Filter words (search/filters.py, #8 with R28/R29): a listing's equality filters are
indexed as words beside each activity's title, so a search within one province or of one
type reads its candidates among that province's or type's activities only."""

import datetime
import importlib
import types
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from wagtail.search import index as search_index
from wagtail.search.models import IndexEntry

from accounts import roles
from activities.models import ActivityPage, Nomination
from activities.nomination_views import mark
from search import ranked
from search.fields import FilterWordsField
from search.filters import filter_word, filter_words, month_words, months_touching
from search.segment import segment_query
from tests import factories
from tests.activities.nominating import complete_nomination

pytestmark = pytest.mark.django_db

PLAIN = "<p>社区居民一起参加的周末活动。</p>"
BEIJING = {"province_id": "110000", "city_id": None}
SHANGHAI_TIME = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI_TIME)


def entry_of(page):
    entry = IndexEntry.objects.get(
        content_type=ContentType.objects.get_for_model(ActivityPage), object_id=str(page.pk)
    )
    # PostgreSQL keeps the title's text beside its vector; SQLite the text itself.
    return entry, getattr(entry, "title_text", None) or entry.title


def test_filter_words_are_one_token_of_letters_and_digits():
    assert filter_word("province", "440000") == "kpfprovince440000"
    assert filter_word("channel", "National_Society") == "kpfchannelnationalsociety"
    assert filter_word("youth", True) == "kpfyouth1"
    assert filter_words({"youth": False, "type": None, "mode": "", "province": "110000"}) == [
        "kpfprovince110000"
    ]


def test_dates_are_the_months_they_span_in_beijing_time():
    """An activity is found by every month it touches, in Beijing's calendar; one longer
    than a year is LONG, which every date-narrowed search accepts."""
    utc = datetime.UTC
    # 2025-09-30 23:30 in Beijing is still 15:30 UTC of the 30th; 10-01 00:30 is 16:30.
    assert month_words(at(2025, 9, 30, 23, 30), at(2025, 9, 30, 23, 45), SHANGHAI_TIME) == [
        "kpfmonth202509"
    ]
    assert month_words(
        at(2025, 10, 1, 0, 30).astimezone(utc), at(2025, 10, 2).astimezone(utc), SHANGHAI_TIME
    ) == ["kpfmonth202510"]
    assert month_words(at(2025, 11, 20), at(2026, 2, 3), SHANGHAI_TIME) == [
        "kpfmonth202511",
        "kpfmonth202512",
        "kpfmonth202601",
        "kpfmonth202602",
    ]
    assert month_words(at(2025, 1, 1), at(2026, 1, 1), SHANGHAI_TIME) == ["kpfmonthlong"]
    assert month_words(at(2025, 2, 1), at(2025, 1, 1), SHANGHAI_TIME) == ["kpfmonthlong"]
    assert month_words(None, at(2025, 1, 1), SHANGHAI_TIME) == []
    assert months_touching(at(2025, 12, 31), at(2026, 1, 1), SHANGHAI_TIME) == [
        "kpfmonth202512",
        "kpfmonth202601",
        "kpfmonthlong",
    ]
    assert months_touching(at(2000, 1, 1), at(2026, 1, 1), SHANGHAI_TIME) is None


def test_an_activity_is_indexed_with_its_filter_words_beside_its_title():
    page = factories.activity(publish=True, is_youth_festival=True)
    _entry, title = entry_of(page)
    for word in (
        "kpfprovince440000",
        f"kpftype{page.activity_type_id}",
        "kpfmodeoffline",
        "kpfchannelprovincial",
        "kpfyouth1",
        filter_word("month", page.start_at.astimezone(SHANGHAI_TIME).strftime("%Y%m")),
    ):
        assert word in title.split()


def test_visitors_cannot_search_for_filter_words(client):
    page = factories.activity(publish=True)
    assert segment_query("kpfprovince440000 天文") == "天文"
    response = client.get("/search/", {"q": "kpfprovince440000"})
    assert response.status_code == 200
    assert page.url not in response.content.decode()


def test_a_search_within_a_province_finds_its_matches_beyond_the_national_candidates(client):
    """With the candidates bounded at 3, Guangdong's five matches filled them and the
    Beijing ones were never read: nothing was found in Beijing (PostgreSQL). With the
    filter words the candidates are Beijing's own."""
    owner = factories.submitter()
    image = factories.poster(owner)

    def make(title, details=PLAIN, **fields):
        return factories.activity(
            owner, publish=True, poster=image, title=title, details=details, **fields
        )

    # Guangdong's first: the index is read in the order it was written.
    for _ in range(5):
        make("陨石科普展")
        make("周末社区活动", "<p>一起观察陨石标本。</p>")
    in_title = make("陨石知识讲座", **BEIJING)
    in_details = make("周末社区活动", "<p>讲解陨石的来历。</p>", **BEIJING)
    with mock.patch.object(ranked, "CANDIDATES", 3), mock.patch.object(ranked, "FIRST_PASS", 1):
        html = client.get("/search/", {"q": "陨石", "province": "110000"}).content.decode()
        typed = client.get(
            "/search/", {"q": "陨石", "province": "110000", "mode": "offline"}
        ).content.decode()
        online = client.get(
            "/search/", {"q": "陨石", "province": "110000", "mode": "online"}
        ).content.decode()
    assert in_title.url in html and in_details.url in html
    assert html.index(in_title.url) < html.index(in_details.url)
    assert in_title.url in typed and in_details.url in typed
    assert in_title.url not in online and in_details.url not in online


def test_searches_of_ongoing_or_upcoming_activities_or_of_a_month_find_them_all(
    client,
):
    """State and dates are not columns of equal values, but the months an activity spans
    are words too: "ongoing" narrows to this month's, a date range to its months'. Found
    at a million activities: 机器人 with state=ongoing showed 203 of its 949 title matches."""
    owner = factories.submitter()
    image = factories.poster(owner)
    now = timezone.now()
    day = datetime.timedelta(days=1)

    def make(title, start, end, details=PLAIN):
        return factories.activity(
            owner,
            publish=True,
            poster=image,
            title=title,
            details=details,
            start_at=start,
            end_at=end,
        )

    # Ended long ago, written first: they fill the bounded candidates.
    for _ in range(5):
        make("陨石科普展", now - 800 * day, now - 799 * day)
        make("周末社区活动", now - 800 * day, now - 799 * day, "<p>一起观察陨石标本。</p>")
    ongoing = make("陨石知识讲座", now - day, now + day)
    in_details = make("周末社区活动", now - day, now + day, "<p>讲解陨石的来历。</p>")
    # Spans three years: LONG, found by any date-narrowed search.
    long_one = make("陨石长期展览", now - 400 * day, now + 700 * day)
    upcoming = [
        make("陨石观测预告", now + 10 * day, now + 11 * day),
        make("陨石研学营", now + 100 * day, now + 500 * day),  # LONG
    ]
    today = timezone.localdate()
    month = {"from": (today - 3 * day).isoformat(), "to": (today + 3 * day).isoformat()}
    # Five ended title matches come first; the narrowed searches have at most four.
    with mock.patch.object(ranked, "CANDIDATES", 5), mock.patch.object(ranked, "FIRST_PASS", 1):
        current = client.get("/search/", {"q": "陨石", "state": "ongoing"}).content.decode()
        ranged = client.get("/search/", {"q": "陨石", **month}).content.decode()
        coming = client.get("/search/", {"q": "陨石", "state": "upcoming"}).content.decode()
    for page in (ongoing, in_details, long_one):
        assert page.url in current and page.url in ranged
        assert page.url not in coming
    for page in upcoming:
        assert page.url in coming and page.url not in current


def test_a_search_of_recommended_activities_finds_them_beyond_the_candidates(client):
    """Recommendations are written by one UPDATE (nomination_views.mark), which re-indexes
    the activities it marks: recommended ones get the word, unmarked ones lose it."""
    owner = factories.submitter()
    image = factories.poster(owner)
    for _ in range(5):
        factories.activity(owner, publish=True, poster=image, title="陨石科普展", details=PLAIN)
    best = factories.activity(owner, publish=True, poster=image, title="陨石知识讲座")
    complete_nomination(best)
    moderator = factories.user(roles.NATIONAL_MODERATORS)
    assert mark(Nomination.objects.filter(page=best), moderator, True) == 1
    assert "kpfrecommended1" in entry_of(best)[1].split()
    with mock.patch.object(ranked, "CANDIDATES", 3), mock.patch.object(ranked, "FIRST_PASS", 1):
        html = client.get("/search/", {"q": "陨石", "recommended": "1"}).content.decode()
    assert best.url in html
    mark(Nomination.objects.filter(page=best), moderator, False)
    assert "kpfrecommended1" not in entry_of(best)[1].split()


def test_an_activity_moved_to_another_province_is_found_there_only(client):
    owner = factories.submitter()
    page = factories.activity(owner, publish=True, title="陨石知识讲座", details=PLAIN)
    page.province_id, page.city_id = "110000", None
    page.save_revision(user=owner).publish()
    with mock.patch.object(ranked, "CANDIDATES", 3):
        beijing = client.get("/search/", {"q": "陨石", "province": "110000"}).content.decode()
        guangdong = client.get("/search/", {"q": "陨石", "province": "440000"}).content.decode()
    assert page.url in beijing
    assert page.url not in guangdong


def test_the_migration_adds_the_words_as_indexing_afresh_would(client, settings):
    """Activities indexed before the filter words get them from search/migrations/0002,
    the same as indexing them again would give; running it twice adds nothing. (Not the
    places' words, added since: those come with `update_index`, docs/search.md.)"""
    # Both searches rank afresh: a migration runs before the site serves.
    settings.SEARCH_IDS_SECONDS = 0
    migration = importlib.import_module("search.migrations.0002_filter_words")
    owner = factories.submitter()
    pages = [
        factories.activity(owner, publish=True, title="陨石知识讲座", details=PLAIN, **BEIJING),
        factories.activity(owner, publish=True, title="湿地观鸟", is_youth_festival=True),
    ]
    with mock.patch("activities.models.place_words", return_value=[]):
        for page in pages:
            search_index.insert_or_update_object(page)
    fresh = [entry_of(page) for page in pages]
    before_words = [f for f in ActivityPage.search_fields if not isinstance(f, FilterWordsField)]
    with mock.patch.object(ActivityPage, "search_fields", before_words):
        for page in pages:
            search_index.insert_or_update_object(page)
    old = [entry_of(page) for page in pages]
    assert all("kpf" not in title for _entry, title in old)
    with mock.patch.object(ranked, "CANDIDATES", 1):
        before = client.get("/search/", {"q": "陨石", "province": "110000"}).content.decode()
    if connection.vendor == "postgresql":
        assert pages[0].url not in before  # what an index without the words would miss

    editor = types.SimpleNamespace(connection=connection)
    migration.add_filter_words(apps, editor)
    migration.add_filter_words(apps, editor)

    for page, (fresh_entry, fresh_title) in zip(pages, fresh, strict=True):
        entry, title = entry_of(page)
        assert title == fresh_title
        assert str(entry.title) == str(fresh_entry.title)
    with mock.patch.object(ranked, "CANDIDATES", 1):
        after = client.get("/search/", {"q": "陨石", "province": "110000"}).content.decode()
    assert pages[0].url in after
