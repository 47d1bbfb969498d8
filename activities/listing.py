"""The public listing's filters (R28), shared by the listing page, the search page, the
API, the feeds and the calendar export so they always agree."""

import datetime
import functools
import hashlib
import math
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    F,
    Max,
    Prefetch,
    Q,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesListIterable
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import Image

from organizations.models import CHANNEL_CATEGORY_CHOICES, Organization, Region, name_in_language
from search.segment import MAX_QUERY

from . import renditions
from .cache import LISTING as LISTING_DEPENDENCY
from .cache import SITE as SITE_DEPENDENCY
from .cache import Memory, cache_get, cache_set, current_version, recounted
from .constants import NEVER_PUBLISHED, RANK_ID_SPAN, RANK_TOP, SEARCH_FILTERS
from .models import ActivityIndexPage, ActivityPage, ActivityType
from .states import ActivityState

PER_PAGE = 20
MAX_PAGE = 500
FILTER_PARAMS = (
    "province",
    "type",
    "mode",
    "state",
    "channel",
    "youth",
    "recommended",
    "from",
    "to",
    "q",
)


class SortChoices:
    START = "start"
    NEWEST = "newest"
    RELEVANCE = "relevance"


# Online and offline each include the activities held both ways (Mode.attendable), and say so.
MODE_FILTER_CHOICES = [
    ("", _("Any")),
    (ActivityPage.Mode.ONLINE, _("Online (including online and offline)")),
    (ActivityPage.Mode.OFFLINE, _("Offline (including online and offline)")),
    (ActivityPage.Mode.BOTH, ActivityPage.Mode.BOTH.label),
]


