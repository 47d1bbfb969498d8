"""The best N matches of a query, in one bounded query on the index table.

Wagtail's database backend filters the *page* queryset by the matching index entries and
then ranks: on SQLite with a correlated sub-select that repeats the full-text match for
every candidate page (minutes for a common word at 20,000 activities), on PostgreSQL by
matching `title || body`, a concatenation no GIN index covers (a sequential scan of the
whole index). The public search only needs the ids of the best MAX hits; this module asks
the index table for them directly, reusing the backend's own query compiler so the
matching and the weights are exactly Wagtail's.

- SQLite: one FTS5 MATCH ordered by bm25, limited.
- PostgreSQL: the GIN index on `title` finds the title matches, at most CANDIDATES of which
  are ranked by their title; only when they are fewer than asked does the GIN index on
  `body` add the activities that mention the words elsewhere, newest first. A word found
  in nearly every activity (科普) costs what a rarer one does. Among more matches than
  CANDIDATES, relevance has stopped meaning much anyway.
- Anything else: Wagtail's own search.

docs/search.md describes the trade-off."""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, F, FloatField, OuterRef, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from .backends import segment_search_query

CANDIDATES = 5_000


def ranked_ids(queryset, query, limit, filter_words=()):
    """Primary keys (as ints) of the best `limit` objects of `queryset` matching `query`.

    The index also holds drafts and activities waiting for review (the admin searches
    them); the bound applies after `queryset` (live, …) has kept its own, so they never
    crowd live activities out of the best `limit`. `filter_words` (search/filters.py) are
    groups of words: every object `queryset` keeps has one word of each group beside its
    title. On PostgreSQL the candidates are read among those only."""
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    compiler = backend.query_compiler_class(queryset, segment_search_query(query))
    vendor = connection.vendor
    if vendor == "sqlite" and hasattr(compiler, "build_search_query"):
        ids = _sqlite(compiler, backend, queryset, limit)
    elif vendor == "postgresql" and hasattr(compiler, "build_tsquery"):
        ids = _postgres(compiler, backend, queryset, limit, filter_words)
    else:
        results = queryset.only("pk").search(query, order_by_relevance=True)
        return [obj.pk for obj in results[:limit]]
    return [int(object_id) for object_id in ids if str(object_id).isdigit()]


def _content_types(model):
    """The model's content type and its subclasses', as Wagtail indexes them."""
    from modelsearch.utils import get_descendants_content_types_pks

    return get_descendants_content_types_pks(model) or [ContentType.objects.get_for_model(model).pk]


def _same_object(queryset, object_id):
    """`queryset` narrowed to the object whose id (text in the index) is `object_id`."""
    pk = queryset.model._meta.pk
    output = pk.target_field if pk.is_relation else pk  # a page type's pk is its page_ptr
    return queryset.order_by().filter(pk=Cast(object_id, output)).values("pk")


def _in(queryset, object_id):
    """The index entry's object is one of `queryset`'s: a primary-key probe per candidate."""
    return Exists(_same_object(queryset, OuterRef(object_id)))


def _sqlite(compiler, backend, queryset, limit):
    from modelsearch.backends.database.sqlite.query import MatchExpression, normalize
    from modelsearch.backends.database.sqlite.sqlite import SQLiteFTSIndexEntry
    from modelsearch.query import MatchAll, Not

    query = normalize(compiler.query)
    if isinstance(query, MatchAll | Not):
        return []
    config = compiler.get_config(backend)
    search_query = compiler.build_search_query(query, config=config)
    if search_query is None:
        return []
    match = MatchExpression(compiler.fields or compiler.FTS_TABLE_FIELDS, search_query)
    rank = compiler._build_rank_expression(compiler.get_search_vectors(), config)
    return (
        SQLiteFTSIndexEntry.objects.filter(match)
        .filter(index_entry__content_type__in=_content_types(queryset.model))
        .filter(_in(queryset, "index_entry__object_id"))
        .annotate(score=rank)
        # bm25 is lower for better matches.
        .order_by("score", "-index_entry__object_id")
        .values_list("index_entry__object_id", flat=True)[:limit]
    )


