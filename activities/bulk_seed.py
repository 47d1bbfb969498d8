"""Bulk generation of approved activities for scale tests (issue #8, `seed_activities`).

Creating an activity the way the site does (Page.add_child, save_revision, publish) costs
tens of milliseconds and dozens of queries; a national campaign's million activities would
take days. This module writes the rows Wagtail would have written with bulk statements —
COPY on PostgreSQL, executemany on SQLite — in batches of one transaction each:

- page rows whose treebeard paths continue after the index page's last child, activity
  rows, and the index page's numchild;
- one revision per activity that is both its latest and (for approved ones) its live
  revision, holding exactly what `serializable_data()` would have stored;
- host and organizer units, programme categories, reference index rows;
- search index entries with the texts the backend's own indexer produces;
- for `--pending`, Wagtail workflow and task states waiting at the province or national
  stage.

Anything Wagtail or modelsearch defines is read from them at start-up instead of being
restated: column lists and defaults from the models, revision keys from serializable_data(),
index texts and weights from the search backend's ObjectIndexer, reference paths from
ReferenceIndex. Before anything is written, the first activity (and every 100,000th) is also
built as a real ActivityPage and compared with the bulk rows, so a model change that the
fast path does not know about stops the run instead of writing rows that a re-index or a
re-save would change.

Text generation, segmentation and row encoding run in a forked worker process while the
main process writes, so both cores work. Activity texts are built from a vocabulary
(data/seed_vocabulary.json); since jieba segments every run of Han/alphanumeric characters
on its own, segmenting a text block by block with a cache gives the same words as
segmenting it whole, at a fraction of the cost.
"""

import datetime as dt
import json
import multiprocessing
import random
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.text import slugify

from .constants import NEVER_PUBLISHED, newest_rank

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "seed_vocabulary.json"
POSTER_TITLE_PREFIX = "全国科普日共享海报"
POSTER_COUNT = 20
# Activities per batch (one transaction, one bulk statement per table) unless --batch says.
DEFAULT_BATCH = {"postgresql": 5000, "sqlite": 2000}
# The first activity and every n-th one are also built as real pages and compared.
SELF_CHECK_EVERY = 100_000
# Campaign windows: the guide's 21 August – 30 September, with a few early starters.
WINDOW_START = (8, 15)
WINDOW_END = (9, 30)
PROVINCE_REVIEWED = ("provincial", "municipal", "county")
NATIONAL_CATEGORIES = ("ministry", "national_society")
RESERVATION_BASE = "https://reserve.example.com/kepuri/"


class SeedError(Exception):
    """A reason the seeding cannot start or had to stop; the command shows it."""


# Segmentation ------------------------------------------------------------------------------


class BlockCachedWords:
    """`search.segment.words` with a cache per jieba block.

    jieba splits a text at every character outside its Han/alphanumeric class (spaces,
    punctuation) and segments each block on its own (jieba.Tokenizer.cut), so the words of
    a text are the words of its blocks in order. Generated texts repeat their phrases, so
    most blocks are cache hits."""

    MAX_ENTRIES = 400_000

    def __init__(self, words, max_text):
        import jieba

        self._words = words
        self._max_text = max_text
        self._split = jieba.re_han_default.split
        self._cache = {}

    def __call__(self, text, limit=None):
        limit = self._max_text if limit is None else limit
        text = (text or "")[:limit]
        cache = self._cache
        result = []
        for block in self._split(text):
            if not block:
                continue
            found = cache.get(block)
            if found is None:
                if len(cache) >= self.MAX_ENTRIES:
                    cache.clear()
                found = cache[block] = tuple(self._words(block))
            result.extend(found)
        return result


def cached_segmenter():
    from search import segment

    segment.load()
    return BlockCachedWords(segment.words, segment.MAX_TEXT)


# Vocabulary --------------------------------------------------------------------------------


def load_vocabulary():
    with open(VOCABULARY_FILE, encoding="utf-8") as handle:
        vocabulary = json.load(handle)
    # Texts become rich text and must survive strip_tags unchanged.
    for key, value in vocabulary.items():
        if any(char in json.dumps(value, ensure_ascii=False) for char in "<>&"):
            raise SeedError(f"{VOCABULARY_FILE.name}: {key} contains markup characters")
    return vocabulary


def _weighted(pairs):
    """(values, cumulative weights) for random.choices."""
    values = [value for value, _weight in pairs]
    cumulative, total = [], 0.0
    for _value, weight in pairs:
        total += weight
        cumulative.append(total)
    return values, cumulative


def short_place(name):
    for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    if name.endswith("市") and len(name) > 2:
        return name[:-1]
    return name


# The plan: everything the worker needs, gathered from the database beforehand --------------


@dataclass
class Org:
    id: int
    name: str
    category: str
    province: str | None
    city: str | None
    county: str | None


@dataclass
class Plan:
    vendor: str
    seed: int
    count: int
    pending: int
    batch: int
    anchor: dt.datetime  # midnight today: generated times up to now are before it
    index_id: int
    index_path: str
    index_depth: int
    index_url_path: str
    locale_id: int
    first_step: int
    page_ct: int
    activity_ct: int
    ids: dict
    used_slugs: set
    regions: dict
    provinces: list
    cities: dict
    counties: dict
    channels: dict
    national_channels: dict
    types: list
    type_names: dict
    joint: list
    special: list
    posters: list
    layout: "Layout"
    routes: dict
    title_totals: tuple
    self_check_every: int = SELF_CHECK_EVERY
    lookups: dict = field(default_factory=dict)

    @property
    def total(self):
        return self.count + 2 * self.pending


@dataclass
class Layout:
    """Tables, columns and defaults read from the models and Wagtail at start-up."""

    page_table: str
    page_columns: list
    page_defaults: dict
    activity_table: str
    activity_columns: list
    activity_defaults: dict
    revision_table: str
    revision_columns: list
    children: dict  # relation name -> (table, columns, serialised keys)
    m2m: dict  # field name -> (table, page column, target column)
    content_keys: list
    content_defaults: dict
    field_names: dict  # attname -> serialised name
    reference_table: str | None
    reference_columns: list
    page_references: list  # (attname, to content type, model path, content path, its hash)
    child_references: dict  # relation -> [(attname, to content type, model path, field name)]
    index_table: str
    search_shape: tuple  # PostgreSQL: weights of the title, body and autocomplete parts
    search_configs: tuple  # PostgreSQL: text search configs of body/title and autocomplete