class ActivityFilterForm(forms.Form):
    """Bad values are not errors for visitors: an invalid field is simply not applied."""

    # Not max_length: a longer query was invalid, so dropped, and the search showed every
    # activity under an empty box. It is cut instead (clean_q), as the box itself cuts it.
    q = forms.CharField(label=_("Keywords"), required=False, strip=True)
    province = forms.ChoiceField(label=_("Province"), required=False)
    type = forms.ChoiceField(label=_("Activity type"), required=False)
    mode = forms.ChoiceField(label=_("Mode"), required=False, choices=MODE_FILTER_CHOICES)
    state = forms.ChoiceField(
        label=_("Activity state"), required=False, choices=[("", _("Any")), *ActivityState.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel category"),
        required=False,
        choices=[("", _("Any")), *CHANNEL_CATEGORY_CHOICES],
    )
    youth = forms.BooleanField(label=_("Youth science festival only"), required=False)
    recommended = forms.BooleanField(label=_("Excellent activities only"), required=False)
    from_date = forms.DateField(label=_("From"), required=False)
    to_date = forms.DateField(label=_("To"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            (SortChoices.START, _("Start date")),
            (SortChoices.NEWEST, _("Newest")),
            (SortChoices.RELEVANCE, _("Relevance")),
        ],
    )

    def __init__(self, data, *args, **kwargs):
        # `from` and `to` are Python keywords; the URL uses them, the form does not.
        data = data.copy() if isinstance(data, QueryDict) else dict(data)
        for public, internal in (("from", "from_date"), ("to", "to_date")):
            if public in data:
                data[internal] = data[public]
        super().__init__(data, *args, **kwargs)
        # The public filters name provinces and types in the visitor's language (R34).
        self.fields["province"].choices = [("", _("Any")), *province_choices(localized=True)]
        self.fields["type"].choices = [("", _("Any")), *type_choices(localized=True)]

    def clean_q(self):
        return self.cleaned_data["q"][:MAX_QUERY].strip()

    def clean_youth(self):
        return self.data.get("youth") in {"1", "true", "on", "yes"}

    def clean_recommended(self):
        return self.data.get("recommended") in {"1", "true", "on", "yes"}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from_date"), cleaned.get("to_date")
        if start and end and start > end:
            # Dates picked the wrong way round still name the days between them: the
            # visitor was shown nothing, and no reason.
            cleaned["from_date"], cleaned["to_date"] = end, start
        return cleaned

    def values(self):
        """The valid, non-empty filters; invalid ones are dropped, not reported."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned[name]
            for name in self.fields
            if name not in self.errors and cleaned.get(name) not in (None, "", False)
        }


@functools.lru_cache(maxsize=1)
def _provinces():
    provinces = Region.objects.filter(level=Region.Level.PROVINCE)
    return tuple(provinces.values_list("code", "name", "name_en"))


def _named(rows, localized):
    """(value, name) pairs of (value, name, English name) rows: the Chinese names, or the
    names in the current language when `localized` (name_in_language). Both names are
    kept, and one is picked per request, so what is kept serves every language."""
    if localized:
        return [(value, name_in_language(name, name_en)) for value, name, name_en in rows]
    return [(value, name) for value, name, _name_en in rows]


def province_choices(localized=False):
    """(code, name) of every province. `localized` for public pages; the admin's filters
    keep the Chinese names."""
    # GB/T 2260 provinces and their English names come from migrations and never change
    # while the site runs.
    return _named(_provinces(), localized)


def type_choices(localized=False):
    """(id, name) of every activity type, as province_choices. Types change rarely and
    bump the site version when they do (activities/cache.py)."""
    from .cache import site_versioned

    def build():
        return [
            (str(pk), name, name_en)
            for pk, name, name_en in ActivityType.objects.values_list("pk", "name", "name_en")
        ]

    # Not "listing:types": values kept under that name before are (id, name) pairs.
    return _named(site_versioned("listing:type-names", "all", build, 3600), localized)


def public_activities():
    """Approved, live activities only (R27)."""
    from home.routing import public

    return public(ActivityPage.objects.live())


# An activity is ongoing up to and including its end (ActivityState.at): it has ended one
# tick of the stored times later.
_TICK = datetime.timedelta(microseconds=1)
# A publication, a take-down or a change to the site replaces what is kept anyway.
STATE_CHANGE_SECONDS = 3600
_state_changes = Memory(8)


def next_state_change(moment=None):
    """The first moment after `moment` at which an activity changes state (R17): the
    earliest start still to come or the tick after the earliest end not yet passed; None
    when none will. Until then every segment of the listing and every state filter keeps
    the same activities, so counts, kept search ids and cached pages made at `moment` stay
    exact; counting them per minute, as before, dropped and miscounted rows for up to a
    minute after an activity started or ended.

    Kept per content version (a publication may bring an earlier one) in the shared cache
    and in this process: the two index probes that find it run once per change, not per
    request. Drafts count too: an extra change costs a recount, a missing one a wrong page."""
    moment = moment or timezone.now()
    version = current_version(LISTING_DEPENDENCY)
    if version is None:
        return _find_state_change(moment)
    key = f"listing:state-change:{version}"
    for kept in (_state_changes.get(key), cache_get(key)):
        if kept is not None and kept["from"] <= moment and not _passed(kept["next"], moment):
            _state_changes.put(key, kept)
            return kept["next"]
    found = _find_state_change(moment)
    kept = {"from": moment, "next": found}
    cache_set(key, kept, seconds_until(found, moment, STATE_CHANGE_SECONDS))
    _state_changes.put(key, kept)
    return found


def _passed(change, moment):
    return change is not None and change <= moment


def _find_state_change(moment):
    # One query of two LIMIT 1 probes, each on its date's index (activity_start and
    # activity_end), whatever the number of activities. With no activity at all there is
    # no row, and no change either.
    activities = ActivityPage.objects.order_by()
    starts = activities.filter(start_at__gt=moment).order_by("start_at").values("start_at")
    ends = activities.filter(end_at__gte=moment).order_by("end_at").values("end_at")
    probes = activities.annotate(start=Subquery(starts[:1]), end=Subquery(ends[:1]))
    found = list(probes.values_list("start", "end")[:1])
    if not found:
        return None
    start, end = found[0]
    changes = [change for change in (start, end and end + _TICK) if change is not None]
    return min(changes, default=None)


def seconds_until(change, moment, longest):
    """Whole seconds from `moment` until `change` (at least one), at most `longest`."""
    if change is None:
        return longest
    return min(longest, max(math.ceil((change - moment).total_seconds()), 1))


def navigation_queryset(values, root=None, moment=None):
    """The listing's activities through the activity table alone (its `listed` copy of
    Wagtail's `live`), for skipping to a deep page; None when the page table must decide:
    view restrictions exist, or activities live under more than one index page."""
    from home.routing import restrictions_exist

    if restrictions_exist():
        return None
    if root is not None and (
        not isinstance(root, ActivityIndexPage)
        or ActivityIndexPage.objects.exclude(pk=root.pk).exists()
    ):
        return None
    return apply_filters(ActivityPage.objects.filter(listed=True), values, moment)


def apply_filters(queryset, values, moment=None):
    moment = moment or timezone.now()
    if "province" in values:
        queryset = queryset.filter(province_id=values["province"])
    if "type" in values:
        queryset = queryset.filter(activity_type_id=values["type"])
    if "mode" in values:
        queryset = queryset.filter(mode__in=ActivityPage.Mode.attendable(values["mode"]))
    if "channel" in values:
        queryset = queryset.filter(channel_category=values["channel"])
    if values.get("youth"):
        queryset = queryset.filter(is_youth_festival=True)
    if values.get("recommended"):
        queryset = queryset.filter(nomination__recommended=True)
    state = values.get("state")
    if state == ActivityState.UPCOMING:
        queryset = queryset.filter(start_at__gt=moment)
    elif state == ActivityState.ONGOING:
        queryset = queryset.filter(start_at__lte=moment, end_at__gte=moment)
    elif state == ActivityState.ENDED:
        queryset = queryset.filter(end_at__lt=moment)
    # A date range keeps activities that overlap it.
    # As bounds on the stored times, not on their local dates (end_at__date), which no
    # index can answer: 3 s for "newest" within a month at a million activities.
    if "from_date" in values:
        # Times are half-open, [start, end): an activity ending at 00:00 takes no part of
        # that day (20:00-24:00 was listed under the next day too), unless it is an instant
        # at that very moment. The range stays the index's; the exception is a recheck.
        first = _day_start(values["from_date"])
        queryset = queryset.filter(end_at__gte=first).exclude(Q(end_at=first) & ~Q(start_at=first))
    if "to_date" in values:
        queryset = queryset.filter(start_at__lt=_day_start(values["to_date"], following=True))
    return queryset


# The form takes any date from year 1 to 9999, whose neighbouring instants datetime cannot
# hold; every activity lies well inside these.
_EARLIEST_DAY, _LATEST_DAY = datetime.date(1900, 1, 1), datetime.date(9000, 1, 1)


def _day_start(day, following=False):
    """Midnight starting `day` (or the day after) in the current time zone, Beijing's for
    visitors."""
    day = min(max(day, _EARLIEST_DAY), _LATEST_DAY)
    if following:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def order(
    queryset,
    sort,
    moment=None,
    state=None,
    count_key=None,
    states=None,
    navigation=None,
    dates=None,
):
    """The listing's order. "Newest" is one indexed sort. The default puts what a visitor
    can still attend first: ongoing activities (ending soonest first), then upcoming ones
    (starting soonest first), then ended ones (most recently ended first). One ORDER BY
    over a CASE would sort the whole table on every request; three segments, each read in
    the order of an index and counted once per content version, keep page 1 and page 500
    as fast at a million activities as at ten thousand (docs/performance.md)."""
    moment = moment or timezone.now()
    if sort == SortChoices.NEWEST and dates is not None:
        newest = order(queryset, sort, moment, state, count_key, states, navigation)
        return NewestWithin(newest, _within_span(*dates, state, moment))
    if sort == SortChoices.NEWEST:
        # One segment, for its count kept per content version like the others' (a COUNT
        # over every activity took 0.4 s at a million, on every request). Its condition
        # holds for every activity: without a range on newest_key SQLite's planner scanned
        # the page table and sorted it (0.1-0.5 s at 100,000) instead of reading the index.
        return Segments(
            queryset,
            [("all", Q(newest_key__gte=NEVER_PUBLISHED), ("-newest_key", "-pk"))],
            count_key=count_key,
            navigation=navigation,
            moment=moment,
            # Only a state filter makes this count move with the clock.
            timed=bool(state),
        )
    segments = [
        (ActivityState.ONGOING, Q(start_at__lte=moment, end_at__gte=moment), ("end_at", "pk")),
        (ActivityState.UPCOMING, Q(start_at__gt=moment), ("start_at", "pk")),
        (ActivityState.ENDED, Q(end_at__lt=moment), ("-end_at", "-pk")),
    ]
    if state:  # the state filter already chose one segment
        states = [state]
    if states:
        segments = [segment for segment in segments if segment[0] in states]
    return Segments(queryset, segments, count_key=count_key, navigation=navigation, moment=moment)


# An activity's dates as activity_span_newest (migration 0009) indexes them.
_SPAN = "tstzrange(LEAST(start_at, end_at), GREATEST(start_at, end_at), '[]')"
# The states as conditions on that range, so the index tests them as it is walked
# (upcoming ones take the B-tree: newest_dates).
_STATE_ON_SPAN = {
    ActivityState.ENDED: f"{_SPAN} << tstzrange(%s, NULL, '[]')",  # ends before now
    ActivityState.ONGOING: f"{_SPAN} @> %s::timestamptz",
}


def _within_span(first, after, state, moment):
    """The activities whose dates meet [first, after) (and in `state` at `moment`), in the
    index's terms. The listing's own filters stay beside these, exact: rows whose end
    precedes their start are indexed by their dates swapped."""
    condition = Q(
        # Fixed SQL; the dates are parameters.
        RawSQL(f"{_SPAN} && tstzrange(%s, %s, '[)')", (first, after), BooleanField()),  # noqa: S611
        newest_rank__isnull=False,
    )
    if state in _STATE_ON_SPAN:
        condition &= Q(RawSQL(_STATE_ON_SPAN[state], (moment,), BooleanField()))  # noqa: S611
    return condition


def _newest_by_rank():
    # The nearest ranks to RANK_TOP first: highest, so newest, first.
    return RawSQL("newest_rank <-> %s", (RANK_TOP,), output_field=BigIntegerField()).asc()


def newest_dates(values, sort):
    """The dates between which "newest first" reads its own index (order), or None.

    Only both dates: a window of a month holds a tenth of the activities, spread over
    every publication date, which the B-tree of newest_key can only reach by walking past
    everything published later. With one date open most activities fall inside, and the
    B-tree, which holds the dates too, finds them at once (from a date, ended: 12 ms on the
    B-tree, 0.6 s walking the range's index through every upcoming activity). The same for
    upcoming activities: published last, they are the first the B-tree meets (a year's
    upcoming ones: 7 ms on it, 120 ms walking the range's index)."""
    if sort != SortChoices.NEWEST or not {"from_date", "to_date"} <= values.keys():
        return None
    if values.get("state") == ActivityState.UPCOMING or connection.vendor != "postgresql":
        return None
    first = _day_start(values["from_date"])
    after = _day_start(values["to_date"], following=True)
    return (first, after) if first < after else None


class OrderedResult:
    """What Django's Paginator, the API's pagination and the calendar need of a result
    whose order is not one SQL ORDER BY: a count and slices (`_rows`)."""

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        if isinstance(item, int):
            found = self._rows(slice(item, item + 1))
            if not found:
                raise IndexError(item)
            return found[0]
        return self._rows(item)

    def __iter__(self):
        return iter(self._rows(slice(None)))


class Segments(OrderedResult):
    """An ordered result made of consecutive segments of one queryset, each ordered by an
    index. Counts and slices like a queryset, so Django's Paginator, the API's pagination
    and the calendar take it unchanged."""

    # Counts are kept until the next publication or state change (their keys name both);
    # this only bounds how long an unused one stays in the cache.
    COUNT_SECONDS = STATE_CHANGE_SECONDS

    def __init__(
        self,
        queryset,
        segments,
        transforms=(),
        count_key=None,
        navigation=None,
        moment=None,
        timed=True,
    ):
        self.queryset = queryset
        self.model = queryset.model
        self.segments = segments
        self.transforms = tuple(transforms)
        self.count_key = count_key
        # A callable giving the same activities through this table alone (navigation()),
        # or None when that cannot be said of them.
        self.navigation = navigation
        # The moment the segments' conditions were written for, and whether their counts
        # change with the clock (the state segments and filter do; "newest" alone not).
        self.moment = moment or timezone.now()
        self.timed = timed
        self._counts = None
        self._stale = False

    def _copy(self, transforms):
        return Segments(
            self.queryset,
            self.segments,
            transforms,
            self.count_key,
            self.navigation,
            self.moment,
            self.timed,
        )

    def map(self, transform):
        """The same segments with `transform` applied to each queryset read (e.g. joins)."""
        return self._copy((*self.transforms, transform))

    def _part(self, condition, ordering):
        part = self.queryset.filter(condition).order_by(*ordering)
        for transform in self.transforms:
            part = transform(part)
        # Prefetches run once over the merged rows (_prefetched), not once per segment.
        self._lookups = part._prefetch_related_lookups
        return part.prefetch_related(None)

    DEFERRED_JOIN_OFFSET = 200

    def _slice(self, part, low, high, condition, ordering):
        """Rows low..high of a segment. Deep pages skip thousands of rows: reading only
        their ids (from the index) and then the page's 20 full rows by id keeps the wide
        rows (details, joins) out of the skipped part."""
        if low < self.DEFERRED_JOIN_OFFSET:
            return list(part[low:high])
        # The rows skipped through the activity table's own indexes when it can; the page's
        # rows are still read through `part`, with all of its conditions.
        skipped = self.navigation() if self.navigation is not None else None
        skipped = part if skipped is None else skipped.filter(condition).order_by(*ordering)
        ids = list(skipped.values_list("pk", flat=True)[low:high])
        rows = part.filter(pk__in=ids).order_by()
        by_pk = {row.pk: row for row in rows}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def _prefetched(self, results):
        lookups = getattr(self, "_lookups", ())
        if results and lookups:
            prefetch_related_objects(results, *lookups)
        return results

    def counts(self):
        if self._counts is None:
            self._counts = self._kept_counts()
        return self._counts

    def _kept_counts(self):
        """The segment counts, kept per set of filters and content version (and for up to
        RECOUNT_SECONDS after a publication, activities.cache.recounted). While they lag,
        the total and deep pages may miss those seconds' publications; page 1 does not."""
        if self.count_key is None:
            return self._count()
        change = next_state_change(self.moment) if self.timed else None
        names = [name for name, *_rest in self.segments]
        keys = _count_keys(self.count_key, names, change)
        if keys is None:
            return self._count()
        seconds = seconds_until(change, self.moment, self.COUNT_SECONDS)
        counts, self._stale = recounted(*keys, self._count, seconds)
        return counts

    def _count(self):
        # One pass over the filtered activities counts every segment.
        totals = self.queryset.order_by().aggregate(
            **{
                f"n{index}": Count("pk", filter=condition)
                for index, (_name, condition, _ordering) in enumerate(self.segments)
            }
        )
        return [totals[f"n{index}"] for index in range(len(self.segments))]

    def count(self):
        return sum(self.counts())

    def _rows(self, item):
        start, stop = item.start or 0, item.stop
        if start == 0 and stop is not None and (self._counts is None or self._stale):
            # Exact whatever the counts: what was just published is on page 1 at once.
            return self._head(stop)
        if stop is None:
            stop = self.count()
        results = []
        offset = 0
        for (_name, condition, ordering), size in zip(self.segments, self.counts(), strict=True):
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                part = self._part(condition, ordering)
                results.extend(self._slice(part, low, high, condition, ordering))
            offset += size
            if offset >= stop:
                break
        return self._prefetched(results)

    def _head(self, stop):
        """The first `stop` results without counting: each segment fills what the
        previous ones left (home page, calendar, feeds)."""
        results = []
        for _name, condition, ordering in self.segments:
            results.extend(self._part(condition, ordering)[: stop - len(results)])
            if len(results) >= stop:
                break
        return self._prefetched(results)


class NewestWithin(Segments):
    """Newest first between two dates, on PostgreSQL (order): "newest first" as everywhere
    (newest_key, then the id, descending; counted and read the same), except that its first
    pages walk the GiST index of the dates and newest_rank nearest RANK_TOP first, ids and
    keys only, then read the page's rows by id.

    The walk's distances are floating point: exact between seconds, not within one. Every
    activity of a later second than the page's last comes before it in the walk, and so
    do those of its second when the walk read on past that second (it reads TIES past the
    page; a second with more is read whole): sorting what was read by (newest_key, id)
    gives the B-tree's order exactly. Deep pages read the B-tree as before: for 10,000
    rows PostgreSQL chose to sort the whole range rather than walk (0.4 s for September
    2025, ended, page 500; 57 ms on the B-tree)."""

    TIES = 20
    WALKED_PAGES_END = Segments.DEFERRED_JOIN_OFFSET

    def __init__(self, newest, within):
        super().__init__(
            newest.queryset,
            newest.segments,
            newest.transforms,
            newest.count_key,
            newest.navigation,
            newest.moment,
            newest.timed,
        )
        self.within = within

    def map(self, transform):
        return NewestWithin(super().map(transform), self.within)

    def _rows(self, item):
        start, stop = item.start or 0, item.stop
        if stop is None or stop > self.WALKED_PAGES_END:
            return super()._rows(item)
        walk = self.queryset.filter(self.within).order_by(_newest_by_rank())
        walk = walk.values_list("newest_rank", "newest_key", "pk")
        found = list(walk[: stop + self.TIES])
        if len(found) > stop:
            second = found[stop - 1][0] // RANK_ID_SPAN
            if found[-1][0] // RANK_ID_SPAN == second:
                low = second * RANK_ID_SPAN
                tied = walk.filter(newest_rank__gte=low, newest_rank__lt=low + RANK_ID_SPAN)
                found = [row for row in found if row[0] >= low + RANK_ID_SPAN] + list(tied)
        found.sort(key=lambda row: (row[1], row[2]), reverse=True)
        ids = [pk for _rank, _key, pk in found[start:stop]]
        rows = {row.pk: row for row in self._part(Q(pk__in=ids), ())}
        return self._prefetched([rows[pk] for pk in ids if pk in rows])


def _count_keys(identity, segment_names, change=None):
    """Cache keys for the segment counts of one set of filters: the exact counts, valid
    until publishing bumps the listing version or a change to the site (a view restriction
    changes what is public) the site version, and the latest counted whatever the
    versions. Both name the next state change (next_state_change): counts made before an
    activity started or ended are never shown after it, not even while they are being
    counted again, since the rows of each segment are read by them."""
    if identity is None:
        return None
    raw = f"{identity}|{segment_names}|{change.isoformat() if change else '-'}"
    return _kept_keys("listing:count", raw, (LISTING_DEPENDENCY, SITE_DEPENDENCY))


def _kept_keys(prefix, raw, dependencies):
    """The keys of a value computed from `raw` under the current tokens of `dependencies`
    (activities.cache.recounted): one naming the tokens, one naming `raw` alone; None when
    the cache is down."""
    from .cache import current_version, read_versions

    read_versions(*dependencies)
    versions = [current_version(name) for name in dependencies]
    if None in versions:
        return None
    latest = hashlib.sha256(raw.encode()).hexdigest()
    exact = hashlib.sha256(f"{raw}|{'|'.join(versions)}".encode()).hexdigest()
    return f"{prefix}:{exact}", f"{prefix}:latest:{latest}"


def unordered(result):
    """The filtered activities of a listing result, without its order."""
    return result.queryset if isinstance(result, OrderedResult) else result


CARD_FIELDS = (
    "title",
    "slug",
    "url_path",
    "path",
    "depth",
    "live",
    "locale_id",
    "content_type_id",
    "start_at",
    "end_at",
    "mode",
    "province",
    "city",
    "activity_type",
    "channel",
    "poster",
    "nomination",
)


def with_card_fields(queryset):
    """Everything a card shows, in a fixed number of queries whatever the page size."""
    return (
        queryset.select_related("province", "city", "activity_type", "channel", "nomination")
        # A card shows a dozen of the page's ~80 columns: fewer to compile, read and build.
        .only(*CARD_FIELDS)
        .prefetch_related(
            Prefetch("poster", queryset=Image.objects.prefetch_renditions(renditions.CARD))
        )
    )


class CardKey:
    """An activity as a page of cards reads it: what names its card in
    activities.cards.memory, nothing more. The cards not held yet are read in full with
    with_card_fields. Twenty of these instead of deferred ActivityPage instances (Wagtail's
    and modelcluster's constructors, deferred-field bookkeeping) saved 1.5 ms of the 2.5
    the query of a listing took in Python (#8)."""

    __slots__ = (
        "pk",
        "start_at",
        "end_at",
        "url_path",
        "live_revision_id",
        "last_published_at",
        "card_recommended",
    )

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    def activity_state(self, moment=None):
        return ActivityState.at(self.start_at, self.end_at, moment)

    def __repr__(self):
        return f"<CardKey {self.pk}>"


class _CardKeys(ValuesListIterable):
    def __iter__(self):
        for row in super().__iter__():
            yield CardKey(*row)


def with_card_data(queryset):
    """The activities of a page of cards as CardKeys, in the queryset's order."""
    if isinstance(queryset, OrderedResult):
        return queryset.map(with_card_data)
    keys = queryset.annotate(card_recommended=F("nomination__recommended")).values_list(
        *CardKey.__slots__
    )
    # Kept through filter(), order_by() and slicing, as values_list's own is.
    keys._iterable_class = _CardKeys
    return keys


MAX_SEARCH_HITS = 1000


def search_ids(query, queryset=None, values=None, moment=None):
    """Primary keys of the activities of `queryset` (live ones by default) matching the
    Chinese query, best first, at most MAX_SEARCH_HITS. The listing passes its filtered
    activities, so the bound applies after the filters: a common word searched in one
    province returns that province's matches, not its share of the national best.
    search.ranked asks the index table for the best hits in one bounded query
    (docs/search.md). `values`, the filters applied to `queryset` at `moment`, narrow the
    candidates through their filter words (search/filters.py)."""
    from search.ranked import ranked_ids
    from search.segment import segment_query

    if not segment_query(query):
        return []
    if queryset is None:
        queryset = ActivityPage.objects.live()
    moment = moment or timezone.now()
    groups = narrowing(values or {}, moment)
    # A search.ranked.Found: the ids, the words they were found by and whether only some
    # were, kept together (kept_search_ids). Within the title matches and within the
    # details-only ones, activities not ended at `moment` come first: one ending while
    # the ids are kept keeps its place for those minutes at most.
    return ranked_ids(queryset, query, MAX_SEARCH_HITS, groups, moment)


def kept_search_ids(identity, find, timed, moment=None):
    """`find()` (search_ids for one query and set of filters named by `identity`), kept
    until a publication, a take-down or a change to the site bumps their versions, and
    then for up to RECOUNT_SECONDS more (activities.cache.recounted), as the listing's
    counts are: a search reads, ranks and checks up to thousands of index entries (25-45 ms
    at a million activities), and the same words come back from many visitors and from
    every page of the same results. Returns the ids and whether they may lag: ids found
    before the latest publication are checked against the live activities again
    (Ranked), so a taken-down activity never shows; one just published may be missing
    for those seconds. `timed` filters (a state) change as activities start and end: their
    ids are kept until the next state change (next_state_change), which their keys name."""
    seconds = getattr(settings, "SEARCH_IDS_SECONDS", 300)
    if seconds <= 0:
        return find(), False
    if timed:
        moment = moment or timezone.now()
        change = next_state_change(moment)
        identity = f"{identity}|{change.isoformat() if change else '-'}"
        seconds = seconds_until(change, moment, seconds)
    keys = _kept_keys("search:ids", identity, (LISTING_DEPENDENCY, SITE_DEPENDENCY))
    if keys is None:
        return find(), False
    return recounted(*keys, find, seconds)


def narrowing(values, moment):
    """Groups of filter words such that every activity these filters keep has at least one
    word of each group beside its title (search/filters.py)."""
    from search.filters import filter_word, filter_words, months_touching

    zone = ZoneInfo(settings.TIME_ZONE)
    groups = [
        [word]
        for word in filter_words(
            {name: values[name] for name in SEARCH_FILTERS if name in values and name != "mode"}
        )
    ]
    if "mode" in values:
        groups.append(
            [filter_word("mode", mode) for mode in ActivityPage.Mode.attendable(values["mode"])]
        )
    state = values.get("state")
    if state == ActivityState.ONGOING:
        groups.append(months_touching(moment, moment, zone))
    elif state == ActivityState.UPCOMING:
        # Every upcoming activity starts between now and the latest start of all.
        latest = ActivityPage.objects.aggregate(latest=Max("start_at"))["latest"]
        months = months_touching(moment, latest, zone) if latest and latest > moment else None
        if months is not None:
            groups.append(months)
    if "from_date" in values and "to_date" in values:
        first = _day_start(values["from_date"])
        last = _day_start(values["to_date"], following=True) - datetime.timedelta(microseconds=1)
        months = months_touching(first, last, zone)
        if months is not None:
            groups.append(months)
    return groups


def by_ids(queryset, ids, kept=False):
    """`ids` in their order, as far as `queryset` keeps them; `kept` when they were taken
    from `queryset` already (search_ids), which saves checking them again."""
    return Ranked(queryset, ids, kept=list(ids) if kept else None)


class Ranked(OrderedResult):
    """Search results in relevance order: the ranked ids (at most MAX_SEARCH_HITS) that the
    listing's filters keep, read with one query of ids; a page then loads its own rows.
    Ordering the rows in SQL needed a CASE with one branch per hit, evaluated for every
    row (a second per search with a common word). Counts and slices like a queryset."""

    def __init__(self, queryset, ids, transforms=(), kept=None):
        # One id list per query: PostgreSQL plans `pk IN (1,000 ids) AND pk IN (20 ids)`
        # as a scan of the whole table.
        self.base = queryset
        self.model = queryset.model
        self.ids = ids
        self.transforms = tuple(transforms)
        self._kept = kept

    def map(self, transform):
        return Ranked(self.base, self.ids, (*self.transforms, transform), self._kept)

    @property
    def queryset(self):
        # Built when needed only: a filter of 1,000 ids costs milliseconds of Python, and
        # the search's own ids (kept) never need it.
        return self.base.filter(pk__in=self.ids)

    def kept(self):
        if self._kept is None:
            valid = set(self.queryset.order_by().values_list("pk", flat=True))
            self._kept = [pk for pk in self.ids if pk in valid]
        return self._kept

    def count(self):
        return len(self.kept())

    def _rows(self, item):
        wanted = self.kept()[item]
        rows = self.base.filter(pk__in=wanted).order_by()
        for transform in self.transforms:
            rows = transform(rows)
        by_pk = {row.pk: row for row in rows}
        return [by_pk[pk] for pk in wanted if pk in by_pk]


def listing_queryset(params, root=None, default_sort=SortChoices.START, moment=None):
    """The activities the public listing shows for these GET parameters, in its order, and
    the valid filters and sort it applied. Shared by the pages, the API and the calendar."""
    form = ActivityFilterForm(params)
    values = form.values()
    moment = moment or timezone.now()
    queryset = public_activities()
    if root is not None:
        queryset = queryset.child_of(root)
    queryset = apply_filters(queryset, values, moment)
    query = values.get("q", "")
    sort = values.get("sort") or (SortChoices.RELEVANCE if query else default_sort)
    if query:
        # The ids do not depend on the order they are shown in.
        found = sorted((name, value) for name, value in values.items() if name != "sort")
        ids, lagging = kept_search_ids(
            repr((getattr(root, "pk", None), found)),
            lambda: search_ids(query, queryset, values, moment),
            timed="state" in values,
            moment=moment,
        )
        found = ids
        if sort == SortChoices.RELEVANCE:
            queryset = by_ids(queryset, ids, kept=not lagging)
        else:
            queryset = order(queryset.filter(pk__in=ids), sort, moment, values.get("state"))
        queryset.search_found = found
    else:
        if sort == SortChoices.RELEVANCE:
            sort = default_sort
        identity = repr((getattr(root, "pk", None), sorted(values.items())))

        # Asked once per result, only when a deep page is read.
        @functools.cache
        def navigation():
            return navigation_queryset(values, root, moment)

        queryset = order(
            queryset,
            sort,
            moment,
            values.get("state"),
            count_key=identity,
            navigation=navigation,
            dates=newest_dates(values, sort),
        )
    return queryset, form, values, sort


class ListingPaginator(Paginator):
    """Django's, except that a page is not cut at the count, which may lag the rows for a
    few seconds after a publication (Segments), reading past the last row costs nothing,
    and no page past MAX_PAGE is offered (deep pages skip through an index: docs/
    performance.md)."""

    @functools.cached_property
    def num_pages(self):
        return min(Paginator.num_pages.func(self), MAX_PAGE)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


def page_number(params):
    """The page asked for: 1 when none is, or what is given is not a number."""
    value = str(params.get("page", "1")).strip()
    try:
        return int(value)
    except ValueError:
        # Digits too many for int() (Python's limit on their number) are still a number.
        if value.lstrip("+-").isdecimal():
            return 0 if value.startswith("-") else MAX_PAGE + 1
        return 1


def build(params, root=None, default_sort=SortChoices.START, moment=None):
    """The listing for a request's GET parameters: form, chips, page of cards, count."""
    queryset, form, values, sort = listing_queryset(params, root, default_sort, moment)
    query = values.get("q", "")
    found = getattr(queryset, "search_found", None)
    paginator = ListingPaginator(with_card_data(queryset), PER_PAGE)
    number = page_number(params)
    try:
        # A page past the last (or before the first) is not found, as with Django's own
        # views: answering with another page under its number gave search engines and
        # scrapers endless copies of the last page. Page 1 of nothing is an empty page.
        page = paginator.page(number)
    except InvalidPage as error:
        raise Http404(str(error)) from error
    return {
        "filter_form": form,
        "filters": values,
        "chips": chips(values, params, form),
        "activities": page,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(number, on_each_side=2, on_ends=1),
        # Page 1 is read exactly even while the count lags a burst of approvals (Segments).
        "result_count": max(paginator.count, len(page.object_list) if number == 1 else 0),
        "sort": sort,
        # The search keeps its best MAX_SEARCH_HITS: at the bound there may be more.
        "search_capped": bool(query) and paginator.count >= MAX_SEARCH_HITS,
        "max_search_hits": MAX_SEARCH_HITS,
        "search_query": query,
        # The words the results were found by, as a query for the cards' highlight, and
        # whether no activity had them all (search.ranked.Found; ids kept before have none).
        "highlight_query": " ".join(getattr(found, "words", ())) or query,
        "search_partial": bool(getattr(found, "partial", False)),
        "querystring": querystring_without_page(params),
    }


def chips(values, params, form=None):
    """Removable chips: a label per active filter and the URL without it."""
    labels = {
        "province": dict(
            form.fields["province"].choices if form else province_choices(localized=True)
        ),
        "type": dict(form.fields["type"].choices if form else type_choices(localized=True)),
        "mode": dict(MODE_FILTER_CHOICES),
        "state": dict(ActivityState.choices),
        "channel": dict(Organization.Category.choices),
    }
    result = []
    for name in (
        "q",
        "province",
        "type",
        "mode",
        "state",
        "channel",
        "youth",
        "recommended",
        "from_date",
        "to_date",
    ):
        if name not in values:
            continue
        public = {"from_date": "from", "to_date": "to"}.get(name, name)
        value = values[name]
        if name in labels:
            text = labels[name].get(str(value), str(value))
        elif name == "youth":
            text = _("Youth science festival")
        elif name == "recommended":
            text = _("Excellent activity")
        elif name == "q":
            text = f"“{value}”"
        else:
            text = f"{_('From') if name == 'from_date' else _('To')} {value:%Y-%m-%d}"
        remaining = params.copy()
        remaining.pop(public, None)
        remaining.pop("page", None)
        if name in ("from_date", "to_date"):
            # The form may have swapped dates given the wrong way round: what stays is
            # the other date as shown, not the other parameter as typed.
            other, other_public = (
                ("to_date", "to") if name == "from_date" else ("from_date", "from")
            )
            remaining.pop(other_public, None)
            if other in values:
                remaining[other_public] = f"{values[other]:%Y-%m-%d}"
        result.append({"label": text, "url": "?" + remaining.urlencode()})
    return result


def querystring_without_page(params):
    remaining = params.copy()
    remaining.pop("page", None)
    return remaining.urlencode()
