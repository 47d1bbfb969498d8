""" "Newest first" and date ranges at national scale (#8, R28). Newest sorts on the
activity's own copy of its first publication (indexed with the province and the type) and
is counted once per content version; a date range is a pair of bounds on the stored times
in Beijing's day, which indexes can answer. These tests hold the meaning; the bench holds
the speed (docs/performance.md)."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.constants import NEVER_PUBLISHED
from activities.models import ActivityPage
from tests import factories

from .conftest import titles

pytestmark = pytest.mark.django_db
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def newest(client, **params):
    response = client.get("/activities/", {"sort": "newest", **params})
    assert response.status_code == 200
    return titles(response)


def test_newest_is_by_first_publication_through_edits_and_copies(client, owner, image):
    first = factories.activity(owner, publish=True, poster=image, title="最早发布的科普展")
    factories.activity(owner, publish=True, poster=image, title="后来发布的科普讲座")
    assert newest(client) == ["后来发布的科普讲座", "最早发布的科普展"]
    # A published edit is not a new publication.
    first = ActivityPage.objects.get(pk=first.pk)
    first.title = "最早发布的科普展（修订）"
    first.save_revision(user=owner).publish()
    assert newest(client) == ["后来发布的科普讲座", "最早发布的科普展（修订）"]
    # A live copy is published now; Wagtail saves only its publication fields.
    copy = first.copy(
        update_attrs={"title": "复制的科普展", "slug": "copied-show"}, keep_live=True, user=owner
    )
    copy = ActivityPage.objects.get(pk=copy.pk)
    assert copy.first_published_at and copy.newest_key == copy.first_published_at
    assert newest(client)[0] == "复制的科普展"
    for page in ActivityPage.objects.all():
        assert page.newest_key == page.first_published_at
    draft = factories.activity(owner, poster=image, title="尚未发布的活动")
    assert ActivityPage.objects.get(pk=draft.pk).newest_key == NEVER_PUBLISHED


def test_newest_within_a_province_and_a_type(client, owner, image):
    factories.activity(owner, publish=True, poster=image, title="广东先发布")
    factories.activity(
        owner, publish=True, poster=image, title="北京后发布", province_id="110000", city_id=None
    )
    factories.activity(owner, publish=True, poster=image, title="广东后发布")
    assert newest(client, province="440000") == ["广东后发布", "广东先发布"]
    assert newest(client, province="110000") == ["北京后发布"]


def test_newest_is_counted_once_per_content_version(client, owner, image):
    for number in range(3):
        factories.activity(owner, publish=True, poster=image, title=f"计数活动{number}")
    assert "共 3 个活动" in client.get("/activities/", {"sort": "newest"}).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/activities/", {"sort": "newest"})
    assert "共 3 个活动" in again.content.decode()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    factories.activity(owner, publish=True, poster=image, title="新批准的活动")
    assert newest(client)[0] == "新批准的活动"
    assert "共 4 个活动" in client.get("/activities/", {"sort": "newest"}).content.decode()


def _at(day, hour, minute=0):
    return datetime.datetime(2026, 10, day, hour, minute, tzinfo=BEIJING)


@pytest.mark.parametrize("sort", ["", "newest"])
def test_a_date_range_is_whole_days_in_beijing_time(client, owner, image, sort):
    spans = {
        "前一天深夜结束": (
            _at(1, 20) - datetime.timedelta(days=1),
            _at(1, 0) - datetime.timedelta(minutes=1),
        ),
        "跨午夜结束": (_at(1, 22) - datetime.timedelta(days=1), _at(1, 0, 30)),
        "末日最后一分钟开始": (_at(3, 23, 59), _at(4, 2)),
        "次日零点开始": (_at(4, 0), _at(4, 3)),
    }
    for title, (start, end) in spans.items():
        factories.activity(
            owner, publish=True, poster=image, title=title, start_at=start, end_at=end
        )
    params = {"from": "2026-10-01", "to": "2026-10-03", "sort": sort}
    # In UTC the overnight one ended on 30 September: dates must be Beijing's.
    assert set(titles(client.get("/activities/", params))) == {"跨午夜结束", "末日最后一分钟开始"}
    assert set(titles(client.get("/activities/", {"from": "2026-10-04", "sort": sort}))) == {
        "末日最后一分钟开始",
        "次日零点开始",
    }
    assert set(titles(client.get("/activities/", {"to": "2026-09-30", "sort": sort}))) == {
        "前一天深夜结束",
        "跨午夜结束",
    }


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"from": "0001-01-01"}, True),
        ({"to": "9999-12-31"}, True),
        ({"from": "0001-01-01", "to": "9999-12-31", "sort": "newest"}, True),
        ({"from": "9999-12-31"}, False),
        ({"to": "0001-01-01", "sort": "newest"}, False),
    ],
)
def test_the_first_and_last_representable_days_are_not_errors(client, owner, image, params, found):
    factories.activity(owner, publish=True, poster=image, title="任意日期范围")
    response = client.get("/activities/", params)
    assert response.status_code == 200
    assert titles(response) == (["任意日期范围"] if found else [])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner")
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "newest"},
        {"sort": "newest", "to": "2024-09-30"},
        {"sort": "newest", "youth": "1"},
        {"sort": "newest", "state": "ongoing"},
        {"state": "ended"},
    ],
)
def test_sqlite_reads_the_listing_in_index_order(client, owner, image, params):
    """Without a range on newest_key SQLite scanned the whole page table and sorted it for
    "newest" (0.1-0.5 s at 100,000 activities; PostgreSQL's statistics chose the index).
    Every listing order must come from an index, not a sort of all the rows."""
    now = datetime.datetime.now(datetime.UTC)
    for start, days, youth in [(-800, 1, True), (-1, 3, True), (20, 1, False)]:
        factories.activity(
            owner,
            publish=True,
            poster=image,
            start_at=now + datetime.timedelta(days=start),
            end_at=now + datetime.timedelta(days=start + days),
            is_youth_festival=youth,
        )
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/activities/", params).status_code == 200
    # The ordered reads of the activities (a page's cards are then read by id).
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "activities_activitypage"' in q["sql"] and " LIMIT " in q["sql"]
    ]
    assert reads
    with connection.cursor() as cursor:
        for sql in reads:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = [row[-1] for row in cursor.fetchall()]
            assert not any("TEMP B-TREE FOR ORDER BY" in step for step in steps), (sql, steps)
