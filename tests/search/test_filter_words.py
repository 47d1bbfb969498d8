"""Filter words (search/filters.py, #8 with R28/R29): a listing's equality filters are
indexed as words beside each activity's title, so a search within one province or of one
type reads its candidates among that province's or type's activities only."""

import importlib
import types
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from wagtail.search import index as search_index
from wagtail.search.models import IndexEntry

from activities.models import ActivityPage
from search import ranked
from search.fields import FilterWordsField
from search.filters import filter_word, filter_words
from search.segment import segment_query
from tests import factories

pytestmark = pytest.mark.django_db

PLAIN = "<p>社区居民一起参加的周末活动。</p>"
BEIJING = {"province_id": "110000", "city_id": None}


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


def test_an_activity_is_indexed_with_its_filter_words_beside_its_title():
    page = factories.activity(publish=True, is_youth_festival=True)
    _entry, title = entry_of(page)
    for word in (
        "kpfprovince440000",
        f"kpftype{page.activity_type_id}",
        "kpfmodeoffline",
        "kpfchannelprovincial",
        "kpfyouth1",
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


def test_the_migration_adds_the_words_as_indexing_afresh_would(client):
    """Activities indexed before the filter words get them from search/migrations/0002,
    the same as indexing them again would give; running it twice adds nothing."""
    migration = importlib.import_module("search.migrations.0002_filter_words")
    owner = factories.submitter()
    pages = [
        factories.activity(owner, publish=True, title="陨石知识讲座", details=PLAIN, **BEIJING),
        factories.activity(owner, publish=True, title="湿地观鸟", is_youth_festival=True),
    ]
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