def prepare(*, count, pending, seed, batch=None, moment=None, log=None):
    """Read what generation needs, create the shared posters, reserve primary keys."""
    from wagtail.models import Locale, Page

    from organizations.models import Organization, Region

    from .models import (
        ActivityIndexPage,
        ActivityPage,
        ActivityType,
        JointActionCategory,
        SpecialActionCategory,
    )

    log = log or (lambda message: None)
    vendor = connection.vendor
    if vendor not in DEFAULT_BATCH:
        raise SeedError(f"seed_activities supports PostgreSQL and SQLite, not {vendor}.")
    if count < 0 or pending < 0 or count + pending == 0:
        raise SeedError("Give a positive --count (and optionally --pending).")
    batch = batch or DEFAULT_BATCH[vendor]
    if batch < 1:
        raise SeedError("--batch must be at least 1.")

    index = ActivityIndexPage.objects.order_by("path").first()
    if index is None:
        raise SeedError(
            "There is no activity index page. `manage.py migrate` creates it under the home "
            "page (activities migration 0002); restore it before seeding."
        )
    steplen, alphabet = Page.steplen, Page.alphabet
    last_child = (
        Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    first_step = int(last_child[-steplen:], len(alphabet)) + 1 if last_child else 1
    capacity = len(alphabet) ** steplen - 1
    if first_step + count + 2 * pending - 1 > capacity:
        raise SeedError(
            f"The activity index can hold {capacity:,} children; {first_step - 1:,} exist, so "
            f"{count + 2 * pending:,} more do not fit."
        )

    moment = moment or timezone.now()
    local = timezone.localtime(moment)
    anchor = local.replace(hour=0, minute=0, second=0, microsecond=0)

    regions = {
        code: (name, level, parent)
        for code, name, level, parent in Region.objects.values_list(
            "code", "name", "level", "parent_id"
        )
    }
    vocabulary = load_vocabulary()
    weights = vocabulary["province_weights"]
    provinces = [
        (code, weights[code])
        for code, (name, level, parent) in sorted(regions.items())
        if level == Region.Level.PROVINCE and weights.get(code)
    ]
    cities, counties = {}, {}
    for code, (_name, level, parent) in sorted(regions.items()):
        if level == Region.Level.CITY:
            cities.setdefault(parent, []).append(code)
        elif level == Region.Level.COUNTY:
            counties.setdefault(parent, []).append(code)

    channels, national = {}, {}
    for org in Organization.objects.certified().order_by("pk"):
        item = Org(org.pk, org.name, org.category, org.province_id, org.city_id, org.county_id)
        if org.category in PROVINCE_REVIEWED and org.province_id:
            channels.setdefault((org.province_id, org.category), []).append(item)
        elif org.category in NATIONAL_CATEGORIES:
            national.setdefault(org.category, []).append(item)
    if not provinces or not (channels or national):
        raise SeedError("The region and organization library is empty: run `manage.py migrate`.")

    types = list(ActivityType.objects.filter(is_active=True).values_list("pk", "name"))
    if not types:
        raise SeedError("There is no activity type in use.")
    routes = _routes(index) if pending else {}
    page_ct = ContentType.objects.get_for_model(Page).pk
    activity_ct = ContentType.objects.get_for_model(ActivityPage).pk
    layout = build_layout(vendor)
    # Twenty for a national campaign, a few for a small run; a later, larger run adds more.
    posters = ensure_posters(
        vocabulary, log, min(POSTER_COUNT, max(3, (count + 2 * pending) // 100))
    )
    used_slugs = set(
        Page.objects.filter(path__startswith=index.path, depth=index.depth + 1).values_list(
            "slug", flat=True
        )
    )
    plan = Plan(
        vendor=vendor,
        seed=seed,
        count=count,
        pending=pending,
        batch=batch,
        anchor=anchor,
        index_id=index.pk,
        index_path=index.path,
        index_depth=index.depth,
        index_url_path=index.url_path,
        locale_id=index.locale_id or Locale.get_default().pk,
        first_step=first_step,
        page_ct=page_ct,
        activity_ct=activity_ct,
        ids={},
        used_slugs=used_slugs,
        regions=regions,
        provinces=provinces,
        cities=cities,
        counties=counties,
        channels=channels,
        national_channels=national,
        types=types,
        type_names={name: pk for pk, name in types},
        joint=list(JointActionCategory.objects.filter(is_active=True).values_list("pk", flat=True)),
        special=list(
            SpecialActionCategory.objects.filter(is_active=True).values_list("pk", flat=True)
        ),
        posters=posters,
        layout=layout,
        routes=routes,
        title_totals=_title_totals(layout.index_table, vendor),
    )
    plan.lookups = _lookups(plan)
    plan.ids = reserve_ids(
        {
            layout.page_table: plan.total,
            layout.revision_table: plan.total,
            **{
                layout.children[relation][0]: most * plan.total
                for relation, most in UNITS_PER_ACTIVITY.items()
                if relation in layout.children
            },
        }
    )
    return plan


def _lookups(plan):
    """Model instances the self-check's real pages point at (no queries in the worker)."""
    from organizations.models import Organization, Region

    from .models import ActivityType, JointActionCategory, SpecialActionCategory

    return {
        "regions": {region.pk: region for region in Region.objects.all()},
        "orgs": {org.pk: org for org in Organization.objects.certified()},
        "types": {item.pk: item for item in ActivityType.objects.all()},
        "joint": {item.pk: item for item in JointActionCategory.objects.all()},
        "special": {item.pk: item for item in SpecialActionCategory.objects.all()},
    }


def _routes(index):
    """The two workflows of R19 and their tasks, in order, with each task's stage."""
    from wagtail.models import WorkflowTask

    from workflow.models import ReviewRouting

    routing = ReviewRouting.for_site(index.get_site()) if index.get_site() else None
    if routing is None or routing.province_workflow is None or routing.national_workflow is None:
        raise SeedError(
            "--pending needs both review workflows (Settings → Review routing); none is set."
        )
    routes = {}
    for name, workflow in (
        ("province", routing.province_workflow),
        ("national", routing.national_workflow),
    ):
        if not workflow.active:
            raise SeedError(f"The workflow “{workflow}” is not active.")
        tasks = [
            (link.task.specific.pk, getattr(link.task.specific, "review_stage", "national"))
            for link in WorkflowTask.objects.filter(workflow=workflow, task__active=True)
            .select_related("task")
            .order_by("sort_order")
        ]
        if not tasks:
            raise SeedError(f"The workflow “{workflow}” has no active task.")
        routes[name] = (workflow.pk, tasks)
    if routes["province"][1][0][1] != "province":
        raise SeedError("The province workflow does not start with a province task.")
    for name, (workflow_id, tasks) in routes.items():
        if not any(stage == "national" for _task, stage in tasks):
            raise SeedError(f"The {name} workflow (id {workflow_id}) has no national task.")
    return routes


def _title_totals(table, vendor):
    """Sum and count of title lengths of the index: the running average that Wagtail's
    title_norm refresh uses (lexemes on PostgreSQL, characters on SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT COALESCE(SUM(LENGTH(title)), 0), COUNT(*) FROM "{table}" '  # noqa: S608
            "WHERE LENGTH(title) > 0"
        )
        total, number = cursor.fetchone()
    return int(total), int(number)


def ensure_posters(vocabulary, log, wanted=POSTER_COUNT):
    """Poster images drawn once (activities/posters.py) and shared by all activities."""
    import io

    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from .posters import make_poster

    image_model = get_image_model()
    existing = list(
        image_model.objects.filter(title__startswith=POSTER_TITLE_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    themes = vocabulary["poster_themes"]
    drawn = 0
    for number in range(len(existing), wanted):
        theme, host = themes[number % len(themes)]
        data = make_poster(theme, "每年9月 全国科普日", host, seed=number, size=(600, 800))
        image = image_model.objects.create(
            title=f"{POSTER_TITLE_PREFIX} {number + 1:02d}",
            file=ImageFile(io.BytesIO(data), name=f"kepuri-poster-{number + 1:02d}.jpg"),
        )
        existing.append(image.pk)
        drawn += 1
    if drawn:
        log(f"  {drawn} shared poster images drawn ({len(existing)} in all)")
    return existing


def reserve_ids(counts):
    """Reserve a block of primary keys per table, so rows written with explicit ids never
    collide with rows other sessions insert meanwhile. Returns {table: first id}."""
    starts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, number in counts.items():
            if connection.vendor == "postgresql":
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
                sequence = cursor.fetchone()[0]
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
                last_value, is_called = cursor.fetchone()
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
                highest = max(cursor.fetchone()[0], last_value if is_called else 0)
                start = highest + 1
                cursor.execute("SELECT setval(%s, %s, true)", [sequence, start + number - 1])
            else:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
                highest = cursor.fetchone()[0]
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                start = max(highest, row[0] if row else 0) + 1
                if row:
                    cursor.execute(
                        "UPDATE sqlite_sequence SET seq = %s WHERE name = %s",
                        [start + number - 1, table],
                    )
                else:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                        [table, start + number - 1],
                    )
            starts[table] = start
    return starts


# Layout: what Wagtail and modelsearch say the rows look like --------------------------------


def _column_defaults(model, fields, provided):
    defaults = {}
    for model_field in fields:
        name = model_field.attname
        if name in provided:
            continue
        if model_field.has_default():
            if callable(model_field.default):
                raise SeedError(
                    f"{model.__name__}.{model_field.name} has a computed default the bulk "
                    "seeder does not fill in; teach activities/bulk_seed.py about it."
                )
            defaults[name] = model_field.get_default()
        elif model_field.null:
            defaults[name] = None
        elif model_field.empty_strings_allowed:
            defaults[name] = ""
        else:
            raise SeedError(
                f"{model.__name__}.{model_field.name} is required and unknown to the bulk seeder."
            )
    return defaults


PAGE_VALUES = {
    "id",
    "path",
    "depth",
    "numchild",
    "translation_key",
    "locale_id",
    "latest_revision_id",
    "live",
    "has_unpublished_changes",
    "first_published_at",
    "last_published_at",
    "live_revision_id",
    "title",
    "draft_title",
    "slug",
    "content_type_id",
    "url_path",
    "latest_revision_created_at",
}
ACTIVITY_VALUES = {
    "page_ptr_id",
    "mode",
    "activity_type_id",
    "start_at",
    "end_at",
    "province_id",
    "city_id",
    "county_id",
    "channel_category",
    "channel_id",
    "review_province_id",
    "is_joint_action",
    "is_special_action",
    "is_youth_festival",
    "supports_reservation",
    "reservation_url",
    "poster_id",
    "details",
    "content",
    "audience",
    "scientists",
    "contact_person",
    "contact_phone",
    "contact_email",
    "highlights",
    "expected_participants",
    "address",
    "participation_channel",
    "promotion",
    "name_key",
    "newest_key",
    "newest_rank",
    "listed",
}
CHILD_VALUES = {"id", "sort_order", "organization_id", "name", "page_id"}
# The child relations the generator fills, with the most units one activity gets.
UNITS_PER_ACTIVITY = {"host_units": 2, "organizer_units": 2}


def build_layout(vendor):
    from modelcluster.models import get_all_child_relations, get_serializable_data_for_fields
    from wagtail.models import Page, ReferenceIndex, Revision
    from wagtail.search.backends import get_search_backend
    from wagtail.search.models import IndexEntry

    from .models import ActivityPage

    page_fields = list(Page._meta.concrete_fields)
    activity_fields = list(ActivityPage._meta.local_concrete_fields)
    children = {}
    child_relations = get_all_child_relations(ActivityPage)
    for relation in child_relations:
        if relation.get_accessor_name() not in UNITS_PER_ACTIVITY:
            continue  # written empty, like an activity without such rows
        model = relation.related_model
        fields = list(model._meta.concrete_fields)
        unknown = {f.attname for f in fields} - CHILD_VALUES
        if unknown:
            raise SeedError(f"{model.__name__} has fields the bulk seeder does not fill: {unknown}")
        keys = list(get_serializable_data_for_fields(model()).keys())
        children[relation.get_accessor_name()] = (
            model._meta.db_table,
            [(f.column, f.attname) for f in fields],
            keys,
        )
    m2m = {}
    for m2m_field in ActivityPage._meta.local_many_to_many:
        through = m2m_field.remote_field.through
        m2m[m2m_field.name] = (
            through._meta.db_table,
            m2m_field.m2m_column_name(),
            m2m_field.m2m_reverse_name(),
        )

    prototype = ActivityPage()
    content_defaults = prototype.serializable_data()
    content_keys = list(content_defaults)
    field_names = {f.attname: f.name for f in [*page_fields, *activity_fields] if not f.primary_key}

    page_references, child_references = _reference_layout(ActivityPage, child_relations)
    reference_table = (
        ReferenceIndex._meta.db_table if ReferenceIndex.is_indexed(ActivityPage) else None
    )

    backend = get_search_backend()
    shape, configs = (), ()
    if vendor == "postgresql":
        shape, configs = _search_shape(backend)
    return Layout(
        page_table=Page._meta.db_table,
        page_columns=[(f.column, f.attname) for f in page_fields],
        page_defaults=_column_defaults(Page, page_fields, PAGE_VALUES),
        activity_table=ActivityPage._meta.db_table,
        activity_columns=[(f.column, f.attname) for f in activity_fields],
        activity_defaults=_column_defaults(ActivityPage, activity_fields, ACTIVITY_VALUES),
        revision_table=Revision._meta.db_table,
        revision_columns=[
            "id",
            "created_at",
            "approved_go_live_at",
            "user_id",
            "content",
            "object_id",
            "content_type_id",
            "base_content_type_id",
            "object_str",
        ],
        children=children,
        m2m=m2m,
        content_keys=content_keys,
        content_defaults=content_defaults,
        field_names=field_names,
        reference_table=reference_table,
        reference_columns=[
            "content_type_id",
            "base_content_type_id",
            "object_id",
            "to_content_type_id",
            "to_object_id",
            "model_path",
            "content_path",
            "content_path_hash",
        ],
        page_references=page_references,
        child_references=child_references,
        index_table=IndexEntry._meta.db_table,
        search_shape=shape,
        search_configs=configs,
    )


def _reference_layout(model, child_relations):
    """Which fields ReferenceIndex records, found by letting it scan a page whose every
    foreign key is set."""
    from wagtail.models import ReferenceIndex

    def fill(instance):
        for model_field in instance._meta.concrete_fields:
            if model_field.many_to_one and not model_field.primary_key:
                setattr(instance, model_field.attname, 1)
        return instance

    prototype = fill(model())
    for relation in child_relations:
        child = fill(relation.related_model(pk=1))
        setattr(prototype, relation.get_accessor_name(), [child])
    page_references, child_references = [], {}
    for to_ct, _value, model_path, content_path in ReferenceIndex._extract_references_from_object(
        prototype
    ):
        parts = model_path.split(".")
        if len(parts) == 1:
            attname = model._meta.get_field(model_path).attname
            content_hash = ReferenceIndex._get_content_path_hash(content_path)
            page_references.append((attname, to_ct, model_path, content_path, content_hash))
        elif len(parts) == 3 and parts[1] == "item":
            relation, _item, field_name = parts
            related = model._meta.get_field(relation).related_model
            attname = related._meta.get_field(field_name).attname
            child_references.setdefault(relation, []).append(
                (attname, to_ct, model_path, field_name)
            )
        else:
            raise SeedError(f"Unexpected reference path {model_path}: teach bulk_seed.py.")
    return page_references, child_references


def _postgres_indexer_class():
    from modelsearch.backends.database.postgres.postgres import ObjectIndexer

    class TextIndexer(ObjectIndexer):
        """The backend's indexer, stopped before it turns texts into SQL expressions, so
        the texts and weights can be bulk loaded and vectorised by the same SQL."""

        def as_vector(self, texts, for_autocomplete=False):
            texts = [(text.strip(), weight) for text, weight in texts]
            return tuple((text, weight) for text, weight in texts if text)

    return TextIndexer


def _search_shape(backend):
    from .models import ActivityPage

    indexer_class = _postgres_indexer_class()
    row = search_row_class(ActivityPage)({"title": "x"}, "x", "x", 0, "x")
    indexer = indexer_class(row, backend)
    shape = tuple(
        tuple(weight for _text, weight in parts)
        for parts in (indexer.title, indexer.body, indexer.autocomplete)
    )
    for weights in shape:
        for weight in weights:
            if weight not in ("A", "B", "C", "D"):
                raise SeedError(f"Unexpected search weight {weight!r}.")
    return shape, (backend.config, backend.autocomplete_config)


def search_row_class(model):
    """A stand-in for a page as the search backend's ObjectIndexer reads it: the model's
    search fields, field values by attname, and search_title/search_text/search_filters
    already computed (the indexer calls methods but takes plain values as they are)."""

    class SearchRow:
        _meta = model._meta

        def __init__(self, values, search_title, search_text, pk, search_filters=""):
            self.__dict__.update(values)
            self.search_title = search_title
            self.search_text = search_text
            self.search_filters = search_filters
            self.pk = pk

        @staticmethod
        def get_search_fields():
            return model.get_search_fields()

    return SearchRow


# Generation (runs in the worker) -----------------------------------------------------------


@dataclass
class Activity:
    page: dict
    activity: dict
    revision_id: int
    submitted_at: dt.datetime
    hosts: list
    organizers: list
    joint: list
    special: list
    names: dict
    pending: tuple | None = None

    def units(self, relation):
        return {"host_units": self.hosts, "organizer_units": self.organizers}.get(relation, [])

    def m2m(self):
        return {"joint_action_categories": self.joint, "special_action_categories": self.special}


def draft_state(page):
    """The page row as it was when its revision was saved: not yet published."""
    return {
        **page,
        "live": False,
        "has_unpublished_changes": False,
        "first_published_at": None,
        "last_published_at": None,
        "live_revision_id": None,
        "latest_revision_id": None,
        "latest_revision_created_at": None,
    }


def draft_activity(activity):
    """The activity row as it was when its revision was saved: not yet published."""
    return {
        **activity,
        "newest_key": NEVER_PUBLISHED,
        "newest_rank": newest_rank(NEVER_PUBLISHED, activity["page_ptr_id"]),
        "listed": False,
    }


def names_of(key, row):
    """The attname under which a child row holds serialised `key`."""
    return key if key in row else f"{key}_id"


class Generator:
    """Deterministic activities from the plan and its seed."""

    def __init__(self, plan, vocabulary, words):
        self.plan = plan
        self.vocabulary = vocabulary
        self.words = words
        # The seed and where this run starts: an appending run must not repeat the
        # translation keys (unique per locale) of the run before it.
        self.rng = random.Random(f"{plan.seed}:{plan.ids[plan.layout.page_table]}")
        self.step = plan.first_step
        self.page_id = plan.ids[plan.layout.page_table]
        self.revision_id = plan.ids[plan.layout.revision_table]
        self.child_ids = {
            relation: plan.ids[table] for relation, (table, _c, _k) in plan.layout.children.items()
        }
        self.slug_counters = {}
        self.used_slugs = set(plan.used_slugs)  # the plan stays reusable
        v = vocabulary
        self.provinces = _weighted(plan.provinces)
        self.reviewed_provinces = _weighted(
            [
                (code, weight)
                for code, weight in plan.provinces
                if any((code, category) in plan.channels for category in PROVINCE_REVIEWED)
            ]
        )
        self.categories = v["category_weights"]
        years = [(int(year), weight) for year, weight in v["year_weights"].items()]
        self.ended_years = _weighted(
            [(year, weight) for year, weight in years if self._window_ended(year)]
        )
        self.audiences = _weighted([((a, b), w) for a, b, w in v["audiences"]])
        self.topics = _weighted([((a, b), w) for a, b, w in v["topics"]])
        self.formats = _weighted([((a, b), w) for a, b, w in v["formats"]])
        self.patterns = _weighted([(p, w) for p, w in v["title_patterns"]])
        # Zipf: the first specialist terms are common, the last appear in a few activities
        # per million, so search meets every document frequency.
        self.rare_terms = _weighted(
            [(term, 1 / (rank + 1) ** 2) for rank, term in enumerate(v["rare_terms"])]
        )
        from wagtail.models import Page

        from .names import normalize_name

        self.alphabet = Page.alphabet
        self.steplen = Page.steplen
        self.normalize_name = normalize_name

    # -- helpers -------------------------------------------------------------------------

    def pick(self, weighted):
        values, cumulative = weighted
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def name(self, code):
        return self.plan.regions[code][0] if code else ""

    def path_for(self, step):
        digits = []
        base = len(self.alphabet)
        for _ in range(self.steplen):
            step, digit = divmod(step, base)
            digits.append(self.alphabet[digit])
        return self.plan.index_path + "".join(reversed(digits))

    def slug_for(self, title):
        base = slugify(title, allow_unicode=True)[:240] or "activity"
        slug = base
        if slug in self.used_slugs:
            number = self.slug_counters.get(base, 1)
            while True:
                number += 1
                slug = f"{base}-{number}"
                if slug not in self.used_slugs:
                    break
            self.slug_counters[base] = number
        self.used_slugs.add(slug)
        return slug

    # -- choices -------------------------------------------------------------------------

    def channel_for(self, province, categories):
        rng = self.rng
        plan = self.plan
        options = []
        for category in categories:
            weight = self.categories.get(category, 0)
            if not weight:
                continue
            if category in PROVINCE_REVIEWED:
                if (province, category) in plan.channels:
                    options.append((category, weight))
            elif plan.national_channels.get(category):
                options.append((category, weight))
        if not options:
            return None
        category = self.pick(_weighted(options))
        if category in PROVINCE_REVIEWED:
            return rng.choice(plan.channels[(province, category)])
        return rng.choice(plan.national_channels[category])

    def place_for(self, province, channel):
        """City and county consistent with the province and a local channel."""
        rng = self.rng
        plan = self.plan
        if channel.category in PROVINCE_REVIEWED and channel.category != "provincial":
            city, county = channel.city, channel.county
            if county is None and city is not None and rng.random() < 0.4:
                county = rng.choice(plan.counties.get(city) or [None])
            return city, county
        cities = plan.cities.get(province)
        if not cities:
            direct = plan.counties.get(province)
            county = rng.choice(direct) if direct and rng.random() < 0.6 else None
            return None, county
        # The capital (first code) hosts more activities.
        city = cities[0] if rng.random() < 0.3 else rng.choice(cities)
        county = None
        if rng.random() < 0.4 and plan.counties.get(city):
            county = rng.choice(plan.counties[city])
        return city, county

    def dates(self, kind, duration_kind):
        """Start, end, submitted and published for an activity that has ended, is going on,
        is upcoming, or is waiting for review."""
        rng = self.rng
        anchor = self.plan.anchor
        tz = anchor.tzinfo
        if duration_kind == "days":
            duration = dt.timedelta(days=rng.randint(2, 30))
        elif duration_kind == "trip":
            duration = dt.timedelta(days=rng.randint(1, 3), hours=rng.choice([0, 4, 8]))
        else:
            duration = dt.timedelta(minutes=rng.choice([90, 120, 150, 180, 240, 360, 480]))
        hour, minute = rng.randint(8, 19), rng.choice([0, 0, 30])
        if kind == "ended":
            year = self.pick(self.ended_years) if self.ended_years[0] else anchor.year - 1
            window_start = dt.date(year, *WINDOW_START)
            days = (dt.date(year, *WINDOW_END) - window_start).days
            # Most activities gather around the third week of September.
            offset = round(rng.triangular(0, days, days * 0.75))
            day = window_start + dt.timedelta(days=offset)
            start = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            start = _localize(start)
            end = min(start + duration, anchor - dt.timedelta(hours=1))
            if end < start:
                end = start + dt.timedelta(hours=1)
            published = start - dt.timedelta(days=rng.uniform(2, 30))
        elif kind == "ongoing":
            start = anchor - dt.timedelta(days=rng.randint(1, 10)) + dt.timedelta(hours=hour)
            end = anchor + dt.timedelta(days=rng.randint(2, 25), hours=hour)
            published = start - dt.timedelta(days=rng.uniform(2, 20))
        else:  # upcoming or pending: starts in the coming months
            first = 7 if kind == "pending" else 1
            day = anchor + dt.timedelta(days=rng.randint(first, 120))
            start = _localize(day.replace(tzinfo=None).replace(hour=hour, minute=minute), tz)
            end = start + duration
            if kind == "pending":
                published = None
            else:
                published = anchor - dt.timedelta(days=rng.uniform(0.01, 25))
        if published is not None:
            submitted = published - dt.timedelta(hours=rng.uniform(1, 120))
        else:
            submitted = anchor - dt.timedelta(days=rng.uniform(0.05, 12))
        return (
            start.astimezone(dt.UTC),
            end.astimezone(dt.UTC),
            _second(submitted).astimezone(dt.UTC),
            _second(published).astimezone(dt.UTC) if published else None,
        )

    def _window_ended(self, year):
        end = dt.datetime(year, *WINDOW_END, 23, 59, tzinfo=self.plan.anchor.tzinfo)
        return _localize(end) < self.plan.anchor

    # -- one activity --------------------------------------------------------------------

    def activity(self, kind, pending=None):
        rng = self.rng
        plan = self.plan
        v = self.vocabulary

        if pending and pending[0] in ("province", "national_two_stage"):
            province = self.pick(self.reviewed_provinces)
            channel = self.channel_for(province, PROVINCE_REVIEWED)
        elif pending:
            province = self.pick(self.provinces)
            channel = self.channel_for(province, NATIONAL_CATEGORIES)
        else:
            province = self.pick(self.provinces)
            channel = self.channel_for(province, tuple(self.categories))
        if channel is None:  # a province without any channel: national ones serve it
            channel = self.channel_for(province, NATIONAL_CATEGORIES)
        city, county = self.place_for(province, channel)

        audience_word, audience = self.pick(self.audiences)
        topic, field_name = self.pick(self.topics)
        topic2, _field2 = self.pick(self.topics)
        format_word, type_name = self.pick(self.formats)
        type_id = plan.type_names.get(type_name) or rng.choice(plan.types)[0]
        type_label = next(name for pk, name in plan.types if pk == type_id)
        if type_label == "线上直播":
            mode = "online"
        else:
            mode = rng.choices(["offline", "both", "online"], cum_weights=[60, 88, 100])[0]
        duration_kind = {"科普展览": "days", "科普研学": "trip"}.get(type_label, "hours")
        start, end, submitted, published = self.dates(kind, duration_kind)

        place_code = county or city or province
        place = short_place(self.name(place_code)) if rng.random() < 0.85 else ""
        lead = rng.choice(v["leads"])
        venue = rng.choice(v["venues"])
        slots = {
            "lead": lead,
            "place": place,
            "audience": audience_word,
            "topic": topic,
            "topic2": topic2,
            "format": format_word,
            "venue": venue,
            "year": timezone.localtime(start).year,
        }
        title = self.pick(self.patterns).format(**slots)
        if len(title) > 50:
            title = f"{place}{topic}{format_word}"[:50]

        city_name, county_name = self.name(city), self.name(county)
        province_name = self.name(province)
        full_place = province_name + (city_name or "") + (county_name or "")
        institution = rng.choice(v["institutions"])
        scientist_name = rng.choice(v["surnames"]) + rng.choice(v["given_names"])
        scientist_title = rng.choice(v["titles_of_scientists"])
        slots.update(
            {
                "audience": audience,
                "channel": channel.name,
                "place": short_place(self.name(place_code)),
                "institution": institution,
                "field": field_name,
                "title_of_scientist": scientist_title,
                "scientist_name": scientist_name,
                "hours": rng.choice(["两", "三", "四"]),
                "stations": rng.randint(5, 30),
                "edition": rng.choice(["二", "三", "五", "八", "十"]),
                "rare": self.pick(self.rare_terms),
            }
        )
        opening = [s.format(**slots) for s in rng.sample(v["opening_sentences"], 2)]
        body = [s.format(**slots) for s in rng.sample(v["body_sentences"], rng.randint(2, 4))]
        if rng.random() < 0.35:
            body.append(rng.choice(v["rare_sentences"]).format(**slots))
        points = rng.sample(v["highlights"], rng.randint(2, 3))
        details = (
            "<p>"
            + "".join(opening)
            + "</p><p>"
            + "".join(body)
            + "</p><h2>活动亮点</h2><ul>"
            + "".join(f"<li>{point}</li>" for point in points)
            + "</ul>"
        )
        details_text = "".join(opening) + "".join(body) + "活动亮点" + "".join(points)
        content = rng.choice(v["content_templates"]).format(**slots)
        if rng.random() < 0.5:
            scientists = f"{institution}{field_name}领域的科研人员"
        else:
            scientists = f"{scientist_name}（{institution}{scientist_title}）"
        contact = rng.choice(v["surnames"]) + rng.choice(v["contact_roles"])
        if rng.random() < 0.6:
            phone = f"0{rng.randint(10, 999)}-{rng.randint(2000_0000, 8999_9999)}"
        else:
            phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
        address = "" if mode == "online" else f"{full_place}{venue}"

        page_id = self.page_id
        revision_id = self.revision_id
        self.page_id += 1
        self.revision_id += 1
        reservation = rng.random() < 0.08
        hosts = []
        if rng.random() < 0.7:
            hosts.append((channel.id, channel.name))
        else:
            hosts.append((None, f"{full_place or '线上'}{venue}"[:100]))
        if rng.random() < 0.15:
            hosts.append((None, f"{institution}"))
        organizers = [
            (None, f"{full_place or province_name}{rng.choice(v['organizer_suffixes'])}"[:100])
            for _ in range(rng.choice([0, 1, 1, 2]))
        ]
        joint = []
        if plan.joint and rng.random() < 0.2:
            joint = sorted(rng.sample(plan.joint, min(len(plan.joint), rng.randint(1, 2))))
        special = sorted(rng.sample(plan.special, 1)) if plan.special and rng.random() < 0.1 else []
        youth_audience = audience_word in ("青少年", "校园", "亲子", "少儿")
        review_province = channel.province if channel.category in PROVINCE_REVIEWED else None

        step = self.step
        self.step += 1
        slug = self.slug_for(title)
        live = pending is None
        page = {
            "id": page_id,
            "path": self.path_for(step),
            "depth": plan.index_depth + 1,
            "numchild": 0,
            "translation_key": uuid.UUID(int=rng.getrandbits(128), version=4),
            "locale_id": plan.locale_id,
            "latest_revision_id": revision_id,
            "live": live,
            "has_unpublished_changes": not live,
            "first_published_at": published,
            "last_published_at": published,
            "live_revision_id": revision_id if live else None,
            "title": title,
            "draft_title": title,
            "slug": slug,
            "content_type_id": plan.activity_ct,
            "url_path": f"{plan.index_url_path}{slug}/",
            "latest_revision_created_at": submitted,
        }
        activity = {
            "page_ptr_id": page_id,
            "mode": mode,
            "activity_type_id": type_id,
            "start_at": start,
            "end_at": end,
            "province_id": province,
            "city_id": city,
            "county_id": county,
            "channel_category": channel.category,
            "channel_id": channel.id,
            "review_province_id": review_province,
            "is_joint_action": bool(joint),
            "is_special_action": bool(special),
            "is_youth_festival": rng.random() < (0.45 if youth_audience else 0.05),
            "supports_reservation": reservation,
            "reservation_url": f"{RESERVATION_BASE}{page_id}" if reservation else "",
            "poster_id": rng.choice(plan.posters),
            "details": details,
            "content": content,
            "audience": audience,
            "scientists": scientists,
            "contact_person": contact,
            "contact_phone": phone,
            "contact_email": f"kepu{page_id}@example.com" if rng.random() < 0.3 else "",
            "highlights": rng.choice(v["highlights"]) if rng.random() < 0.7 else "",
            "expected_participants": rng.choice([50, 100, 200, 300, 500, 1000, 2000, 5000]),
            "address": address,
            "participation_channel": rng.choice(v["participation"]) if rng.random() < 0.6 else "",
            "promotion": rng.choice(v["promotion"]) if rng.random() < 0.5 else "",
            "name_key": self.normalize_name(title)[:255],
            "newest_key": published or NEVER_PUBLISHED,
            "newest_rank": newest_rank(published or NEVER_PUBLISHED, page_id),
            "listed": page["live"],
        }
        host_rows = self._children("host_units", page_id, hosts)
        organizer_rows = self._children("organizer_units", page_id, organizers)
        return Activity(
            page=page,
            activity=activity,
            revision_id=revision_id,
            submitted_at=submitted,
            hosts=host_rows,
            organizers=organizer_rows,
            joint=joint,
            special=special,
            names={
                "details_text": details_text,
                "type": type_label,
                "province": province_name,
                "city": city_name,
                "county": county_name,
                "channel": channel.name,
            },
            pending=pending,
        )

    def _children(self, relation, page_id, units):
        rows = []
        if relation not in self.child_ids:
            return rows
        for order, (organization, name) in enumerate(units):
            rows.append(
                {
                    "id": self.child_ids[relation],
                    "sort_order": order,
                    "organization_id": organization,
                    "name": name,
                    "page_id": page_id,
                }
            )
            self.child_ids[relation] += 1
        return rows

    def kinds(self):
        """What each of the total activities is: approved ones first, then the pending."""
        rng = self.rng
        for _ in range(self.plan.count):
            roll = rng.random()
            yield ("upcoming" if roll < 0.15 else "ongoing" if roll < 0.17 else "ended"), None
        for _ in range(self.plan.pending):
            yield "pending", ("province",)
        for number in range(self.plan.pending):
            yield "pending", ("national_two_stage",) if number % 2 == 0 else ("national_only",)


def _localize(value, tz=None):
    """An aware local datetime for a wall-clock time (DST-safe for any TIME_ZONE)."""
    naive = value.replace(tzinfo=None)
    return timezone.make_aware(naive, tz or timezone.get_current_timezone())


def _second(value):
    return value.replace(microsecond=0)


# Rows --------------------------------------------------------------------------------------


class RowBuilder:
    """Turns activities into rows per table, in Python values."""

    def __init__(self, plan, words):
        from wagtail.search.backends import get_search_backend

        self.plan = plan
        self.layout = plan.layout
        self.words = words
        self.backend = get_search_backend()
        if plan.vendor == "postgresql":
            self.indexer_class = _postgres_indexer_class()
        else:
            from modelsearch.backends.database.sqlite.sqlite import ObjectIndexer

            self.indexer_class = ObjectIndexer
        from .models import ActivityPage

        self.model = ActivityPage
        self.search_row = search_row_class(ActivityPage)
        self.ensure_ascii = plan.vendor != "postgresql"
        self.title_total, self.title_count = plan.title_totals
        self.recipe = self._index_recipe()
        from wagtail.models import ReferenceIndex

        self.content_path_hash = ReferenceIndex._get_content_path_hash

    def segment(self, text):
        return " ".join(self.words(text))

    def search_texts(self, item):
        """search_title() and search_text() of the page, from the same parts."""
        from .models import organization_search_names

        page, activity, names = item.page, item.activity, item.names
        orgs = self.plan.lookups["orgs"]

        def unit_names(unit):
            # As the model's unit_search_names, from the library read beforehand.
            organization = orgs[unit["organization_id"]] if unit["organization_id"] else None
            return organization_search_names(organization) if organization else [unit["name"]]

        parts = [
            names["details_text"],
            activity["content"],
            activity["audience"],
            activity["scientists"],
            activity["highlights"],
            activity["address"],
            names["type"],
            names["province"],
            names["city"],
            names["county"],
            *organization_search_names(orgs[activity["channel_id"]]),
            *(name for unit in item.hosts for name in unit_names(unit)),
            *(name for unit in item.organizers for name in unit_names(unit)),
        ]
        return self.segment(page["title"]), self.segment(" ".join(p for p in parts if p))

    def content(self, item):
        """The revision's content: serializable_data() of the page as it was submitted."""
        layout = self.layout
        names = layout.field_names
        values = {"pk": item.page["id"]}
        for source in (draft_state(item.page), draft_activity(item.activity)):
            for attname, value in source.items():
                if attname in names:
                    values[names[attname]] = value
        for relation, (_table, _columns, keys) in layout.children.items():
            values[relation] = [
                {key: (row["id"] if key == "pk" else row[names_of(key, row)]) for key in keys}
                for row in item.units(relation)
            ]
        values.update(item.m2m())
        content = {
            key: values.get(key, layout.content_defaults[key]) for key in layout.content_keys
        }
        return json.dumps(content, cls=DjangoJSONEncoder, ensure_ascii=self.ensure_ascii)

    def references(self, item):
        """Rows ReferenceIndex.create_or_update_for_object would insert for the page."""
        plan, layout = self.plan, self.layout
        if layout.reference_table is None:
            return []
        object_id = str(item.page["id"])
        rows = []
        for attname, to_ct, model_path, content_path, content_hash in layout.page_references:
            value = item.activity.get(attname, item.page.get(attname))
            if value is not None:
                rows.append(
                    (
                        plan.activity_ct,
                        plan.page_ct,
                        object_id,
                        to_ct,
                        str(value),
                        model_path,
                        content_path,
                        content_hash,
                    )
                )
        for relation, references in layout.child_references.items():
            for unit in item.units(relation):
                for attname, to_ct, model_path, field_name in references:
                    value = unit.get(attname)
                    if value is None:
                        continue
                    content_path = f"{relation}.{unit['id']}.{field_name}"
                    rows.append(
                        (
                            plan.activity_ct,
                            plan.page_ct,
                            object_id,
                            to_ct,
                            str(value),
                            model_path,
                            content_path,
                            self.content_path_hash(content_path),
                        )
                    )
        return rows

    def indexed(self, values):
        """What the search backend's ObjectIndexer makes of a page with these values:
        (title, body, autocomplete) parts with weights plus title_text and body_text on
        PostgreSQL; the title, autocomplete and body strings on SQLite."""
        row = self.search_row(
            values,
            values["search_title"],
            values["search_text"],
            values["id"],
            values["search_filters"],
        )
        indexer = self.indexer_class(row, self.backend)
        if self.plan.vendor == "postgresql":
            return (
                indexer.title,
                indexer.body,
                indexer.autocomplete,
                indexer.title_text,
                indexer.body_text,
            )
        return indexer.title, indexer.autocomplete, indexer.body

    def _index_recipe(self):
        """Which values, in which order and with which weight, the indexer puts into each
        index column, read off a probe whose values are unique markers. None when it does
        anything else with them; then every row goes through the indexer itself."""
        names = [f.attname for f in self.model._meta.concrete_fields]
        names += ["search_title", "search_text", "search_filters"]
        markers = {name: f"\ue000{number}\ue001" for number, name in enumerate(names)}
        by_marker = {marker: name for name, marker in markers.items()}

        def parse(text):
            parts = text.split(" ") if text else []
            return [by_marker[part] for part in parts]

        try:
            output = self.indexed(markers)
            if self.plan.vendor == "postgresql":
                vectors = tuple(
                    tuple((by_marker[text], weight) for text, weight in parts)
                    for parts in output[:3]
                )
                return (*vectors, parse(output[3]), parse(output[4]))
            return tuple(parse(text) for text in output)
        except KeyError:
            return None

    def index_entry(self, item, search_title, search_text):
        values = {
            **item.page,
            **item.activity,
            "search_title": search_title,
            "search_text": search_text,
        }
        places = [item.names[name] for name in ("province", "city", "county")]
        values["search_filters"] = self.model.search_filters_of(values, [p for p in places if p])
        object_id = str(item.page["id"])
        recipe = self.recipe
        if recipe is None:
            output = self.indexed(values)
        elif self.plan.vendor == "postgresql":
            texts = {name: _as_text(values[name]) for name in self.recipe_names}
            output = (
                *(
                    tuple(
                        (texts[name].strip(), weight)
                        for name, weight in parts
                        if texts[name].strip()
                    )
                    for parts in recipe[:3]
                ),
                *(
                    " ".join(texts[name].strip() for name in names if texts[name].strip())
                    for names in recipe[3:]
                ),
            )
        else:
            output = tuple(" ".join(_as_text(values[name]) for name in names) for names in recipe)
        if self.plan.vendor == "postgresql":
            parts = output[:3]
            shape = tuple(tuple(weight for _text, weight in texts) for texts in parts)
            if shape != self.layout.search_shape:
                raise SeedError(
                    f"Search fields of page {object_id} give {shape}, expected "
                    f"{self.layout.search_shape}."
                )
            texts = [text for field_parts in parts for text, _weight in field_parts]
            return (self.plan.activity_ct, object_id, *texts, output[3], output[4])
        return (self.plan.activity_ct, object_id, *output)

    @cached_property
    def recipe_names(self):
        names = set()
        for parts in self.recipe[:3]:
            names.update(name for name, _weight in parts)
        for part_names in self.recipe[3:]:
            names.update(part_names)
        return names

    def rows(self, items):
        """{table: [row tuples]} for a batch, plus the pending workflow facts."""
        layout, plan = self.layout, self.plan
        tables = {
            layout.page_table: [],
            layout.activity_table: [],
            layout.revision_table: [],
            "search": [],
        }
        for table, _columns, _keys in layout.children.values():
            tables[table] = []
        for table, _page_column, _target in layout.m2m.values():
            tables[table] = []
        if layout.reference_table:
            tables[layout.reference_table] = []
        pending = []
        page_columns = [attname for _column, attname in layout.page_columns]
        activity_columns = [attname for _column, attname in layout.activity_columns]
        for item in items:
            page, activity = item.page, item.activity
            tables[layout.page_table].append(
                tuple(page.get(name, layout.page_defaults.get(name)) for name in page_columns)
            )
            tables[layout.activity_table].append(
                tuple(
                    activity.get(name, layout.activity_defaults.get(name))
                    for name in activity_columns
                )
            )
            tables[layout.revision_table].append(
                (
                    item.revision_id,
                    item.submitted_at,
                    None,
                    None,
                    self.content(item),
                    str(page["id"]),
                    plan.activity_ct,
                    plan.page_ct,
                    page["title"],
                )
            )
            for relation, (table, columns, _keys) in layout.children.items():
                for unit in item.units(relation):
                    tables[table].append(tuple(unit[attname] for _column, attname in columns))
            m2m = item.m2m()
            for name, (table, _page_column, _target) in layout.m2m.items():
                for target in m2m.get(name, ()):
                    tables[table].append((page["id"], target))
            if layout.reference_table:
                tables[layout.reference_table].extend(self.references(item))
            search_title, search_text = self.search_texts(item)
            tables["search"].append(self.index_entry(item, search_title, search_text))
            if item.pending:
                pending.append((page["id"], item.revision_id, item.submitted_at, item.pending[0]))
        if plan.vendor == "sqlite":
            tables["search"] = self._with_title_norms(tables["search"])
        return tables, pending

    def _with_title_norms(self, entries):
        """Wagtail's title_norm: the average title length over the index, running, divided
        by this title's length (modelsearch SQLiteIndex._refresh_title_norms)."""
        lengths = [len(entry[2]) for entry in entries]
        self.title_total += sum(length for length in lengths if length)
        self.title_count += sum(1 for length in lengths if length)
        average = self.title_total / self.title_count if self.title_count else 1.0
        return [
            (*entry[:2], average / length if length else 1.0, *entry[2:])
            for entry, length in zip(entries, lengths, strict=True)
        ]


def _as_text(value):
    """ObjectIndexer.prepare_value for the scalar values a page has."""
    return value if isinstance(value, str) else force_str(value)


# Encoding for the two databases ------------------------------------------------------------


def _copy_text(value):
    # Scanning for the four characters is much cheaper than translate() on long texts.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_value(value):
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _copy_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def encode_postgres(tables):
    return {
        table: "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows).encode()
        for table, rows in tables.items()
        if rows
    }


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def encode_sqlite(tables):
    return {
        table: [tuple(map(_sqlite_value, row)) for row in rows]
        for table, rows in tables.items()
        if rows
    }


# Self-check: a real page built from the same activity must agree with the bulk rows ---------


def self_check(plan, builder, item):
    """Build `item` as a real ActivityPage and compare what Wagtail and the search backend
    derive from it with the bulk rows. Raises SeedError on any difference."""
    from wagtail.models import ReferenceIndex

    from search import segment as segment_module

    page = real_page(plan, item)
    problems = []
    # Segmentation by blocks must equal jieba on the whole text.
    search_title, search_text = builder.search_texts(item)
    cached = segment_module.words
    try:
        segment_module.words = builder.words._words
        if page.search_title() != search_title:
            problems.append("search_title")
        if page.search_text() != search_text:
            problems.append("search_text")
    finally:
        segment_module.words = cached
    expected_content = json.loads(json.dumps(page.serializable_data(), cls=DjangoJSONEncoder))
    content = json.loads(builder.content(item))
    if content != expected_content:
        differing = sorted(
            key
            for key in {*content, *expected_content}
            if content.get(key) != expected_content.get(key)
        )
        problems.append(f"revision content ({', '.join(differing)})")
    if plan.layout.reference_table:
        expected = {
            (to_ct, to_id, model_path, content_path)
            for to_ct, to_id, model_path, content_path in (
                ReferenceIndex._extract_references_from_object(page)
            )
        }
        produced = {(row[3], row[4], row[5], row[6]) for row in builder.references(item)}
        if expected != produced:
            problems.append(f"reference index ({expected ^ produced})")
    indexer = builder.indexer_class(page, builder.backend)
    produced = builder.index_entry(item, search_title, search_text)
    if plan.vendor == "postgresql":
        parts = (indexer.title, indexer.body, indexer.autocomplete)
        if tuple(tuple(weight for _text, weight in texts) for texts in parts) != (
            plan.layout.search_shape
        ):
            problems.append("search weights")
        texts = [text for field_parts in parts for text, _weight in field_parts]
        expected = (plan.activity_ct, str(page.pk), *texts, indexer.title_text, indexer.body_text)
    else:
        expected = (
            plan.activity_ct,
            str(page.pk),
            indexer.title,
            indexer.autocomplete,
            indexer.body,
        )
    if tuple(produced) != tuple(expected):
        problems.append("search index entry")
    if problems:
        raise SeedError(
            f"The bulk rows of page {item.page['id']} differ from what Wagtail derives from the "
            f"same page: {'; '.join(problems)}. A model changed; update activities/bulk_seed.py."
        )


def real_page(plan, item):
    """The activity as an unsaved ActivityPage in the state it had when submitted."""
    from modelcluster.models import get_all_child_relations

    from .models import ActivityPage, HostUnit, OrganizerUnit

    lookups = plan.lookups
    activity = item.activity
    page = ActivityPage(**draft_state(item.page), **draft_activity(activity))
    # Related objects from memory, so reading them never queries the database.
    for name in ("province", "city", "county", "review_province"):
        code = activity[f"{name}_id"]
        setattr(page, name, lookups["regions"][code] if code else None)
    page.channel = lookups["orgs"][activity["channel_id"]]
    page.activity_type = lookups["types"][activity["activity_type_id"]]
    # Every relation set, even to nothing: a page with a pk would otherwise query them.
    for relation in get_all_child_relations(ActivityPage):
        setattr(page, relation.get_accessor_name(), [])
    for m2m_field in ActivityPage._meta.local_many_to_many:
        setattr(page, m2m_field.name, [])
    page.host_units = [_unit(HostUnit, lookups, row) for row in item.hosts]
    page.organizer_units = [_unit(OrganizerUnit, lookups, row) for row in item.organizers]
    page.joint_action_categories = [lookups["joint"][pk] for pk in item.joint]
    page.special_action_categories = [lookups["special"][pk] for pk in item.special]
    return page


def _unit(model, lookups, row):
    unit = model(
        id=row["id"], sort_order=row["sort_order"], name=row["name"], page_id=row["page_id"]
    )
    unit.organization = lookups["orgs"][row["organization_id"]] if row["organization_id"] else None
    return unit


# The worker --------------------------------------------------------------------------------


def _refuse_queries(execute, sql, params, many, context):
    raise RuntimeError("The seed worker must not use the parent's database connection.")


def produce(plan, put):
    """Generate all activities, batch by batch, and hand each encoded batch to `put`."""
    from search import segment as segment_module

    words = cached_segmenter()
    # The model's own search_title/search_text (used by the self-check) go through the
    # same cache as the bulk rows.
    original, segment_module.words = segment_module.words, words
    try:
        _produce(plan, put, words)
    finally:
        segment_module.words = original


def _produce(plan, put, words):
    vocabulary = load_vocabulary()
    generator = Generator(plan, vocabulary, words)
    builder = RowBuilder(plan, words)
    encode = encode_postgres if plan.vendor == "postgresql" else encode_sqlite
    items = []
    checked_stages = set()
    for number, (kind, pending) in enumerate(generator.kinds()):
        item = generator.activity(kind, pending)
        stage = pending[0] if pending else None
        if number % plan.self_check_every == 0 or stage not in checked_stages:
            self_check(plan, builder, item)
            checked_stages.add(stage)
        items.append(item)
        if len(items) >= plan.batch:
            tables, pending_rows = builder.rows(items)
            put(("batch", encode(tables), pending_rows, len(items)))
            items = []
    if items:
        tables, pending_rows = builder.rows(items)
        put(("batch", encode(tables), pending_rows, len(items)))
    put(("done", time.process_time()))


def _worker_main(plan, queue):
    from django.db import connections

    for alias in connections:
        connections[alias].execute_wrappers.append(_refuse_queries)
    try:
        produce(plan, queue.put)
    except BaseException:  # report anything, the parent decides
        queue.put(("error", traceback.format_exc()))


# Writers -----------------------------------------------------------------------------------


class Writer:
    def __init__(self, plan):
        self.plan = plan
        self.layout = plan.layout
        self.written = 0
        self.triggers_skipped = False
        self._workflow = WorkflowWriter(plan) if plan.pending else None

    def start(self):
        pass

    def close(self):
        """Undo start(), whether the run succeeded or not."""

    def columns(self, table):
        layout = self.layout
        if table == layout.page_table:
            return [column for column, _attname in layout.page_columns]
        if table == layout.activity_table:
            return [column for column, _attname in layout.activity_columns]
        if table == layout.revision_table:
            return layout.revision_columns
        if table == layout.reference_table:
            return layout.reference_columns
        for child_table, columns, _keys in layout.children.values():
            if table == child_table:
                return [column for column, _attname in columns]
        for m2m_table, page_column, target_column in layout.m2m.values():
            if table == m2m_table:
                return [page_column, target_column]
        raise KeyError(table)

    def write(self, tables, pending, number):
        with transaction.atomic():
            for table, data in tables.items():
                if table != "search":
                    self.insert(table, self.columns(table), data)
            if "search" in tables:
                self.insert_search(tables["search"])
            if pending and self._workflow:
                self._workflow.write(pending)
            with connection.cursor() as cursor:
                cursor.execute(
                    f'UPDATE "{self.layout.page_table}" SET numchild = numchild + %s '  # noqa: S608
                    "WHERE id = %s",
                    [number, self.plan.index_id],
                )
        self.written += number

    def finish(self):
        pass


class PostgresWriter(Writer):
    STAGE = "seed_activities_search_stage"

    def __init__(self, plan):
        super().__init__(plan)
        shape = self.layout.search_shape
        self.stage_columns = ["content_type_id", "object_id"]
        self.stage_columns += [f"part_{n}" for n in range(sum(len(w) for w in shape))]
        self.stage_columns += ["title_text", "body_text"]
        self.title_total, self.title_count = plan.title_totals
        self.insert_sql = self._search_sql()

    def start(self):
        with connection.cursor() as cursor:
            # A lost last batch after a crash is acceptable for generated data; a flush per
            # commit is not needed.
            cursor.execute("SET synchronous_commit TO OFF")
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {self.STAGE} (content_type_id integer, "
                "object_id text, "
                + ", ".join(f"part_{n} text" for n in range(len(self.stage_columns) - 4))
                + ", title_text text, body_text text)"
            )
        self.skip_constraint_triggers()

    def skip_constraint_triggers(self):
        """Foreign key checks are a quarter of the database's work per activity; skip their
        triggers while loading (superusers only) and check the rows set-wise afterwards
        (dangling_references). Not when a table has triggers of its own, which replica
        mode would skip too."""
        tables = self.tables()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgrelid = ANY(%s::regclass[])",
                [[f'"{table}"' for table in tables]],
            )
            if cursor.fetchone()[0]:
                return
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
            except DatabaseError:  # not a superuser: keep the checks
                return
        self.triggers_skipped = True

    def tables(self):
        layout = self.layout
        tables = [
            layout.page_table,
            layout.activity_table,
            layout.revision_table,
            layout.index_table,
            *(table for table, _c, _k in layout.children.values()),
            *(table for table, _p, _t in layout.m2m.values()),
        ]
        if layout.reference_table:
            tables.append(layout.reference_table)
        return tables

    def close(self):
        with connection.cursor() as cursor:
            if self.triggers_skipped:
                cursor.execute("RESET session_replication_role")
            cursor.execute("RESET synchronous_commit")
            cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")

    def _search_sql(self):
        """Vectors exactly as modelsearch's PostgresIndex.add_items builds them: one
        setweight(to_tsvector(...)) per text, joined with ||; title_norm as its refresh."""
        shape = self.layout.search_shape
        config, autocomplete_config = self.layout.search_configs
        column = iter(range(sum(len(weights) for weights in shape)))

        def vector(weights, config_name):
            if not weights:
                return "to_tsvector('')"
            prefix = f"'{config_name}'::regconfig, " if config_name else ""
            return " || ".join(
                f"setweight(to_tsvector({prefix}COALESCE(part_{next(column)}, '')), '{weight}')"
                for weight in weights
            )

        for name in (config, autocomplete_config):
            if name and not name.replace("_", "").replace(".", "").isalnum():
                raise SeedError(f"Unexpected text search configuration {name!r}.")
        title = vector(shape[0], config)
        body = vector(shape[1], config)
        autocomplete = vector(shape[2], autocomplete_config)
        table = self.layout.index_table
        return f"""
            WITH source AS MATERIALIZED (
                SELECT content_type_id, object_id, {title} AS title, {body} AS body,
                       {autocomplete} AS autocomplete, title_text, body_text
                FROM {self.STAGE}
            ), totals AS (
                SELECT COALESCE(SUM(LENGTH(title)) FILTER (WHERE LENGTH(title) > 0), 0) AS total,
                       COUNT(*) FILTER (WHERE LENGTH(title) > 0) AS number
                FROM source
            ), inserted AS (
                INSERT INTO "{table}" (content_type_id, object_id, title, autocomplete, body,
                                       title_norm, title_text, body_text)
                SELECT s.content_type_id, s.object_id, s.title, s.autocomplete, s.body,
                       CASE WHEN LENGTH(s.title) > 0
                            THEN ((%s + t.total)::float8 / (%s + t.number)) / LENGTH(s.title)
                            ELSE 1.0 END,
                       s.title_text, s.body_text
                FROM source s CROSS JOIN totals t
            )
            SELECT total, number FROM totals
        """  # noqa: S608

    def insert(self, table, columns, data):
        quoted = ", ".join(f'"{column}"' for column in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy,
        ):
            copy.write(data)

    def insert_search(self, data):
        self.insert(self.STAGE, self.stage_columns, data)
        with connection.cursor() as cursor:
            cursor.execute(self.insert_sql, [self.title_total, self.title_count])
            total, number = cursor.fetchone()
            cursor.execute(f"TRUNCATE {self.STAGE}")
        self.title_total += int(total)
        self.title_count += int(number)

    def finish(self):
        from wagtail.models import TaskState, WorkflowState

        tables = self.tables()
        if self.plan.pending:
            tables += [WorkflowState._meta.db_table, TaskState._meta.db_table]
        with connection.cursor() as cursor:
            # Fresh planner statistics for every table written: with stale ones a review
            # desk query over 20,000 pending tasks took minutes instead of a second.
            for table in tables:
                cursor.execute(f'ANALYZE "{table}"')


class SQLiteWriter(Writer):
    def start(self):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB for index pages

    def insert(self, table, columns, data):
        quoted = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" * len(columns))
        connection.ensure_connection()
        connection.connection.executemany(
            f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',  # noqa: S608
            data,
        )

    def insert_search(self, data):
        self.insert(
            self.layout.index_table,
            ["content_type_id", "object_id", "title_norm", "title", "autocomplete", "body"],
            data,
        )

    def finish(self):
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA optimize")


class WorkflowWriter:
    """Workflow and task states of the pending activities, as Workflow.start and the
    province task's approval leave them."""

    def __init__(self, plan):
        from wagtail.models import Task

        self.plan = plan
        self.task_classes = {}
        for _workflow, tasks in plan.routes.values():
            for task_id, _stage in tasks:
                task = Task.objects.get(pk=task_id).specific
                self.task_classes[task_id] = task.task_state_class or _task_state_model()

    def write(self, pending):
        from wagtail.models import WorkflowState

        plan = self.plan
        rng = random.Random(plan.seed + pending[0][0])
        states, plans = [], []
        for page_id, revision_id, submitted, route in pending:
            workflow_key = "province" if route in ("province", "national_two_stage") else "national"
            workflow_id, tasks = plan.routes[workflow_key]
            if route == "province":
                current = 0
            else:
                current = next(i for i, (_t, stage) in enumerate(tasks) if stage == "national")
            states.append(
                WorkflowState(
                    content_type_id=plan.activity_ct,
                    base_content_type_id=plan.page_ct,
                    object_id=str(page_id),
                    workflow_id=workflow_id,
                    status=WorkflowState.STATUS_IN_PROGRESS,
                    requested_by=None,
                )
            )
            plans.append((revision_id, submitted, tasks, current))
        WorkflowState.objects.bulk_create(states)
        task_states, current_states = [], []
        for state, (revision_id, submitted, tasks, current) in zip(states, plans, strict=True):
            state.created_at = submitted
            started = submitted
            for index, (task_id, _stage) in enumerate(tasks[: current + 1]):
                task_state = self.task_classes[task_id](
                    workflow_state=state,
                    task_id=task_id,
                    revision_id=revision_id,
                    comment="",
                )
                task_state.started_at = started
                if index < current:
                    span = (plan.anchor - started).total_seconds()
                    finished = started + dt.timedelta(seconds=rng.uniform(0.1, 0.9) * span)
                    task_state.status = task_state.STATUS_APPROVED
                    task_state.finished_at = _second(finished)
                    started = task_state.finished_at
                else:
                    task_state.status = task_state.STATUS_IN_PROGRESS
                    current_states.append((state, task_state))
                task_states.append(task_state)
        model = type(task_states[0])
        model.objects.bulk_create(task_states)
        # auto_now_add stamped "now" on both; the real times are the submissions'.
        model.objects.bulk_update(task_states, ["started_at"], batch_size=1000)
        for state, task_state in current_states:
            state.current_task_state = task_state
        WorkflowState.objects.bulk_update(
            states, ["created_at", "current_task_state"], batch_size=1000
        )


def _task_state_model():
    from wagtail.models import TaskState

    return TaskState


# Progress ----------------------------------------------------------------------------------


class Progress:
    """A progress bar on a terminal, a line every ten seconds in a log file."""

    WIDTH = 30

    def __init__(self, stream, total):
        self.stream = stream
        self.total = total
        self.started = time.monotonic()
        self.last = 0.0
        self.interactive = hasattr(stream, "isatty") and stream.isatty()

    def update(self, done, force=False):
        now = time.monotonic()
        if not force and now - self.last < (0.5 if self.interactive else 10):
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        remaining = (self.total - done) / rate if rate else 0
        share = done / self.total if self.total else 1
        bar = "#" * int(share * self.WIDTH)
        line = (
            f"[{bar:<{self.WIDTH}}] {done:,}/{self.total:,} {share:6.1%} "
            f"{rate:,.0f} activities/s  elapsed {_clock(elapsed)}  ETA {_clock(remaining)}"
        )
        if self.interactive:
            self.stream.write("\r" + line, ending="")
        else:
            self.stream.write(line)
        self.stream.flush()

    def finish(self, done):
        self.update(done, force=True)
        if self.interactive:
            self.stream.write("")


def _clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# Running -----------------------------------------------------------------------------------


@dataclass
class RunStats:
    written: int = 0
    triggers_skipped: bool = False
    waiting: float = 0.0  # seconds the writer waited for generated batches
    writing: float = 0.0  # seconds spent in the database statements
    worker_cpu: float = 0.0  # CPU seconds of the generating process


def run(plan, progress=None):
    """Generate in a forked worker and write here."""
    writer = (PostgresWriter if plan.vendor == "postgresql" else SQLiteWriter)(plan)
    stats = RunStats()
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    worker = context.Process(target=_worker_main, args=(plan, queue), daemon=True)
    writer.start()
    stats.triggers_skipped = writer.triggers_skipped
    worker.start()
    try:
        while True:
            started = time.monotonic()
            message = _receive(queue, worker)
            stats.waiting += time.monotonic() - started
            if message[0] == "done":
                stats.worker_cpu = message[1]
                break
            if message[0] == "error":
                raise SeedError(f"Generating activities failed:\n{message[1]}")
            _kind, tables, pending, number = message
            started = time.monotonic()
            writer.write(tables, pending, number)
            stats.writing += time.monotonic() - started
            if progress:
                progress.update(writer.written)
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        writer.close()
    started = time.monotonic()
    writer.finish()
    stats.writing += time.monotonic() - started
    stats.written = writer.written
    if progress:
        progress.finish(writer.written)
    return stats


def _receive(queue, worker):
    import queue as queue_module

    while True:
        try:
            return queue.get(timeout=5)
        except queue_module.Empty:
            if not worker.is_alive():
                raise SeedError(
                    f"The generating process stopped (exit code {worker.exitcode})."
                ) from None


# Checks ------------------------------------------------------------------------------------


def tree_problems():
    """treebeard's five find_problems() lists for the whole page tree, computed with a few
    set-based queries instead of two queries per page."""
    from wagtail.models import Page

    table = Page._meta.db_table
    steplen = Page.steplen
    if connection.vendor == "postgresql":
        evil = f"path !~ '^[{Page.alphabet}]*$'"
    else:
        evil = f"path GLOB '*[^{Page.alphabet}]*'"
    # Table names and numbers from the Page model only: no outside input reaches the SQL.
    queries = {
        "evil_chars": f'SELECT id FROM "{table}" WHERE {evil}',  # noqa: S608
        "bad_steplen": f'SELECT id FROM "{table}" WHERE LENGTH(path) % {steplen} <> 0',  # noqa: S608
        "orphans": f"""
            SELECT child.id FROM "{table}" child
            LEFT JOIN "{table}" parent
                   ON parent.path = SUBSTR(child.path, 1, LENGTH(child.path) - {steplen})
            WHERE LENGTH(child.path) > {steplen} AND parent.id IS NULL""",  # noqa: S608
        "wrong_depth": f'SELECT id FROM "{table}" WHERE depth <> LENGTH(path) / {steplen}',  # noqa: S608
        "wrong_numchild": f"""
            SELECT node.id FROM "{table}" node
            LEFT JOIN (
                SELECT SUBSTR(path, 1, LENGTH(path) - {steplen}) AS parent_path,
                       COUNT(*) AS children
                FROM "{table}" WHERE LENGTH(path) > {steplen}
                GROUP BY SUBSTR(path, 1, LENGTH(path) - {steplen})
            ) counted ON counted.parent_path = node.path
            WHERE node.numchild <> COALESCE(counted.children, 0)""",  # noqa: S608
    }
    problems = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql + " LIMIT 100")  # noqa: S608
            problems[name] = [row[0] for row in cursor.fetchall()]
    return problems


def seeded_counts(plan):
    """Rows written for this run's page ids, table by table."""
    from wagtail.models import WorkflowState

    layout = plan.layout
    first = plan.ids[layout.page_table]
    last = first + plan.total - 1
    counts = {}
    with connection.cursor() as cursor:

        def count(sql, params):
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

        counts["pages"] = count(
            f'SELECT COUNT(*) FROM "{layout.page_table}" WHERE id BETWEEN %s AND %s',  # noqa: S608
            [first, last],
        )
        counts["live"] = count(
            f'SELECT COUNT(*) FROM "{layout.page_table}" '  # noqa: S608
            "WHERE id BETWEEN %s AND %s AND live",
            [first, last],
        )
        counts["activities"] = count(
            f'SELECT COUNT(*) FROM "{layout.activity_table}" '  # noqa: S608
            "WHERE page_ptr_id BETWEEN %s AND %s",
            [first, last],
        )
        revision_first = plan.ids[layout.revision_table]
        counts["revisions"] = count(
            f'SELECT COUNT(*) FROM "{layout.revision_table}" '  # noqa: S608
            "WHERE id BETWEEN %s AND %s",
            [revision_first, revision_first + plan.total - 1],
        )
        page_id_text = "CAST(page.id AS TEXT)" if connection.vendor == "sqlite" else "page.id::text"
        counts["search entries"] = count(
            f'SELECT COUNT(*) FROM "{layout.index_table}" entry '  # noqa: S608
            f'JOIN "{layout.page_table}" page ON entry.object_id = {page_id_text} '
            "WHERE entry.content_type_id = %s AND page.id BETWEEN %s AND %s",
            [plan.activity_ct, first, last],
        )
        if layout.reference_table:
            counts["references"] = count(
                f'SELECT COUNT(*) FROM "{layout.reference_table}" ref '  # noqa: S608
                f'JOIN "{layout.page_table}" page ON ref.object_id = {page_id_text} '
                "WHERE ref.base_content_type_id = %s AND page.id BETWEEN %s AND %s",
                [plan.page_ct, first, last],
            )
    counts["pending workflows"] = (
        WorkflowState.objects.filter(
            base_content_type_id=plan.page_ct,
            status=WorkflowState.STATUS_IN_PROGRESS,
            object_id__in=[str(pk) for pk in range(last - 2 * plan.pending + 1, last + 1)],
        ).count()
        if plan.pending
        else 0
    )
    return counts


def dangling_references(plan):
    """Foreign keys of this run's rows that point at nothing, by table and column. The rows
    went in without constraint triggers on PostgreSQL; this is their check, set-wise."""
    from wagtail.models import Page, Revision

    from .models import ActivityPage

    layout = plan.layout
    first = plan.ids[layout.page_table]
    pages = (first, first + plan.total - 1)
    revision_first = plan.ids[layout.revision_table]
    revisions = (revision_first, revision_first + plan.total - 1)
    sources = [
        (Page, list(Page._meta.concrete_fields), "id", pages),
        (ActivityPage, list(ActivityPage._meta.local_concrete_fields), "page_ptr_id", pages),
        (Revision, list(Revision._meta.concrete_fields), "id", revisions),
    ]
    for relation in UNITS_PER_ACTIVITY:
        if relation in layout.children:
            model = ActivityPage._meta.get_field(relation).related_model
            sources.append((model, list(model._meta.concrete_fields), "page_id", pages))
    for m2m_field in ActivityPage._meta.local_many_to_many:
        through = m2m_field.remote_field.through
        column = m2m_field.m2m_column_name()
        sources.append((through, list(through._meta.concrete_fields), column, pages))
    found = {}
    with connection.cursor() as cursor:
        for model, fields, range_column, (low, high) in sources:
            table = model._meta.db_table
            for model_field in fields:
                if not (model_field.is_relation and model_field.concrete):
                    continue
                if not getattr(model_field, "db_constraint", False):
                    continue
                target = model_field.related_model._meta.db_table
                target_column = model_field.target_field.column
                column = model_field.column
                # Names from the models only; the range is a parameter.
                cursor.execute(
                    f'SELECT COUNT(*) FROM "{table}" source WHERE source."{range_column}" '  # noqa: S608
                    f'BETWEEN %s AND %s AND source."{column}" IS NOT NULL AND NOT EXISTS ('
                    f'SELECT 1 FROM "{target}" target '
                    f'WHERE target."{target_column}" = source."{column}")',
                    [low, high],
                )
                missing = cursor.fetchone()[0]
                if missing:
                    found[f"{table}.{column}"] = missing
    return found


def database_size():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
        name = settings.DATABASES[connection.alias]["NAME"]
        path = Path(str(name))
        size = path.stat().st_size if path.exists() else 0
        wal = Path(f"{name}-wal")
        return size + (wal.stat().st_size if wal.exists() else 0)


def invalidate_site_caches():
    """Whole-page cache entries keyed on content versions are stale now."""
    try:
        from . import cache as page_cache
    except ImportError:
        return False
    page_cache.bump()
    return True
