"""Bulk marking of nominations (R33, R25) in queries that do not grow with the rows.

The list's bulk recommend / not-recommend wrote each activity's audit entry through
wagtail.log_actions.log, whose save() checks the entry's page, user and content type by a
query each: four queries a row inside the marking (about 32 a row in all on PostgreSQL,
the search entries' rewriting being the rest). The entries are now written in one INSERT,
each as log() writes it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.log_actions import log
from wagtail.models import PageLogEntry

from activities import nomination_views
from activities.nomination_models import Nomination

from .nominating import complete_nomination, make

pytestmark = pytest.mark.django_db

# What marking more rows may add, in queries, whatever their number.
EXTRA_QUERIES = 1
# Every field of an audit entry but its own key, uuid, time, page and title.
COMPARED = ("content_type_id", "action", "data", "user_id", "revision_id", "content_changed")


def nominations(owner, count, tag, recommended=False):
    pages = [make(owner, title=f"批量推优{tag}{number}") for number in range(count)]
    chosen = [complete_nomination(page) for page in pages]
    Nomination.objects.filter(pk__in=[nomination.pk for nomination in chosen]).update(
        recommended=recommended
    )
    return chosen


def marking(monkeypatch, chosen, user, recommended, note):
    """Marks `chosen` in bulk as the list does; returns how many, the queries the marking
    ran, and the activities it asked to re-index and drop from the caches (left to
    recommendation_changed, unchanged and counted apart)."""
    renewed = []
    monkeypatch.setattr(nomination_views, "recommendation_changed", lambda ids: renewed.extend(ids))
    with CaptureQueriesContext(connection) as queries:
        changed = nomination_views.mark(
            Nomination.objects.filter(pk__in=[nomination.pk for nomination in chosen]),
            user,
            recommended,
            note,
            only_changes=True,
        )
    return changed, len(queries), renewed


def as_log_writes_it(page, action, user, note):
    """The entry wagtail.log_actions.log writes for this marking, for comparison."""
    entry = log(page, action, user=user, data={"comment": note})
    values = {name: getattr(entry, name) for name in COMPARED}
    entry.delete()
    return values


@pytest.mark.parametrize("recommended", [True, False], ids=["recommend", "unrecommend"])
def test_r33_r25_marking_many_costs_the_queries_of_one_and_logs_each(
    monkeypatch, owner, national, recommended
):
    action = "nominations.recommend" if recommended else "nominations.unrecommend"
    one = nominations(owner, 1, "甲", recommended=not recommended)
    changed, queries_for_one, renewed = marking(monkeypatch, one, national, recommended, "一个")
    assert changed == 1 and renewed == [one[0].page_id]

    many = nominations(owner, 6, "乙", recommended=not recommended)
    # One of them already so marked, with its own note: left as it was (only_changes).
    Nomination.objects.filter(pk=many[0].pk).update(
        recommended=recommended, recommendation_note="早先的"
    )
    changed, queries_for_many, renewed = marking(monkeypatch, many, national, recommended, "批量")
    assert changed == 5
    assert queries_for_many <= queries_for_one + EXTRA_QUERIES, (
        f"{queries_for_one} queries for 1 row, {queries_for_many} for 6"
    )

    # The state, as before.
    assert renewed == [nomination.page_id for nomination in many[1:]]
    left = Nomination.objects.get(pk=many[0].pk)
    assert left.recommendation_note == "早先的" and left.marked_by is None
    marks = PageLogEntry.objects.filter(action__startswith="nominations.")
    assert not marks.filter(page_id=many[0].page_id).exists()
    for nomination in many[1:]:
        nomination.refresh_from_db()
        assert nomination.recommended is recommended
        assert nomination.recommendation_note == "批量"
        assert nomination.marked_by == national and nomination.marked_at is not None

    # The audit log (R25): one entry per activity, with its own uuid (each activity's
    # history shows its own), as log() writes it.
    entries = list(marks.filter(page_id__in=[n.page_id for n in many]).order_by("pk"))
    assert [entry.page_id for entry in entries] == [n.page_id for n in many[1:]]
    assert len({entry.uuid for entry in entries}) == len(entries)
    for entry, nomination in zip(entries, many[1:], strict=True):
        page = nomination.page
        assert entry.label == page.get_admin_display_title()
        assert entry.comment == "批量"
        assert entry.timestamp >= nomination.marked_at
        assert {name: getattr(entry, name) for name in COMPARED} == as_log_writes_it(
            page, action, national, "批量"
        )


def test_r33_r29_renewing_many_search_entries_costs_few_queries_a_row(owner):
    """The marked activities' search entries are rewritten in a batch: one at a time, each
    cost about 28 queries (its units, organizations and regions, and its recommendation
    asked five times). The entries still carry the recommendation."""
    from activities.nomination_models import recommendation_changed
    from tests.search.test_filter_words import entry_of

    one = nominations(owner, 1, "丙", recommended=True)
    many = nominations(owner, 6, "丁", recommended=True)
    with CaptureQueriesContext(connection) as for_one:
        recommendation_changed([one[0].page_id])
    with CaptureQueriesContext(connection) as for_many:
        recommendation_changed([nomination.page_id for nomination in many])
    per_extra_row = (len(for_many) - len(for_one)) / 5
    assert per_extra_row <= 6, f"{len(for_one)} queries for 1 row, {len(for_many)} for 6"
    for nomination in many:
        assert "kpfrecommended1" in entry_of(nomination.page)[1].split()
    Nomination.objects.filter(pk=many[0].pk).update(recommended=False)
    recommendation_changed([many[0].page_id])
    assert "kpfrecommended1" not in entry_of(many[0].page)[1].split()
    assert "kpfrecommended1" in entry_of(many[1].page)[1].split()
