"""Statistics over approved activities (R32).

Only approved, live activities count (``public_activities()``): drafts, activities in review,
rejected and taken-down ones are left out. Every dimension is one aggregate query (GROUP BY in
the database); Python only translates the labels and sorts the few resulting rows.

The report counts every approved activity of a year, so it grows with the site (0.9 s at a
million). ``counts()`` keeps the untranslated counts in the shared cache until the next
publication: they are keyed on the page cache's *listing* version, which every publish,
unpublish, take-down, move or delete bumps, and on the *site* version, which changes with
organizations, regions and types (their names and categories are in the rows). After a
publication the last counts serve until they are RECOUNT_SECONDS old
(``activities.cache.recounted``), so approvals every few seconds at the peak do not mean a
recount per view.
"""

import datetime

from django.db.models import Count
from django.db.models.functions import ExtractIsoYear, ExtractWeek
from django.utils.translation import gettext as _

from home.models import BEIJING
from organizations.models import Organization

from .listing import public_activities
from .models import ActivityPage

NOT_SET = "—"


def approved_activities(year, province=None):
    """Approved, live activities starting in `year` (Beijing time), optionally one
    province's (a Region code). Built once; each dimension below runs one query on it.

    A province's activities are those its moderators are responsible for: the ones whose
    channel (归口单位) belongs to it, wherever they are held. That is the review province,
    the column and rule of the province review step and of 全部活动 for a province
    moderator (ProvinceApprovalTask.filter_moderatable, activities.views
    .activities_visible_to, R20). National societies' activities have none and count in
    no province's report; where activities are held is the "by province where held"
    dimension."""
    start = datetime.datetime(year, 1, 1, tzinfo=BEIJING)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=BEIJING)
    queryset = public_activities().filter(start_at__gte=start, start_at__lt=end)
    if province:
        queryset = queryset.filter(review_province_id=province)
    return queryset


def _grouped(queryset, *fields):
    if isinstance(queryset, GROUPED):
        return queryset.rows(fields)
    # order_by() drops Page's default ordering, which would otherwise join the GROUP BY.
    return queryset.order_by().values(*fields).annotate(count=Count("pk"))


def _with_week(queryset):
    return queryset.annotate(
        _iso_year=ExtractIsoYear("start_at", tzinfo=BEIJING),
        _week=ExtractWeek("start_at", tzinfo=BEIJING),
    )