def _postgres(compiler, backend, queryset, limit, filter_words=()):
    from django.contrib.postgres.search import SearchQuery, SearchRank
    from modelsearch.conf import get_app_config
    from modelsearch.query import MatchAll, Not

    index_entry = get_app_config().get_model("IndexEntry")

    if isinstance(compiler.query, MatchAll | Not):
        return []
    config = compiler.get_config(backend)
    tsquery = compiler.build_tsquery(compiler.query, config=config)
    if tsquery is None:
        return []
    entries = index_entry.objects.filter(content_type__in=_content_types(queryset.model))
    # Rank by the title alone: titles are short and stored inline, while ranking the body
    # meant reading (de-TOASTing) a large tsvector per candidate, most of the query's time.
    # The title column holds the segmented title (search/fields.py).
    weights = getattr(compiler, "sql_weights", None)
    rank = SearchRank(F("title"), tsquery, weights=weights) * F("title_norm")
    # Title matches first. When there are enough of them the body index is not read at all:
    # for a common word (天文: 40,000 titles, 150,000 bodies at a million activities) the
    # body's bitmap was most of the query.
    titles = entries.filter(title=tsquery)
    if filter_words:
        # One GIN scan of the title index answers both: words and filters together.
        # Filter words are [0-9a-z] only (search/filters.py): safe as tsquery syntax.
        words = " & ".join("(" + " | ".join(group) + ")" for group in filter_words)
        within = SearchQuery(words, search_type="raw", config=config)
        titles = entries.filter(title=tsquery & within)
        entries = entries.filter(title=within)
    found = _best(titles.annotate(score=rank), limit, queryset)
    if len(found) < limit:
        # Then activities that mention the words only in their details, newest first.
        body_only = entries.filter(body=tsquery).exclude(title=tsquery)
        body_only = body_only.annotate(score=Value(0.0, FloatField()))
        found += _best(body_only, limit - len(found), queryset)
    return found


def _best(candidates, limit, queryset):
    """The object ids of the best `limit` objects of `queryset` among at most CANDIDATES
    rows of `candidates`, by score and then newest first.

    The rows are scored in the scan that finds them: scoring them in a second pass read
    each one again through the primary key (5,000 index lookups, half the query's time for
    a frequent pair of words). They are then sorted, and only then checked against
    `queryset` (live activities, the listing's filters), best first, until `limit` pass: a
    word in thousands of titles costs about `limit` primary-key probes, not one per
    candidate.

    Reading the candidates is the part that grows with the index: each is a random heap
    read (5,000 of them took 40 ms at a million activities). Most queries have no filter
    and nearly every candidate passes, so twice `limit` are read first; only when those
    were not enough and there are more is the full bound read."""
    bounds = sorted({min(FIRST_PASS * limit, CANDIDATES), CANDIDATES})
    for bound in bounds:
        found, exhausted = _best_within(candidates, limit, queryset, bound)
        if len(found) >= limit or exhausted:
            break
    return found


FIRST_PASS = 2


def _best_within(candidates, limit, queryset, bound):
    """The best `limit` of the first `bound` candidates, and whether there were no more."""
    sql, params = candidates.values_list("object_id", "pk", "score")[:bound].query.sql_with_params()
    probe, probe_params = _same_object(
        queryset, RawSQL("ranked.object_id", ())
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            # OFFSET 0 keeps the sort below the check, so the LIMIT stops the probes.
            "SELECT ranked.object_id, ranked.read FROM ("  # noqa: S608 - Django's compiled SQL
            "SELECT c.object_id, c.score, c.pk, count(*) OVER () AS read "
            f"FROM ({sql}) AS c(object_id, pk, score) "
            "ORDER BY c.score DESC, c.pk DESC OFFSET 0"
            f") AS ranked WHERE EXISTS ({probe}) "
            "ORDER BY ranked.score DESC, ranked.pk DESC LIMIT %s",
            (*params, *probe_params, limit),
        )
        rows = cursor.fetchall()
    # No row passed: how many were read is unknown, so a larger bound may still find some.
    return [row[0] for row in rows], bool(rows) and rows[0][1] < bound
