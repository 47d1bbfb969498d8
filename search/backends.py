"""Wagtail's database search backend, with queries segmented like the indexed text.

`wagtail.search.backends.database` picks a vendor class (SQLite FTS5, PostgreSQL, MySQL or
the fallback) when it is instantiated; this factory does the same and swaps in a subclass
of whichever class it got that segments every query. Indexing needs no change: the
searchable fields are methods that already return segmented text. On PostgreSQL, index
writes take turns (TakeTurnsWritingMixin).
"""

import contextlib
import functools

from django.db import connection, transaction
from django.db.models import Avg, F
from django.db.models.functions import Length
from modelsearch.backends.base import FilterFieldError
from modelsearch.backends.database import SearchBackend as database_backend
from modelsearch.query import And, Boost, Not, Or, Phrase, PlainText

from .segment import segment_query


def segment_search_query(query):
    if isinstance(query, str):
        return segment_query(query)
    if isinstance(query, PlainText):
        return PlainText(segment_query(query.query_string), query.operator, query.boost)
    if isinstance(query, Phrase):
        return Phrase(segment_query(query.query_string))
    if isinstance(query, Boost):
        return Boost(segment_search_query(query.subquery), query.boost)
    if isinstance(query, Not):
        return Not(segment_search_query(query.subquery))
    if isinstance(query, And | Or):
        return type(query)([segment_search_query(sub) for sub in query.subqueries])
    return query


@functools.cache
def applying_filters_as_they_are(compiler_class):
    """`compiler_class` without the check that a queryset's filters are FilterFields.

    The check is for backends that translate filters into their own queries; the database
    backends run the queryset itself (`queryset.filter(...)` around the match). Wagtail's
    admin filters image searches by tag and by usage count (an annotation the check cannot
    even read), which the check turned into a 500."""

    class Compiler(compiler_class):
        def check(self):
            # AttributeError: an annotation in the WHERE clause (Coalesce has no .target).
            with contextlib.suppress(FilterFieldError, AttributeError):
                super().check()

    Compiler.__name__ = compiler_class.__name__
    return Compiler


class SegmentingMixin:
    def _search(self, query_compiler_class, query, model_or_queryset, **kwargs):
        compiler_class = applying_filters_as_they_are(query_compiler_class)
        return super()._search(compiler_class, query, model_or_queryset, **kwargs)

    def search(self, query, model_or_queryset, *args, **kwargs):
        return super().search(segment_search_query(query), model_or_queryset, *args, **kwargs)

    def autocomplete(self, query, model_or_queryset, *args, **kwargs):
        return super().autocomplete(segment_search_query(query), model_or_queryset, *args, **kwargs)


# Any fixed 64-bit key, shared by every process writing the search index.
INDEX_WRITE_LOCK = 0x6B6570757269


class TakeTurnsWritingMixin:
    """PostgreSQL index writes, one transaction at a time (issue #9).

    Each write upserts its entry with title_norm 1.0, then rescales every entry whose
    title_norm is 1.0, which includes entries of average title length. Two transactions
    publishing different activities each lock their own entry, then wait for the other's:
    a deadlock that aborts one moderator's approval (tests/hardening/test_concurrency.py).
    A transaction-scoped advisory lock, taken before the first index write and held until
    commit, makes them take turns instead."""

    def add_items(self, model, objs):
        database = self.write_connection
        with transaction.atomic(using=database.alias):
            with database.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INDEX_WRITE_LOCK])
            return super().add_items(model, objs)


TITLE_LENGTH_KEY = "search:average-title-length"
TITLE_LENGTH_SECONDS = 3600


class CachedTitleNormsMixin:
    """Index writes without two passes over the whole index (issue #8).

    After every write, Wagtail's database backend recomputes the average title length
    over every entry and then updates the entries whose title_norm is 1.0: at a million
    activities, two scans of a million rows (about two seconds) for each saved draft and
    each approval. The average of a million titles barely moves with one more, so it is
    kept for an hour; a partial index (search/migrations) finds the entries to update."""

    def _refresh_title_norms(self, full=False):
        from activities.cache import cache_get, cache_set

        if full:
            return super()._refresh_title_norms(full=True)
        average = cache_get(TITLE_LENGTH_KEY)
        if average is None:
            average = (
                self.entries.annotate(title_length=Length("title"))
                .filter(title_length__gt=0)
                .aggregate(Avg("title_length"))["title_length__avg"]
            )
            if average is None:
                return None
            cache_set(TITLE_LENGTH_KEY, average, TITLE_LENGTH_SECONDS)
        self.entries.filter(title_norm=1.0).annotate(title_length=Length("title")).filter(
            title_length__gt=0
        ).update(title_norm=average / F("title_length"))
        return None


_classes = {}


def SearchBackend(params):  # noqa: N802 - Wagtail imports backends by this name
    backend = database_backend(params)
    base = type(backend)
    if base not in _classes:
        attrs = {}
        index = getattr(base, "index_class", None)
        if index is not None and hasattr(index, "_refresh_title_norms"):
            mixins = (CachedTitleNormsMixin,)
            if connection.vendor == "postgresql":
                mixins = (TakeTurnsWritingMixin, *mixins)
            attrs["index_class"] = type(f"Scaled{index.__name__}", (*mixins, index), {})
        _classes[base] = type(f"Segmenting{base.__name__}", (SegmentingMixin, base), attrs)
    backend.__class__ = _classes[base]
    return backend