class GroupedOnce:
    """Every dimension's counts from one pass over the activities (PostgreSQL's GROUPING
    SETS) instead of one pass per dimension: at a million activities the report took seven
    scans, about a second each. Answers `_grouped` like the per-dimension queries would."""

    SETS = (
        ("channel_category",),
        ("channel_id",),
        ("province_id",),
        ("activity_type_id",),
        ("mode",),
        ("is_youth_festival",),
        ("_iso_year", "_week"),
    )
    # Name fields the dimensions ask for, and the id column each is looked up by.
    NAMES = {
        "channel__name": "channel_id",
        "province__name": "province_id",
        "activity_type__name": "activity_type_id",
    }

    def __init__(self, queryset):
        from django.db import connection

        columns = [column for grouping in self.SETS for column in grouping]
        inner = _with_week(queryset.order_by()).values(*columns)
        sql, params = inner.query.sql_with_params()
        flags = ", ".join(f"GROUPING({column})" for column in columns)
        sets = ", ".join("(" + ", ".join(grouping) + ")" for grouping in self.SETS)
        query = (
            f"SELECT {', '.join(columns)}, {flags}, COUNT(*) FROM ({sql}) AS activities "  # noqa: S608 - column names are ours
            f"GROUP BY GROUPING SETS ({sets})"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            raw = cursor.fetchall()
        self._rows = {grouping: [] for grouping in self.SETS}
        width = len(columns)
        for row in raw:
            values = dict(zip(columns, row[:width], strict=True))
            grouped = {
                column for column, flag in zip(columns, row[width:-1], strict=True) if flag == 0
            }
            for grouping in self.SETS:
                if set(grouping) == grouped:
                    self._rows[grouping].append({**values, "count": row[-1]})
        self._names = self._load_names()

    def _load_names(self):
        from activities.models import ActivityType
        from organizations.models import Region

        models = {
            "channel_id": Organization,
            "province_id": Region,
            "activity_type_id": ActivityType,
        }
        names = {}
        for column, model in models.items():
            ids = {row[column] for row in self._rows[(column,)] if row[column] is not None}
            names[column] = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
        return names

    def rows(self, fields):
        key = tuple(field for field in fields if not field.endswith("__name"))
        result = []
        for row in self._rows[key]:
            row = dict(row)
            for field in fields:
                if field.endswith("__name"):
                    column = self.NAMES[field]
                    row[field] = self._names[column].get(row[column])
            result.append(row)
        return result


def grouped_source(queryset):
    """What the dimensions read: one GROUPING SETS pass on PostgreSQL, the queryset itself
    (one GROUP BY per dimension) elsewhere."""
    from django.db import connection

    return GroupedOnce(queryset) if connection.vendor == "postgresql" else queryset


def _sorted(rows):
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def by_channel_category(queryset):
    labels = dict(Organization.Category.choices)
    return _sorted(
        (str(labels.get(row["channel_category"], row["channel_category"] or NOT_SET)), row["count"])
        for row in _grouped(queryset, "channel_category")
    )


def by_channel(queryset):
    return _sorted(
        (row["channel__name"] or NOT_SET, row["count"])
        for row in _grouped(queryset, "channel_id", "channel__name")
    )


def by_province(queryset):
    return _sorted(
        (row["province__name"] or NOT_SET, row["count"])
        for row in _grouped(queryset, "province_id", "province__name")
    )


def by_activity_type(queryset):
    return _sorted(
        (row["activity_type__name"] or NOT_SET, row["count"])
        for row in _grouped(queryset, "activity_type_id", "activity_type__name")
    )


def by_mode(queryset):
    labels = dict(ActivityPage.Mode.choices)
    return _sorted(
        (str(labels.get(row["mode"], row["mode"] or NOT_SET)), row["count"])
        for row in _grouped(queryset, "mode")
    )


def by_youth_festival(queryset):
    labels = {True: _("Youth science festival"), False: _("Not in the youth science festival")}
    return _sorted(
        (labels[bool(row["is_youth_festival"])], row["count"])
        for row in _grouped(queryset, "is_youth_festival")
    )


def by_week(queryset):
    """ISO week of the start date in Beijing time, labelled like 2026-W38."""
    source = queryset if isinstance(queryset, GROUPED) else _with_week(queryset)
    rows = _grouped(source, "_iso_year", "_week")
    # Weeks read as a time line, so they keep calendar order.
    return sorted(
        (
            f"{int(row['_iso_year'])}-W{int(row['_week']):02d}" if row["_week"] else NOT_SET,
            row["count"],
        )
        for row in rows
    )


def dimensions():
    """(key, translated title, function) for every dimension, in the report's order."""
    return [
        ("channel_category", _("By channel category"), by_channel_category),
        ("channel", _("By channel organization"), by_channel),
        ("province", _("By province where held"), by_province),
        ("activity_type", _("By activity type"), by_activity_type),
        ("mode", _("By mode"), by_mode),
        ("youth", _("By youth science festival"), by_youth_festival),
        ("week", _("By week of start date"), by_week),
    ]


# What each dimension asks _grouped for.
FIELD_SETS = (
    ("channel_category",),
    ("channel_id", "channel__name"),
    ("province_id", "province__name"),
    ("activity_type_id", "activity_type__name"),
    ("mode",),
    ("is_youth_festival",),
    ("_iso_year", "_week"),
)
COUNTS_SECONDS = 24 * 60 * 60


class Counts:
    """Every dimension's grouped rows, read once from the database and then answered from
    the shared cache until a publication changes them."""

    def __init__(self, rows):
        self._rows = rows

    def rows(self, fields):
        return [dict(row) for row in self._rows[tuple(fields)]]


# Rows already grouped, answering `rows(fields)` (their weeks included).
GROUPED = (GroupedOnce, Counts)


def _counts_keys(year, province):
    from .cache import LISTING, SITE, current_version

    listing, site = current_version(LISTING), current_version(SITE)
    if listing is None or site is None:
        return None
    # The latest counts keep the site version: a renamed organization shows at once.
    # v2: a province's counts are its channels' activities (review province), no longer
    # those held in it; the v1 rows kept for a province must not be served.
    latest = f"stats:counts:latest:v2:{year}:{province or ''}:{site}"
    return f"stats:counts:v2:{year}:{province or ''}:{listing}:{site}", latest


def counts(year, province=None):
    """The grouped counts of `report` for a year (and province), from the cache when no
    publication happened since they were counted, or in the RECOUNT_SECONDS after one
    (activities.cache.recounted)."""
    from .cache import recounted

    def count():
        source = grouped_source(approved_activities(year, province))
        weekly = source if isinstance(source, GroupedOnce) else _with_week(source)
        return {
            fields: list(_grouped(weekly if "_week" in fields else source, *fields))
            for fields in FIELD_SETS
        }

    keys = _counts_keys(year, province)
    rows = recounted(*keys, count, COUNTS_SECONDS)[0] if keys else count()
    return Counts(rows)


def report(year, province=None):
    """Every dimension for a year (and province): a list of (key, title, rows)."""
    source = counts(year, province)
    return [(key, title, function(source)) for key, title, function in dimensions()]


def split_quota(total, rows):
    """Split `total` places across (label, count) rows in proportion to the counts with the
    largest remainder (Hamilton) method. Each row gets floor(total * count / sum); the places
    left go one each to the largest remainders, ties broken by count desc, then label.
    Returns (label, count, places) in the order given; the places sum to `total` whenever
    any count is positive, and are all zero otherwise."""
    if total < 0:
        raise ValueError("total must not be negative")
    rows = [(label, count) for label, count in rows]
    whole = sum(count for _label, count in rows)
    if not rows or whole <= 0 or total == 0:
        return [(label, count, 0) for label, count in rows]
    places = []
    remainders = []
    for position, (label, count) in enumerate(rows):
        share, remainder = divmod(total * count, whole)
        places.append(share)
        # Same denominator for every row, so the integer remainders compare exactly.
        remainders.append((-remainder, -count, str(label), position))
    leftover = total - sum(places)
    for _remainder, _count, _label, position in sorted(remainders)[:leftover]:
        places[position] += 1
    return [(label, count, share) for (label, count), share in zip(rows, places, strict=True)]
