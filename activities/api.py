"""The JSON API of approved activities (R31), on Wagtail's API v2.

Only live, public activities are served (R27). The listing's filters are the query
parameters and are applied by the listing's own code (activities.listing), so the API
and the HTML listing always return the same activities for the same parameters. Bad
values are ignored like on the listing; unknown parameters are ignored, not refused."""

from django.db.models import Prefetch
from django.http import Http404
from django.urls import NoReverseMatch, path
from rest_framework.fields import Field
from wagtail.api import APIField
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.serializers import (
    PageHtmlUrlField,
    PageSerializer,
    RichTextFieldSerializer,
)
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet
from wagtail.images.models import Image

from home.converters import is_db_id

from . import listing, renditions
from .listing import FILTER_PARAMS, public_activities
from .models import ActivityPage, HostUnit, OrganizerUnit
from .rich_text import clean_db_html, field_features

# One fixed rendition for every API client: WebP, at most 800 pixels on its long side.
POSTER_RENDITION = "max-800x800|format-webp|webpquality-80"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def listing_queryset(params, moment=None, sort=None):
    """The public listing's activities for these GET parameters (activities.listing);
    `sort` forces an order."""
    if sort is not None:
        params = params.copy()
        params["sort"] = sort
    return listing.listing_queryset(params, moment=moment)[0]


def with_api_data(queryset):
    """Everything the serializer reads, in a fixed number of queries per page."""
    if isinstance(queryset, listing.OrderedResult):
        return queryset.map(with_api_data)
    return queryset.select_related(
        "province", "city", "county", "activity_type", "channel", "nomination"
    ).prefetch_related(
        Prefetch("poster", queryset=Image.objects.prefetch_renditions(POSTER_RENDITION)),
        Prefetch("host_units", queryset=HostUnit.objects.select_related("organization")),
        Prefetch("organizer_units", queryset=OrganizerUnit.objects.select_related("organization")),
    )


def poster_rendition(image):
    """The API's poster rendition, or None when the original file is unreadable."""
    return renditions.rendition(image, POSTER_RENDITION)


# Serializer fields ---------------------------------------------------------------------


class WholePageField(Field):
    """A field computed from the whole page rather than one attribute."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)


class ModeDisplayField(WholePageField):
    def to_representation(self, page):
        return str(page.get_mode_display()) if page.mode else None


class StateField(WholePageField):
    def to_representation(self, page):
        state = page.activity_state()
        return state.value if state else None


class ActivityTypeField(Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, activity_type):
        # In the request's language, as mode_display is (R34); ids and codes are stable.
        return {"id": activity_type.pk, "name": activity_type.display_name}


class RegionField(Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, region):
        return {"code": region.code, "name": region.display_name}


class ChannelField(WholePageField):
    def to_representation(self, page):
        return {
            "name": page.channel.name if page.channel_id else None,
            "category": page.channel_category or None,
            "category_display": (
                str(page.get_channel_category_display()) if page.channel_category else None
            ),
        }


class UnitNamesField(Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, units):
        return [unit.display_name for unit in units.all()]


class HtmlUrlField(PageHtmlUrlField):
    """A page's full URL, for `url` and Wagtail's `html_url`: with the request, which
    Wagtail's own `html_url` leaves out, so that each page read the sites' root paths from
    the shared cache again, a round trip per page listed (20 a page of the API: 55 -> 45
    ms at a million activities, in-process A/B)."""

    def to_representation(self, page):
        try:
            return page.get_full_url(self.context.get("request"))
        except NoReverseMatch:
            return None


def with_html_url(meta_fields):
    """`meta_fields` with html_url served by HtmlUrlField."""
    return [
        APIField("html_url", serializer=HtmlUrlField(read_only=True))
        if field == "html_url"
        else field
        for field in meta_fields
    ]


def field_names(fields):
    return [getattr(field, "name", field) for field in fields]


class ReservationUrlField(WholePageField):
    """The booking link visitors see on the page (R11, R30): only while reservation is on,
    and only an http(s) link, even one stored without the editor's validation."""

    def to_representation(self, page):
        return page.public_reservation_url


class PublicRichTextField(RichTextFieldSerializer):
    """Rich text cleaned as on the public page (activities/rich_text.py), then in the format
    the client asked for (?rich_text_format=)."""

    def __init__(self, model_field, **kwargs):
        self.features = field_features(model_field)
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(clean_db_html(value, self.features))


