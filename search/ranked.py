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
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Case, F, FloatField, Func, IntegerField, Lookup, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from modelsearch.query import And, PlainText

from .segment import alternatives
from .segment import terms as segment_terms

CANDIDATES = 5_000


class Found(list):
    """Object ids, best first, and how they were found: `words`, the words the search asked
    for (what a result's highlight marks, search_tags.highlight), and `partial` when no
    object had every word and these match some of them (the any-word pass). A list, so the
    callers that only want ids (the API) need nothing else, and kept in the cache as is."""

    def __init__(self, ids=(), words=(), partial=False):
        super().__init__(ids)
        self.words = tuple(words)
        self.partial = partial


def ranked_ids(queryset, query, limit, filter_words=(), moment=None):
    """Primary keys (as ints) of the best `limit` objects of `queryset` matching `query`,
    as a Found list.

    The index also holds drafts and activities waiting for review (the admin searches
    them); the bound applies after `queryset` (live, …) has kept its own, so they never
    crowd live activities out of the best `limit`. `filter_words` (search/filters.py) are
    groups of words: every object `queryset` keeps has one word of each group beside its
    title. On PostgreSQL the candidates are read among those only.

    The query's words (search.segment.Terms) are tried in passes, each only when the one
    before found nothing: every word required (synonyms as alternatives), then each
    compound by its parts (亲子活动 → 亲子 活动), then any word, ranked by how many match.
    A query that finds something costs one pass, as before. Within the title matches and
    within the details-only matches, objects not yet ended (at `moment`) come before ended
    ones, each group in score order: the end is read by the probe that checks each result
    against `queryset` anyway."""
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    terms = segment_terms(query if isinstance(query, str) else "")
    vendor = connection.vendor
    if vendor == "sqlite" and hasattr(backend.query_compiler_class, "build_search_query"):
        find = _sqlite
    elif vendor == "postgresql" and hasattr(backend.query_compiler_class, "build_tsquery"):
        find = _postgres
    else:
        results = queryset.only("pk").search(query, order_by_relevance=True)
        return Found([obj.pk for obj in results[:limit]], terms.words)
    if not terms.words:
        return Found()
    ends = _ends(queryset.model, moment)
    excluded = None
    if terms.excluded:
        excluded = backend.query_compiler_class(
            queryset, PlainText(" ".join(terms.excluded), operator="or")
        )
    for words, every in terms.passes():
        compiler = backend.query_compiler_class(queryset, _query(words, every))
        ids = find(compiler, backend, queryset, limit, filter_words, excluded, ends)
        ids = [int(object_id) for object_id in ids if str(object_id).isdigit()]
        if ids:
            return Found(ids, words, partial=not every)
    return Found(words=terms.words)


def _query(words, every):
    """The compilers' query for `words`: all of them (the plain string of before when no
    word has synonyms, so the common query is the same SQL) or any of them."""
    groups = [(word, *alternatives(word)) for word in words]
    if not every:
        return PlainText(" ".join(word for group in groups for word in group), operator="or")
    if all(len(group) == 1 for group in groups):
        return " ".join(words)
    ored = [PlainText(" ".join(group), operator="or") for group in groups]
    return ored[0] if len(ored) == 1 else And(ored)


END_FIELD = "end_at"


def _ends(model, moment):
    """(field, moment) when `model` has an end (activities: upcoming before ended)."""
    try:
        model._meta.get_field(END_FIELD)
    except FieldDoesNotExist:
        return None
    return END_FIELD, moment or timezone.now()


def _content_types(model):
    """The model's content type and its subclasses', as Wagtail indexes them."""
    from modelsearch.utils import get_descendants_content_types_pks

    return get_descendants_content_types_pks(model) or [ContentType.objects.get_for_model(model).pk]


def _same_object(queryset, object_id):
    """`queryset` narrowed to the object whose id (text in the index) is `object_id`."""
    pk = queryset.model._meta.pk
    output = pk.target_field if pk.is_relation else pk  # a page type's pk is its page_ptr
    return queryset.order_by().filter(pk=Cast(object_id, output)).values("pk")


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


def _sqlite(compiler, backend, queryset, limit, filter_words=(), excluded=None, ends=None):
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
    words = _fts_words(compiler, query, config)
    if words is None:
        return []
    # Words after a minus (天文 -机器人): no column may hold any of them.
    without = ""
    if excluded is not None:
        unwanted = _fts_words(excluded, normalize(excluded.query), config)
        without = f" NOT ({unwanted})" if unwanted else ""
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
    titles = entries.filter(_Match(f"({{title}} : ({words}){within}){without}")).annotate(
        score=-rank
    )
    found = _best(titles, limit, queryset, ends)
    if len(found) < limit:
        body_only = entries.filter(
            _Match(f"(({{body}} : ({words}){within}) NOT {{title}} : ({words})){without}")
        ).annotate(score=Value(0.0, FloatField()))
        found += _best(body_only, limit - len(found), queryset, ends)
    return found


