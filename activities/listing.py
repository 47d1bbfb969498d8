"""The public listing's filters (R28), shared by the listing page, the search page, the
API, the feeds and the calendar export so they always agree."""

import functools

from django import forms
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import Image

from organizations.models import Organization, Region

from .models import ActivityPage, ActivityType
from .states import ActivityState

PER_PAGE = 20
MAX_PAGE = 500
CARD_RENDITION = "fill-300x400|format-webp|webpquality-75"
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


class ActivityFilterForm(forms.Form):
    """Bad values are not errors for visitors: an invalid field is simply not applied."""

    q = forms.CharField(label=_("Keywords"), required=False, max_length=100, strip=True)
    province = forms.ChoiceField(label=_("Province"), required=False)
    type = forms.ChoiceField(label=_("Activity type"), required=False)
    mode = forms.ChoiceField(
        label=_("Mode"), required=False, choices=[("", _("Any")), *ActivityPage.Mode.choices]
    )
    state = forms.ChoiceField(
        label=_("Activity state"), required=False, choices=[("", _("Any")), *ActivityState.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel category"),
        required=False,
        choices=[("", _("Any")), *Organization.Category.choices],
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
        self.fields["province"].choices = [("", _("Any")), *province_choices()]
        self.fields["type"].choices = [("", _("Any")), *type_choices()]

    def clean_youth(self):
        return self.data.get("youth") in {"1", "true", "on", "yes"}

    def clean_recommended(self):
        return self.data.get("recommended") in {"1", "true", "on", "yes"}

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
    return tuple(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name"))


def province_choices():
    # GB/T 2260 provinces come from a migration and never change while the site runs.
    return list(_provinces())


def type_choices():
    return [(str(pk), name) for pk, name in ActivityType.objects.values_list("pk", "name")]


def public_activities():
    """Approved, live activities only (R27)."""
    return ActivityPage.objects.live().public()


def apply_filters(queryset, values, moment=None):
    moment = moment or timezone.now()
    if "province" in values:
        queryset = queryset.filter(province_id=values["province"])
    if "type" in values:
        queryset = queryset.filter(activity_type_id=values["type"])
    if "mode" in values:
        queryset = queryset.filter(mode=values["mode"])
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
    if "from_date" in values:
        queryset = queryset.filter(end_at__date__gte=values["from_date"])
    if "to_date" in values:
        queryset = queryset.filter(start_at__date__lte=values["to_date"])
    return queryset


def order(queryset, sort, moment=None):
    moment = moment or timezone.now()
    if sort == SortChoices.NEWEST:
        return queryset.order_by("-first_published_at", "-pk")
    # Upcoming and ongoing first, soonest first; then ended ones.
    return queryset.annotate(
        _ended=Case(
            When(end_at__lt=moment, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    ).order_by("_ended", "start_at", "pk")


def with_card_data(queryset):
    """Everything a card shows, in a fixed number of queries whatever the page size."""
    return queryset.select_related(
        "province", "city", "activity_type", "channel", "nomination"
    ).prefetch_related(
        Prefetch("poster", queryset=Image.objects.prefetch_renditions(CARD_RENDITION))
    )


MAX_SEARCH_HITS = 1000


def search_ids(query):
    """Primary keys of live activities matching the Chinese query, best first. The search
    runs on live activities alone; the listing's filters then apply to these ids, so any
    filter combines with any query."""
    from search.segment import segment_query

    if not segment_query(query):
        return []
    results = ActivityPage.objects.live().only("pk").search(query, order_by_relevance=True)
    return [page.pk for page in results[:MAX_SEARCH_HITS]]


def by_ids(queryset, ids):
    ranking = Case(
        *[When(pk=pk, then=Value(position)) for position, pk in enumerate(ids)],
        output_field=IntegerField(),
    )
    return queryset.filter(pk__in=ids).annotate(_rank=ranking).order_by("_rank")


def listing_queryset(params, root=None, default_sort=SortChoices.START, moment=None):
    """The activities the public listing shows for these GET parameters, in its order, and
    the valid filters and sort it applied. Shared by the pages, the API and the calendar."""
    form = ActivityFilterForm(params)
    values = form.values()
    queryset = public_activities()
    if root is not None:
        queryset = queryset.child_of(root)
    queryset = apply_filters(queryset, values, moment)
    query = values.get("q", "")
    sort = values.get("sort") or (SortChoices.RELEVANCE if query else default_sort)
    if query:
        ids = search_ids(query)
        if sort == SortChoices.RELEVANCE:
            queryset = by_ids(queryset, ids)
        else:
            queryset = order(queryset.filter(pk__in=ids), sort, moment)
    else:
        if sort == SortChoices.RELEVANCE:
            sort = default_sort
        queryset = order(queryset, sort, moment)
    return queryset, form, values, sort


def build(params, root=None, default_sort=SortChoices.START, moment=None):
    """The listing for a request's GET parameters: form, chips, page of cards, count."""
    queryset, form, values, sort = listing_queryset(params, root, default_sort, moment)
    query = values.get("q", "")
    paginator = Paginator(with_card_data(queryset), PER_PAGE)
    try:
        number = int(params.get("page", 1))
    except (TypeError, ValueError):
        number = 1
    number = min(max(number, 1), max(paginator.num_pages, 1), MAX_PAGE)
    page = paginator.page(number)
    return {
        "filter_form": form,
        "filters": values,
        "chips": chips(values, params, form),
        "activities": page,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(number, on_each_side=2, on_ends=1),
        "result_count": paginator.count,
        "sort": sort,
        "search_query": query,
        "querystring": querystring_without_page(params),
    }


def chips(values, params, form=None):
    """Removable chips: a label per active filter and the URL without it."""
    labels = {
        "province": dict(form.fields["province"].choices if form else province_choices()),
        "type": dict(form.fields["type"].choices if form else type_choices()),
        "mode": dict(ActivityPage.Mode.choices),
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
        result.append({"label": text, "url": "?" + remaining.urlencode()})
    return result


def querystring_without_page(params):
    remaining = params.copy()
    remaining.pop("page", None)
    return remaining.urlencode()
