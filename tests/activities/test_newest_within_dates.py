""" "Newest first" between two dates (#8, R28). On PostgreSQL it walks a GiST index of each
activity's dates and its rank (ActivityPage.newest_rank: first publication to the second,
then the id) nearest the top rank first; the B-tree of newest_key walked past everything
published later. These tests hold what it returns on both databases, that the rank is kept
wherever newest_key is, and on PostgreSQL that the plan is that walk."""

import datetime
import importlib
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.constants import NEVER_PUBLISHED, newest_rank
from activities.listing import PER_PAGE
from activities.models import ActivityPage
from activities.states import ActivityState
from tests import factories

from .conftest import titles

pytestmark = pytest.mark.django_db
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
FIRST, LAST = datetime.date(2026, 9, 1), datetime.date(2026, 9, 30)


def _at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=BEIJING)


def _dated(owner, image, title, start, end, published, **fields):
    """A published activity with these dates, first published at `published`."""
    page = factories.activity(owner, poster=image, title=title, **fields)
    page.save_revision(user=owner).publish()
    ActivityPage.objects.filter(pk=page.pk).update(
        first_published_at=published, start_at=start, end_at=end
    )
    page = ActivityPage.objects.get(pk=page.pk)
    page.save()  # derived fields, as a publication would set them
    return page


def _expected(state=None, moment=None, **filters):
    """The listing's meaning, in Python: overlapping September, newest first."""
    after = datetime.datetime.combine(LAST + datetime.timedelta(days=1), datetime.time(), BEIJING)
    first = datetime.datetime.combine(FIRST, datetime.time(), BEIJING)
    rows = [
        page
        for page in ActivityPage.objects.live().filter(**filters)
        if page.end_at >= first
        and page.start_at < after
        and (state is None or page.activity_state(moment) == state)
    ]
    rows.sort(key=lambda page: (page.newest_key, page.pk), reverse=True)
    return [page.title for page in rows]


def _listed(client, **params):
    found, number = [], 1
    while True:
        response = client.get(
            "/activities/",
            {
                "sort": "newest",
                "from": FIRST.isoformat(),
                "to": LAST.isoformat(),
                "page": number,
                **params,
            },
        )
        assert response.status_code == 200
        page = titles(response)
        found += page
        if len(page) < PER_PAGE:
            return found
        number += 1


@pytest.fixture
def september(owner, image):
    """Activities in, around and outside September 2026, published in an order unlike
    their dates, several within one second (the rank's tie is the id)."""
    base = datetime.datetime(2026, 6, 1, 8, tzinfo=datetime.UTC)
    same_second = base + datetime.timedelta(days=40, microseconds=250_000)
    plans = [
        ("九月初讲座", _at(FIRST), _at(FIRST, 12), base),
        ("跨八九月展览", _at(datetime.date(2026, 8, 20)), _at(datetime.date(2026, 9, 2)), base),
        ("跨九十月展览", _at(datetime.date(2026, 9, 29)), _at(datetime.date(2026, 10, 3)), base),
        ("八月底结束", _at(datetime.date(2026, 8, 1)), _at(datetime.date(2026, 8, 31), 23), base),
        ("十月一日开始", _at(datetime.date(2026, 10, 1), 0), _at(datetime.date(2026, 10, 2)), base),
        ("整个秋季", _at(datetime.date(2026, 8, 1)), _at(datetime.date(2026, 11, 30)), base),
    ]
    pages = []
    for number, (title, start, end, published) in enumerate(plans):
        moment = published + datetime.timedelta(hours=number * 7 % 5)
        pages.append(_dated(owner, image, title, start, end, moment))
    for number in range(PER_PAGE + 3):  # more than a page, all in one second
        day = FIRST + datetime.timedelta(days=number % 28)
        province = {"province_id": "110000", "city_id": None} if number % 3 == 0 else {}
        pages.append(
            _dated(
                owner,
                image,
                f"九月活动{number:02d}",
                _at(day),
                _at(day, 16),
                # Later ids published earlier within the second: ids alone would misorder.
                same_second + datetime.timedelta(microseconds=PER_PAGE + 3 - number),
                **province,
            )
        )
    return pages