def _fts_words(compiler, query, config):
    """`query` as an FTS5 query string, as modelsearch's MatchExpression writes it: the
    words are quoted FTS5 strings."""
    from modelsearch.backends.database.sqlite.sqlite import SQLiteFTSIndexEntry

    search_query = compiler.build_search_query(query, config=config)
    if search_query is None:
        return None
    sql_compiler = SQLiteFTSIndexEntry.objects.none().query.get_compiler(connection=connection)
    words, params = sql_compiler.compile(search_query)
    return words % tuple(params)


def _postgres(compiler, backend, queryset, limit, filter_words=(), excluded=None, ends=None):
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
    found = _best(titles.annotate(score=rank), limit, queryset, ends)
    if len(found) < limit:
        # Then activities that mention the words only in their details, newest first.
        body_only = entries.filter(body=tsquery).exclude(title=tsquery)
        body_only = body_only.annotate(score=Value(0.0, FloatField()))
        found += _best(body_only, limit - len(found), queryset, ends)
    if excluded is not None and found:
        found = _without_excluded(entries, found, excluded, config)
    return found


def _without_excluded(entries, found, excluded, config):
    """`found` less the objects whose entry holds a word after a minus (天文 -机器人), in
    one query on those entries only. As a filter on the candidates, a NOT no index answers
    read every candidate's details (de-TOASTed) and, rejecting all of them for a common
    word, the whole match set again at the larger bound, per column and per pass: a dozen
    of them made one search take 4 s at 50,000 activities (attacker audit)."""
    unwanted = excluded.build_tsquery(excluded.query, config=config)
    if unwanted is None:
        return found
    keys = [str(object_id) for object_id in found]
    hit = set(
        entries.filter(object_id__in=keys)
        .filter(Q(title=unwanted) | Q(body=unwanted))
        .values_list("object_id", flat=True)
    )
    return [object_id for object_id in found if str(object_id) not in hit]


def _best(candidates, limit, queryset, ends=None):
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
    were not enough and there are more is the full bound read.

    With `ends` ((field, moment)), the objects not ended at `moment` come first, each
    group in its order: the probe that checks a candidate reads its end as well, so this
    costs no query and no row more (a 2019 activity ranked above upcoming ones)."""
    bounds = sorted({min(FIRST_PASS * limit, CANDIDATES), CANDIDATES})
    for bound in bounds:
        found, exhausted = _best_within(candidates, limit, queryset, bound, ends)
        if len(found) >= limit or exhausted:
            break
    return [pk for pk, ended in found if not ended] + [pk for pk, ended in found if ended]


FIRST_PASS = 2


def _best_within(candidates, limit, queryset, bound, ends=None):
    """The best `limit` of the first `bound` candidates, as (id, ended), and whether there
    were no more."""
    sql, params = (
        candidates.annotate(c_object=F("object_id"), c_pk=F("pk"), c_score=F("score"))
        .values_list("c_object", "c_pk", "c_score")[:bound]
        .query.sql_with_params()
    )
    # The sort stays below the check (so the LIMIT stops the probes): OFFSET 0 on
    # PostgreSQL; SQLite takes no OFFSET without a LIMIT.
    no_limit = "LIMIT -1 " if connection.vendor == "sqlite" else ""
    # The probe: whether the candidate is one of `queryset`'s (a primary-key probe each),
    # as 1 when it has ended and 0 when not (NULL: not one of them).
    probe = _same_object(queryset, RawSQL("ranked.object_id", ()))
    if ends is not None:
        field, moment = ends
        ended = Case(When(**{f"{field}__lt": moment}, then=Value(1)), default=Value(0))
        probe = probe.annotate(kp_ended=ended).values("kp_ended")
    else:
        probe = probe.annotate(kp_ended=Value(0)).values("kp_ended")
    probe, probe_params = probe.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT probed.object_id, probed.read, probed.ended FROM ("  # noqa: S608 - Django's compiled SQL
            f"SELECT ranked.object_id, ranked.read, ranked.score, ranked.pk, ({probe}) AS ended "
            "FROM ("
            "SELECT c.c_object AS object_id, c.c_score AS score, c.c_pk AS pk, "
            f"count(*) OVER () AS read FROM ({sql}) AS c "
            f"ORDER BY c.c_score DESC, c.c_pk DESC {no_limit}OFFSET 0"
            ") AS ranked ORDER BY ranked.score DESC, ranked.pk DESC "
            f"{no_limit}OFFSET 0) AS probed WHERE probed.ended IS NOT NULL "
            "ORDER BY probed.score DESC, probed.pk DESC LIMIT %s",
            (*probe_params, *params, limit),
        )
        rows = cursor.fetchall()
    # No row passed: how many were read is unknown, so a larger bound may still find some.
    return [(row[0], row[2]) for row in rows], bool(rows) and rows[0][1] < bound