class PosterField(Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, image):
        rendition = poster_rendition(image)
        if rendition is None:
            return None
        return {
            "url": self.context["request"].build_absolute_uri(rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "alt": image.title,
        }


# Pagination ----------------------------------------------------------------------------


def _non_negative_int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


class ActivityPagination(WagtailPagination):
    """limit/offset like Wagtail's, but forgiving: a bad value falls back to the default
    and the limit is capped at MAX_LIMIT instead of answering 400."""

    def paginate_queryset(self, queryset, request, view=None):
        limit = min(_non_negative_int(request.GET.get("limit"), DEFAULT_LIMIT), MAX_LIMIT)
        offset = _non_negative_int(request.GET.get("offset"), 0)
        self.view = view
        self.total_count = queryset.count()
        if offset >= self.total_count:
            return []
        return list(queryset[offset : offset + limit])


# The endpoint --------------------------------------------------------------------------


# The long texts, served by the detail view. The detail page's other public facts are in
# both; the contact person and phone stay on the page, out of reach of a loop over every
# activity.
DETAIL_ONLY_FIELDS = ["content", "highlights", "details"]


class ActivitiesAPIViewSet(BaseAPIViewSet):
    """/api/v2/activities/ and /api/v2/activities/<id>/."""

    model = ActivityPage
    base_serializer_class = PageSerializer
    pagination_class = ActivityPagination
    filter_backends = []  # filtering is the listing's: see get_queryset()
    known_query_parameters = BaseAPIViewSet.known_query_parameters.union([*FILTER_PARAMS, "sort"])
    body_fields = [
        "id",
        "title",
        "start_at",
        "end_at",
        "mode",
        APIField("mode_display", serializer=ModeDisplayField()),
        APIField("state", serializer=StateField()),
        APIField("activity_type", serializer=ActivityTypeField()),
        APIField("province", serializer=RegionField()),
        APIField("city", serializer=RegionField()),
        APIField("county", serializer=RegionField()),
        "address",
        APIField("channel", serializer=ChannelField()),
        "is_youth_festival",
        APIField("is_recommended"),
        "audience",
        "scientists",
        "expected_participants",
        "participation_channel",
        APIField("host_units", serializer=UnitNamesField()),
        APIField("organizer_units", serializer=UnitNamesField()),
        APIField("reservation_url", serializer=ReservationUrlField()),
        APIField("url", serializer=HtmlUrlField(read_only=True)),
        APIField("poster", serializer=PosterField()),
        "content",
        "highlights",
        APIField(
            "details",
            serializer=PublicRichTextField(ActivityPage._meta.get_field("details")),
        ),
    ]
    meta_fields = with_html_url(["type", "detail_url", "html_url", "first_published_at"])
    detail_only_fields = DETAIL_ONLY_FIELDS
    # Everything but the long texts, which the detail view adds.
    listing_default_fields = [
        *field_names(meta_fields),
        *[name for name in field_names(body_fields) if name not in DETAIL_ONLY_FIELDS],
    ]
    nested_default_fields = ["id", "type", "detail_url", "title"]
    name = "activities"

    def check_query_parameters(self, queryset):
        """Unknown parameters are ignored, as on the HTML listing (Wagtail refuses them).
        Wagtail's own ordering parameters are refused rather than ignored: a client asking
        for an order must not silently get another one (the listing's is `sort`)."""
        for name in ("order", "search_operator"):
            if name in self.request.GET:
                raise BadRequestError(
                    f"query parameter is not supported: {name} (use sort, q and the filters)"
                )

    def listing_parameters(self):
        # Wagtail's name for a search is `search`; the listing's (and this API's) is `q`.
        params = self.request.GET
        if params.get("search") and not params.get("q"):
            params = params.copy()
            params["q"] = params["search"]
        return params

    def get_queryset(self):
        # Cached: Wagtail asks for the queryset again to pick the serializer's model.
        if not hasattr(self, "_activities"):
            if self.action == "listing_view":
                queryset = listing_queryset(self.listing_parameters())
            else:
                queryset = public_activities()
            self._activities = with_api_data(queryset)
        return self._activities

    def get_object(self):
        if not is_db_id(self.kwargs.get("pk")):
            raise Http404("not found")
        return super().get_object()

    @classmethod
    def get_urlpatterns(cls):
        # No find/ view: the listing's filters and the detail URL cover it.
        return [
            path("", cls.as_view({"get": "listing_view"}), name="listing"),
            path("<id:pk>/", cls.as_view({"get": "detail_view"}), name="detail"),
        ]
