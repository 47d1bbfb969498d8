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

pytestmark = pytest.mark.django_db

PLAIN = "<p>社区居民一起参加的周末活动。</p>"


@pytest.fixture
def pages():
    owner = factories.submitter()
    image = factories.poster(owner)

    def make(title, details=PLAIN):
        return factories.activity(owner, publish=True, poster=image, title=title, details=details)

    return {
        "body_old": make("周末社区活动一", "<p>一起观察陨石标本。</p>"),
        "title": make("陨石科普展"),
        "body_new": make("周末社区活动二", "<p>讲解陨石的来历。</p>"),
        "none": make("湿地观鸟自然研学"),
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
    # PostgreSQL ranks at most CANDIDATES matches; SQLite's FTS5 ranks every match.
    assert set(bounded) <= matches and len(bounded) in (2, 3)


def test_enough_title_matches_need_no_search_of_the_details(pages):
    """A common word matches the titles of tens of thousands of activities: then the
    details' index is not read at all (PostgreSQL; SQLite's FTS5 ranks in one query)."""
    with CaptureQueriesContext(connection) as queries:
        assert ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 1) == [pages["title"].pk]
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        ids = ranked.ranked_ids(ActivityPage.objects.all(), "陨石", 10)
    assert len(ids) == 3 and len(queries) == (2 if connection.vendor == "postgresql" else 1)
