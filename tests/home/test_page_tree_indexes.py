"""Wagtail's admin asks treebeard for the tree's root (WHERE depth = 1) on every page; with
no index on depth that was a scan of the whole page table, 70-90 ms of each admin page
at a million activities (#8). home/migrations/0005 adds a partial index for it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

pytestmark = pytest.mark.django_db


def test_the_root_node_index_exists():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "wagtailcore_page")
    assert "page_root_nodes" in constraints


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite plans without statistics")
def test_the_root_is_found_through_the_index():
    # PostgreSQL scans a table this small whatever the indexes; SQLite's plan is the rule.
    with CaptureQueriesContext(connection) as queries:
        assert Page.get_first_root_node().depth == 1
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
        steps = [row[-1] for row in cursor.fetchall()]
    assert any("page_root_nodes" in step for step in steps), steps
