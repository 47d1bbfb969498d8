"""The best N matches of a query, in one bounded query on the index table.

Wagtail's database backend filters the *page* queryset by the matching index entries and
then ranks: on SQLite with a correlated sub-select that repeats the full-text match for
every candidate page (minutes for a common word at 20,000 activities), on PostgreSQL by
matching `title || body`, a concatenation no GIN index covers (a sequential scan of the
whole index). The public search only needs the ids of the best MAX hits; this module asks
the index table for them directly, reusing the backend's own query compiler so the
matching and the weights are exactly Wagtail's.

- The title matches are found first (PostgreSQL: the GIN index on `title`; SQLite: an FTS5
  MATCH on the title column), at most CANDIDATES of which are ranked; only when they are
  fewer than asked are the activities that mention the words elsewhere added, newest
  first. A word found in nearly every activity (科普) costs what a rarer one does. Among
  more matches than CANDIDATES, relevance has stopped meaning much anyway.
- Anything else: Wagtail's own search.

docs/search.md describes the trade-off."""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, F, FloatField, Func, IntegerField, Lookup, OuterRef, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from .backends import segment_search_query
from .segment import needed_words

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
    # Every word is required (the compilers' operator is AND): implied ones can go.
    compiler = backend.query_compiler_class(queryset, needed_words(segment_search_query(query)))
    vendor = connection.vendor
    if vendor == "sqlite" and hasattr(compiler, "build_search_query"):
        ids = _sqlite(compiler, backend, queryset, limit, filter_words)
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


class _Match(Lookup):
    """An FTS5 MATCH of a query string composed here (column filters, NOT, filter words);
    modelsearch's MatchExpression takes one column set and one query only."""

    lookup_name = "kepuri_match"

    def __init__(self, expression):
        self.expression = expression
        super().__init__(None, None)

    def as_sql(self, compiler, connection):
        from modelsearch.backends.database.sqlite.sqlite import SQLiteFTSIndexEntry

        return f"{SQLiteFTSIndexEntry._meta.db_table} MATCH %s", [self.expression]


def _sqlite(compiler, backend, queryset, limit, filter_words=()):
    """The same passes as on PostgreSQL (_postgres): title matches ranked within the bound,
    then details-only matches newest first. One bm25-ordered MATCH over titles and details
    scored every match (120,000 for 科普 at 100,000 activities: half a second)."""
    from modelsearch.backends.database.sqlite.query import normalize
    from modelsearch.backends.database.sqlite.sqlite import SQLiteFTSIndexEntry
    from modelsearch.query import MatchAll, Not

    query = normalize(compiler.query)
    if isinstance(query, MatchAll | Not):
        return []
    config = compiler.get_config(backend)
    search_query = compiler.build_search_query(query, config=config)
    if search_query is None:
        return []
    # As modelsearch's MatchExpression does: the query's words are quoted FTS5 strings.
    sql_compiler = SQLiteFTSIndexEntry.objects.none().query.get_compiler(connection=connection)
    words, params = sql_compiler.compile(search_query)
    words = words % tuple(params)
    # Filter words are [0-9a-z] only (search/filters.py): safe as FTS5 bare words.
    within = "".join(" AND {title} : (" + " OR ".join(group) + ")" for group in filter_words)
    rank = compiler._build_rank_expression(compiler.get_search_vectors(), config)
    # Unary + keeps SQLite's planner off the content type index: without statistics it
    # read every entry of the type and ran the MATCH once for each (13 s for 科普).
    content_type = Func(
        F("index_entry__content_type"), template="+%(expressions)s", output_field=IntegerField()
    )
    entries = (
        SQLiteFTSIndexEntry.objects.alias(content_type=content_type)
        .filter(content_type__in=_content_types(queryset.model))
        .annotate(object_id=F("index_entry__object_id"))
    )
    # bm25 is lower for better matches.
    titles = entries.filter(_Match(f"{{title}} : ({words}){within}")).annotate(score=-rank)
    found = _best(titles, limit, queryset)
    if len(found) < limit:
        body_only = entries.filter(
            _Match(f"({{body}} : ({words}){within}) NOT {{title}} : ({words})")
        ).annotate(score=Value(0.0, FloatField()))
        found += _best(body_only, limit - len(found), queryset)
    return found


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
    sql, params = (
        candidates.annotate(c_object=F("object_id"), c_pk=F("pk"), c_score=F("score"))
        .values_list("c_object", "c_pk", "c_score")[:bound]
        .query.sql_with_params()
    )
    # The sort stays below the check (so the LIMIT stops the probes): OFFSET 0 on
    # PostgreSQL; SQLite takes no OFFSET without a LIMIT.
    no_limit = "LIMIT -1 " if connection.vendor == "sqlite" else ""
    probe, probe_params = _same_object(
        queryset, RawSQL("ranked.object_id", ())
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ranked.object_id, ranked.read FROM ("  # noqa: S608 - Django's compiled SQL
            "SELECT c.c_object AS object_id, c.c_score AS score, c.c_pk AS pk, "
            f"count(*) OVER () AS read FROM ({sql}) AS c "
            f"ORDER BY c.c_score DESC, c.c_pk DESC {no_limit}OFFSET 0"
            f") AS ranked WHERE EXISTS ({probe}) "
            "ORDER BY ranked.score DESC, ranked.pk DESC LIMIT %s",
            (*params, *probe_params, limit),
        )
        rows = cursor.fetchall()
    # No row passed: how many were read is unknown, so a larger bound may still find some.
    return [row[0] for row in rows], bool(rows) and rows[0][1] < bound