def test_R28_newest_between_two_dates_is_every_overlapping_activity_newest_first(client, september):
    listed = _listed(client)
    assert listed == _expected()
    assert "八月底结束" not in listed and "十月一日开始" not in listed
    assert {"跨八九月展览", "跨九十月展览", "整个秋季", "九月初讲座"} <= set(listed)
    assert len(listed) == len(set(listed)) == PER_PAGE + 3 + 4


def test_R28_newest_between_two_dates_with_a_state_and_a_province(client, september):
    moment = timezone.now()
    for state in ActivityState.values:
        assert _listed(client, state=state) == _expected(state, moment)
    assert _listed(client, province="110000") == _expected(province_id="110000")


def test_R28_newest_between_dates_with_an_end_before_its_start_is_not_an_error(
    client, owner, image
):
    """The editor refuses such dates; a row written by other means must not break the
    listing (the index swaps them, the listing's own filters decide)."""
    page = _dated(owner, image, "日期颠倒", _at(FIRST), _at(FIRST), timezone.now())
    ActivityPage.objects.filter(pk=page.pk).update(end_at=_at(FIRST) - datetime.timedelta(days=2))
    response = client.get(
        "/activities/", {"sort": "newest", "from": "2026-08-01", "to": "2026-09-30"}
    )
    assert response.status_code == 200
    assert _listed(client) == []


def test_the_rank_follows_first_publication(owner, image):
    draft = factories.activity(owner, poster=image, title="草稿")
    draft = ActivityPage.objects.get(pk=draft.pk)
    assert draft.newest_rank == newest_rank(NEVER_PUBLISHED, draft.pk)
    draft.save_revision(user=owner).publish()
    published = ActivityPage.objects.get(pk=draft.pk)
    assert published.newest_rank == newest_rank(published.first_published_at, published.pk)
    copy = published.copy(
        update_attrs={"title": "副本", "slug": "a-copy"}, keep_live=True, user=owner
    )
    copy = ActivityPage.objects.get(pk=copy.pk)
    assert copy.newest_rank == newest_rank(copy.first_published_at, copy.pk)
    # Ranks order as (newest_key, id) does, to the second.
    later = newest_rank(published.first_published_at + datetime.timedelta(seconds=1), 1)
    assert later > published.newest_rank > newest_rank(NEVER_PUBLISHED, 2**31 - 1)


def test_the_migration_ranks_existing_activities_as_the_model_does(owner, image, september):
    migration = importlib.import_module("activities.migrations.0009_newest_rank")
    expected = dict(ActivityPage.objects.values_list("pk", "newest_rank"))
    ActivityPage.objects.update(newest_rank=None)
    # The editor's execute(), as the migration runs it (outside its context: SQLite's
    # would refuse to open inside the test's transaction).
    migration.fill_ranks(None, connection.schema_editor())
    assert dict(ActivityPage.objects.values_list("pk", "newest_rank")) == expected
    assert None not in expected.values()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GiST index")
def test_postgresql_walks_the_date_index_newest_first(client, september):
    with CaptureQueriesContext(connection) as queries:
        client.get("/activities/", {"sort": "newest", "from": "2026-09-01", "to": "2026-09-30"})
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "activities_activitypage"' in q["sql"] and " LIMIT " in q["sql"]
    ]
    plans = []
    with connection.cursor() as cursor:
        # As at a million activities: a dozen rows here would be read whole.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in reads:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    # One ordered read, the walk of the index (the page's rows are then read by id).
    [walk] = plans
    assert "activity_span_newest" in walk and "Order By: (newest_rank <->" in walk, walk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GiST index")
def test_more_activities_of_one_second_than_the_walk_reads_are_read_whole(
    client, september, monkeypatch
):
    from activities.listing import NewestWithin

    monkeypatch.setattr(NewestWithin, "TIES", 1)
    assert _listed(client) == _expected()
    assert _listed(client, province="110000") == _expected(province_id="110000")


def test_walked_pages_and_deep_pages_are_one_order(client, september, monkeypatch):
    """Deep pages read the B-tree of newest_key; the walked first pages must agree with
    it to the microsecond, or an activity would show twice or never across them."""
    from activities.listing import NewestWithin

    monkeypatch.setattr(NewestWithin, "WALKED_PAGES_END", PER_PAGE)
    assert _listed(client) == _expected()
    for state in ActivityState.values:
        assert _listed(client, state=state) == _expected(state, timezone.now())
