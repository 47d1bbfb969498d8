"""The review desk's deep pages (R20, R21, R16; issue #8, the September peak).

The desk reads each page's task-state keys first, then that page's rows with their
annotated facts (activities/paging.py): PostgreSQL computed every probe of every row an
OFFSET skipped, and the last page took 1.2-1.7 s at 22,000 waiting activities against
0.2 s for the first. The order stays the desk's, oldest first, with nothing lost or shown
twice across a page boundary, and every page costs the same queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import TaskState

from organizations.models import Organization
from tests import factories
from workflow import views

from .conftest import submit

pytestmark = pytest.mark.django_db

PAGE_SIZE = 3
# Minutes after a common start, per task state in creation order: out of creation order,
# with ties (broken by the key, as the desk orders them).
SUBMITTED = [5, 1, 3, 1, 7, 0, 3, 2]
# A query whose select list is the task state's key and nothing else.
KEYS_ONLY = re.compile(r'^SELECT "wagtailcore_taskstate"\."id"(?: AS "pk")? FROM ')


@pytest.fixture
def waiting(people, monkeypatch):
    """Eight activities at the national stage (a national society's channel, R19), each
    submitted at the minute SUBMITTED gives it. Returns their task states' keys in the
    desk's order: oldest first, ties by key."""
    monkeypatch.setattr(views, "DESK_PAGE_SIZE", PAGE_SIZE)
    society = Organization.objects.get(name="中国化学会", category="national_society")
    image = factories.poster(people["submitter"])
    for number in range(len(SUBMITTED)):
        page = factories.activity(
            owner=people["submitter"],
            title=f"深页待审{number}",
            poster=image,
            channel_category="national_society",
            channel=society,
        )
        submit(page, people["submitter"])
    states = list(TaskState.objects.filter(status="in_progress").order_by("pk"))
    assert len(states) == len(SUBMITTED)
    start = timezone.now() - datetime.timedelta(days=1)
    for state, minutes in zip(states, SUBMITTED, strict=True):
        state.started_at = start + datetime.timedelta(minutes=minutes)
        state.save(update_fields=["started_at"])
    ordered = sorted(states, key=lambda state: (state.started_at, state.pk))
    # The desk's order is not the keys' order: a page read back by key alone is wrong.
    assert [state.pk for state in ordered] != sorted(state.pk for state in ordered)
    return [state.pk for state in ordered]


def desk_page(client, number, **params):
    """The rows of one desk page, the response and the SQL it ran. Past the first page, the
    query that skips rows reads their keys only; the rows themselves are read by key."""
    client.get("/admin/review/", {"p": number, **params})  # per-process caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/review/", {"p": number, **params})
    assert response.status_code == 200
    queries = [query["sql"] for query in captured.captured_queries]
    skipping = [sql for sql in queries if re.search(r"\bOFFSET\b", sql)]
    if number > 1:
        assert skipping, "a deep page skips rows"
    for sql in skipping:
        assert KEYS_ONLY.match(sql), f"rows skipped with their columns computed: {sql[:300]}"
    rows = list(response.context["rows"])
    if rows:
        by_key = [sql for sql in queries if '"wagtailcore_taskstate"."id" IN (' in sql]
        assert by_key and not any(re.search(r"\bOFFSET\b", sql) for sql in by_key)
    return rows, response, queries


@pytest.mark.parametrize("who", ["national", "superuser"])
def test_r21_every_page_oldest_first_none_lost_or_repeated(client, people, waiting, who):
    """R21/R16: read page by page, the desk shows every waiting activity once, oldest
    first (ties by key), each row with the facts of its activity."""
    client.force_login(people[who])
    shown, number = [], 1
    while True:
        rows, response, _queries = desk_page(client, number)
        assert response.context["total"] == len(SUBMITTED)
        assert "8 个活动等待您审核" in response.content.decode()
        assert 0 < len(rows) <= PAGE_SIZE
        for row in rows:
            assert row.activity_title.startswith("深页待审")
            assert row.activity_channel == "中国化学会"
        shown += [row.pk for row in rows]
        if not response.context["next_url"]:
            break
        number += 1
    assert number == 3
    assert shown == waiting
    assert len(set(shown)) == len(shown)


def test_r20_r21_a_deep_page_costs_the_queries_of_the_first(client, people, waiting):
    """A deep page runs the same number of queries as the first, its skipped rows read by
    key only; filtered the same (R20: the desk's filters are the queue's)."""
    client.force_login(people["national"])
    first_rows, _response, first = desk_page(client, 1)
    last_rows, _response, last = desk_page(client, 3)
    assert len(first) == len(last)
    assert [row.pk for row in first_rows] == waiting[:PAGE_SIZE]
    assert [row.pk for row in last_rows] == waiting[2 * PAGE_SIZE :]

    # With a filter: the activities take place in Guangdong (the factory's province).
    filtered_first, response, first = desk_page(client, 1, province="440000")
    assert response.context["total"] == len(SUBMITTED)
    filtered_second, _response, second = desk_page(client, 2, province="440000")
    assert len(first) == len(second)
    assert [row.pk for row in filtered_first + filtered_second] == waiting[: 2 * PAGE_SIZE]
