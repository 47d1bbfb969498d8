"""Wagtail's database search backend, with queries segmented like the indexed text.

`wagtail.search.backends.database` picks a vendor class (SQLite FTS5, PostgreSQL, MySQL or
the fallback) when it is instantiated; this factory does the same and swaps in a subclass
of whichever class it got that segments every query. Indexing needs no change: the
searchable fields are methods that already return segmented text.
"""

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


class SegmentingMixin:
    def search(self, query, model_or_queryset, *args, **kwargs):
        return super().search(segment_search_query(query), model_or_queryset, *args, **kwargs)

    def autocomplete(self, query, model_or_queryset, *args, **kwargs):
        return super().autocomplete(segment_search_query(query), model_or_queryset, *args, **kwargs)


_classes = {}


def SearchBackend(params):  # noqa: N802 - Wagtail imports backends by this name
    backend = database_backend(params)
    base = type(backend)
    if base not in _classes:
        _classes[base] = type(f"Segmenting{base.__name__}", (SegmentingMixin, base), {})
    backend.__class__ = _classes[base]
    return backend
