"""Statistics over approved activities (R32).

Only approved, live activities count (``public_activities()``): drafts, activities in review,
rejected and taken-down ones are left out. Every dimension is one aggregate query (GROUP BY in
the database); Python only translates the labels and sorts the few resulting rows.
"""

import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.db.models.functions import ExtractIsoYear, ExtractWeek
from django.utils.translation import gettext as _

from organizations.models import Organization

from .listing import public_activities
from .models import ActivityPage

CAMPAIGN_TZ = ZoneInfo("Asia/Shanghai")
NOT_SET = "—"


def approved_activities(year, province=None):
    """Approved, live activities starting in `year` (Beijing time), optionally in one
    province (a Region code). Built once; each dimension below runs one query on it."""
    start = datetime.datetime(year, 1, 1, tzinfo=CAMPAIGN_TZ)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=CAMPAIGN_TZ)
    queryset = public_activities().filter(start_at__gte=start, start_at__lt=end)
    if province:
        queryset = queryset.filter(province_id=province)
    return queryset


def _grouped(queryset, *fields):
    # order_by() drops Page's default ordering, which would otherwise join the GROUP BY.
    return queryset.order_by().values(*fields).annotate(count=Count("pk"))


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
    rows = _grouped(
        queryset.annotate(
            _iso_year=ExtractIsoYear("start_at", tzinfo=CAMPAIGN_TZ),
            _week=ExtractWeek("start_at", tzinfo=CAMPAIGN_TZ),
        ),
        "_iso_year",
        "_week",
    )
    # Weeks read as a time line, so they keep calendar order.
    return sorted(
        (f"{row['_iso_year']}-W{row['_week']:02d}" if row["_week"] else NOT_SET, row["count"])
        for row in rows
    )


def dimensions():
    """(key, translated title, function) for every dimension, in the report's order."""
    return [
        ("channel_category", _("By channel category"), by_channel_category),
        ("channel", _("By channel organization"), by_channel),
        ("province", _("By province"), by_province),
        ("activity_type", _("By activity type"), by_activity_type),
        ("mode", _("By mode"), by_mode),
        ("youth", _("By youth science festival"), by_youth_festival),
        ("week", _("By week of start date"), by_week),
    ]


def report(year, province=None):
    """Every dimension for a year (and province): a list of (key, title, rows)."""
    queryset = approved_activities(year, province)
    return [(key, title, function(queryset)) for key, title, function in dimensions()]


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
