"""The bounded ranked search (search/ranked.py, #8, R29): title matches before matches in
the details alone, newest first among equals, and never more candidates than the bound,
on SQLite and PostgreSQL alike."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import ActivityPage
from search import ranked
from tests import factories
from tests.search.conftest import PLAIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(publish):
    return {
        "body_old": publish("周末社区活动一", details="<p>一起观察陨石标本。</p>"),
        "title": publish("陨石科普展"),
        "body_new": publish("周末社区活动二", details="<p>讲解陨石的来历。</p>"),
        "none": publish("湿地观鸟自然研学"),
    }


def test_title_matches_come_first_then_the_newest_details_matches(pages):
    """On PostgreSQL the index's title column held the title unsegmented ("陨石科普展" one
    token), so 陨石 never matched it and every result ranked newest first
    (search/fields.py)."""
    ids = ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 10)
    assert ids == [pages["title"].pk, pages["body_new"].pk, pages["body_old"].pk]


def test_no_more_results_than_asked_or_candidates_allowed(pages):
    matches = {pages["title"].pk, pages["body_new"].pk, pages["body_old"].pk}
    assert set(ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 10)) == matches
    assert len(ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 1)) == 1
    with mock.patch.object(ranked, "CANDIDATES", 2):
        bounded = ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 10)
    # At most CANDIDATES title matches are ranked (one here), then details matches.
    assert set(bounded) <= matches and len(bounded) in (2, 3)


def test_enough_title_matches_need_no_search_of_the_details(pages):
    """A common word matches the titles of tens of thousands of activities: then the
    details are not searched at all, on PostgreSQL and SQLite alike (SQLite ranked every
    match of titles and details at once: half a second for 科普 at 100,000 activities)."""
    with CaptureQueriesContext(connection) as queries:
        assert ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 1) == [pages["title"].pk]
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        ids = ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 10)
    assert len(ids) == 3 and len(queries) == 2


def test_drafts_and_waiting_activities_never_crowd_out_live_ones(pages):
    """The index holds every saved activity, drafts and those waiting for review included
    (the admin searches them). The best `limit` are taken among the queryset's own (live)
    activities: taking them from the whole index first and keeping the live ones after
    returned fewer results than there were, or none (R29)."""
    owner = factories.submitter()
    image = factories.poster(owner)
    drafts = [
        factories.activity(owner, title="陨石科普展", details=PLAIN, poster=image) for _ in range(3)
    ]
    assert all(not draft.live for draft in drafts)
    # The drafts are in the index and rank with the live title match.
    assert {draft.pk for draft in drafts} <= set(
        ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 3 + 1)
    )
    assert ranked.ranked_ids(ActivityPage.objects.live(), "陨石", 1) == [pages["title"].pk]
    assert ranked.ranked_ids(ActivityPage.objects.live(), "陨石", 10) == [
        pages["title"].pk,
        pages["body_new"].pk,
        pages["body_old"].pk,
    ]


def test_filters_apply_before_the_bound(client, pages):
    """A common word searched in one province returns that province's matches, not its
    share of the national best MAX_SEARCH_HITS (R28, R29): the listing's filtered
    activities go into the ranked search."""
    owner = factories.submitter()
    image = factories.poster(owner)
    elsewhere = [
        factories.activity(
            owner,
            publish=True,
            poster=image,
            title="陨石科普展",
            details=PLAIN,
            province_id="110000",
            city_id=None,
        )
        for _ in range(3)
    ]
    with mock.patch("activities.listing.MAX_SEARCH_HITS", 2):
        national = client.get("/search/", {"q": "陨石"}).content.decode()
        guangdong = client.get("/search/", {"q": "陨石", "province": "440000"}).content.decode()
    # Nationally, Beijing's newer title matches fill the two places.
    assert sum(page.url in national for page in elsewhere) == 2
    assert not any(page.url in national for page in pages.values())
    # In Guangdong, its own two best: the title match, then the newest details match.
    assert pages["title"].url in guangdong and pages["body_new"].url in guangdong
    assert not any(page.url in guangdong for page in elsewhere)


def test_candidates_are_read_twice_the_limit_first_then_up_to_the_bound(pages):
    """Reading candidates is what grows with the index. Twice the limit are read first;
    the full bound only when those were not enough and more may exist."""
    with CaptureQueriesContext(connection) as queries:
        assert ranked.ranked_ids(ActivityPage.objects.live(), "陨石", 1) == [pages["title"].pk]
    assert len(queries) == 1  # one title candidate, and it passed
    beijing = ActivityPage.objects.live().filter(province_id="110000")
    with CaptureQueriesContext(connection) as queries:
        assert ranked.ranked_ids(beijing, "陨石", 1) == []
    # Titles, then details: each read within twice the limit, then within the bound.
    assert len(queries) == 4
    assert all("LIMIT 2" in q["sql"] for q in queries.captured_queries[::2])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner")
def test_sqlite_reads_the_full_text_index_first(pages):
    """Without table statistics SQLite's planner preferred the content type index: it read
    every index entry of the type and ran the MATCH once for each (13 s for 科普 at
    100,000 activities). The candidates must come from the FTS5 table."""
    with CaptureQueriesContext(connection) as queries:
        ranked.ranked_ids(ActivityPage.objects.live(), "陨石", 10)
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            steps = [row[-1] for row in cursor.fetchall()]
            first = next(step for step in steps if "wagtailsearch_indexentry" in step)
            assert first.startswith("SCAN wagtailsearch_indexentry_fts"), steps
