"""Queries compiled once per process (home/compiled.py, #8): an activity's URL is routed
and its units read with SQL compiled on first use, and the result is what Django's own
evaluation of the same queryset gives, on SQLite and PostgreSQL."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from activities.cache import SITE, current_version
from activities.models import ActivityPage, HostUnit, Nomination, OrganizerUnit
from home import references
from home.compiled import CompiledQuery
from tests import factories

pytestmark = pytest.mark.django_db


def _same(found, expected):
    """Every column of the page and of each joined object, as the ORM reads them."""
    assert type(found) is type(expected) and found.pk == expected.pk
    for field in ActivityPage._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for relation in ActivityPage.DETAIL_RELATED + ActivityPage.DETAIL_REFERENCES:
        cached = ActivityPage._meta.get_field(relation).is_cached(found)
        assert cached, f"{relation} was not read with the page"
        mine = getattr(found, relation, None)
        theirs = getattr(expected, relation, None)
        assert (mine and mine.pk) == (theirs and theirs.pk), relation
        if theirs is not None:
            for field in type(theirs)._meta.concrete_fields:
                assert getattr(mine, field.attname) == getattr(theirs, field.attname)


def test_R30_an_activity_is_routed_with_every_joined_object_as_the_orm_reads_it(client):
    owner = factories.submitter()
    plain = factories.activity(owner, publish=True, city_id=None)
    full = factories.activity(owner, publish=True, title="天文科普夜", county_id="440106")
    Nomination.objects.create(page=full, participants=300)
    index = factories.index()
    for page in (plain, full):
        found = index.direct_child(page.slug)
        expected = index.direct_children().select_related(*ActivityPage.DETAIL_REFERENCES)
        expected = expected.get(pk=page.pk)
        _same(found, expected)


def test_R30_slugs_are_values_not_patterns(client):
    owner = factories.submitter()
    page = factories.activity(owner, publish=True, title="abc")
    assert page.slug == "abc"
    index = factories.index()
    for near in ("a_c", "a%", "%", "ab", "abc ", "ABC", "abcd", "' OR 1=1 --"):
        assert index.direct_child(near) is None, near
        assert client.get(f"/activities/{near}/").status_code == 404
    assert index.direct_child("abc").pk == page.pk


def test_R30_a_child_is_looked_up_under_its_own_parent_only(client):
    owner = factories.submitter()
    page = factories.activity(owner, publish=True)
    twin = factories.activity(owner, publish=False, title="另一个活动")
    index = factories.index()
    other = index.add_sibling(
        instance=type(index)(title="另一个活动列表", slug="more-activities", live=True)
    )
    assert other.direct_child(page.slug) is None
    twin.move(other, pos="last-child")
    twin = ActivityPage.objects.get(pk=twin.pk)
    twin.slug = page.slug
    twin.save()
    twin.refresh_from_db()
    assert twin.slug == page.slug
    # Both parents in one process, alternately: each key keeps its own SQL.
    for _ in range(2):
        assert other.direct_child(page.slug).pk == twin.pk
        assert index.direct_child(page.slug).pk == page.pk


def test_R30_the_detail_query_is_compiled_once_and_still_counted(client, monkeypatch):
    page = factories.activity(factories.submitter(), publish=True)
    assert client.get(page.url).status_code == 200
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    # The units are kept per live revision (home/references.py): forget them to read them.
    references.memory.clear()
    cache.delete(f"ref:{current_version(SITE)}:units:{page.pk}:{page.live_revision_id}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)
    assert response.status_code == 200
    # The page (nine tables) and its units (a UNION of four) ran and were logged...
    sqls = [query["sql"] for query in queries.captured_queries]
    assert any('"activities_activitypage"."page_ptr_id"' in sql for sql in sqls)
    assert any("UNION ALL" in sql and "activities_hostunit" in sql for sql in sqls)
    # ...without compiling either again.
    assert ActivityPage not in compiled and HostUnit not in compiled
    assert response.context["units"]["host"] == ["广州市科学技术协会"]


def test_R30_units_come_by_kind_in_editor_order():
    owner = factories.submitter()
    page = factories.activity(owner, publish=True, hosts=("乙单位", "甲单位"))
    OrganizerUnit.objects.create(page=page, name="承办一", sort_order=1)
    OrganizerUnit.objects.create(page=page, name="承办零", sort_order=0)
    units = ActivityPage.objects.get(pk=page.pk).units_by_kind()
    assert units["host"] == ["乙单位", "甲单位"]
    assert units["organizer"] == ["承办零", "承办一"]
    assert units["department"] == [] and units["society"] == []
    assert factories.activity(owner, title="无单位", hosts=()).units_by_kind()["host"] == []


def test_values_the_sql_transforms_are_refused():
    contains = CompiledQuery(
        ActivityPage, lambda word: ActivityPage.objects.filter(title__contains=word), word=str
    )
    with pytest.raises(ValueError, match="plain parameter"):
        contains.run(None, word="科普")
    with pytest.raises(TypeError):
        CompiledQuery(ActivityPage, ActivityPage.objects.filter, start_at=float).run(None)
