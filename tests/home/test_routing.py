"""Routing facts kept per site version (home/routing.py, #8): the home page's children are
looked up once per change, in each process, and a change to them routes at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import ActivityIndexPage
from tests import factories

pytestmark = pytest.mark.django_db


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q["sql"] for q in queries.captured_queries]


def _index_lookups(sqls):
    return [sql for sql in sqls if 'FROM "activities_activityindexpage"' in sql]


def test_the_listing_page_is_found_once_per_change(client):
    first, sqls = _queries_for(client, "/activities/")
    assert first.status_code == 200 and len(_index_lookups(sqls)) == 1
    again, sqls = _queries_for(client, "/activities/")
    assert again.status_code == 200 and _index_lookups(sqls) == []


def test_a_renamed_or_unpublished_index_routes_at_once(client):
    owner = factories.submitter()
    activity = factories.activity(owner, publish=True)
    assert client.get("/activities/").status_code == 200
    assert client.get(activity.url).status_code == 200
    index = ActivityIndexPage.objects.get()
    index.slug = "events"
    index.save_revision().publish()
    assert client.get("/activities/").status_code == 404
    assert client.get("/events/").status_code == 200
    activity.refresh_from_db()
    assert activity.url.startswith("/events/") and client.get(activity.url).status_code == 200
    index.refresh_from_db()
    index.unpublish()
    assert client.get("/events/").status_code == 404


def test_unknown_segments_are_not_kept(client):
    for _ in range(2):
        missing, sqls = _queries_for(client, "/no-such-page/")
        assert missing.status_code == 404 and len(_index_lookups(sqls)) == 1
    long, _sqls = _queries_for(client, "/" + "9" * 5000 + "/")
    assert long.status_code == 404
