"""Machine-readable endpoints (R31): the Wagtail API v2 router, feeds, iCalendar,
sitemap.xml and robots.txt. Included by config/urls.py before Wagtail's catch-all."""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.http import Http404
from django.urls import path
from django.views.generic import TemplateView
from wagtail.api.v2.filters import FieldsFilter, SearchFilter
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.contrib.sitemaps import views as sitemap_views

from activities import calendar, feeds, listing
from activities.api import ActivitiesAPIViewSet, with_html_url
from activities.sitemaps import SITEMAPS
from home.converters import is_db_id
from search.ranked import ranked_ids


class RankedSearchFilter(SearchFilter):
    """?search= through the bounded ranked search (search/ranked.py) instead of Wagtail's
    generic one, which matched every index entry's title and body together: 11 s for
    /api/v2/pages/?search=机器人 at a million activities, for anyone. The best
    MAX_SEARCH_HITS, by relevance unless ?order= is given (then in that order)."""

    def filter_queryset(self, request, queryset, view):
        if "search" not in request.GET:
            return queryset
        if not getattr(settings, "WAGTAILAPI_SEARCH_ENABLED", True):
            raise BadRequestError("search is disabled")
        ids = ranked_ids(queryset, request.GET["search"], listing.MAX_SEARCH_HITS)
        if "order" in request.GET:
            return queryset.filter(pk__in=ids)
        return listing.by_ids(queryset, ids, kept=True)


FILTER_ERROR = "field filter error. '%s' is not a valid value for %s (%s)"  # Wagtail's own


class StrictFieldsFilter(FieldsFilter):
    """Wagtail's ?<field>=<value> filters, except that a value no row can hold is Wagtail's
    400, as ?id=xx always was: a date that is none (?first_published_at=2026-13-45) raised
    Django's ValidationError, and an integer past the column's range (?alias_of=10**20)
    overflowed SQLite's driver, both 500s."""

    def filter_queryset(self, request, queryset, view):
        fields = set(view.get_available_fields(queryset.model, db_fields_only=True))
        fields.discard("locale")  # Wagtail's LocaleFilter reads it
        for name, value in request.GET.items():
            if name in fields:
                self.check_value(queryset, name, value)
        try:
            return super().filter_queryset(request, queryset, view)
        except ValidationError as error:
            # Whatever check_value did not foresee is still the client's mistake.
            raise BadRequestError("field filter error. " + "; ".join(error.messages)) from error

    @staticmethod
    def check_value(queryset, name, value):
        try:
            field = queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            return
        target = field.target_field if isinstance(field, models.ForeignKey) else field
        if isinstance(target, models.BooleanField):
            return  # Wagtail's parse_boolean refuses the rest
        if isinstance(target, models.IntegerField):
            try:
                number = int(value)
            except ValueError:
                return  # Wagtail's own message
            ops = connections[queryset.db].ops
            try:
                low, high = ops.integer_field_range(target.get_internal_type())
            except KeyError:
                return
            if (low is not None and number < low) or (high is not None and number > high):
                raise BadRequestError(FILTER_ERROR % (value, name, "out of range"))
            return
        try:
            target.to_python(value)
        except ValidationError as error:
            reason = "; ".join(error.messages)
            raise BadRequestError(FILTER_ERROR % (value, name, reason)) from error


# The public pages endpoint's orders and deepest offset: what an index answers directly.
PAGES_ORDERS = frozenset({"id", "-id", "first_published_at", "-first_published_at"})
MAX_PAGES_OFFSET = 10_000


class PublicPagesPagination(WagtailPagination):
    """Wagtail's limit and offset (a malformed one is still its 400), except that an offset
    at or past the last row is an empty page with the real count without asking the
    database, which refused an offset past a bigint (SQLite IntegrityError, PostgreSQL
    DataError: a 500). Empty rather than 400: an offset past the end is a well-formed
    question whose answer is "nothing more", whether it is 10**3 or 10**20 past it, and
    /api/v2/activities/ answers it so too."""

    def paginate_queryset(self, queryset, request, view=None):
        offset = request.GET.get("offset", "")
        # Past Python's 4,300 digits int() refuses: left to Wagtail's own 400, as before.
        if offset.isdigit() and len(offset) < 4300 and int(offset) > MAX_PAGES_OFFSET:
            # An offset is read row by row up to it: at 100,000 pages one past 99,000 took
            # a second of the database per request, a new cache key each time.
            self.total_count = queryset.count()
            if int(offset) >= self.total_count:
                return []
            raise BadRequestError(
                f"offset is limited to {MAX_PAGES_OFFSET}: narrow the query with filters "
                "(for activities, /api/v2/activities/ with its filters and sort)"
            )
        page = super().paginate_queryset(queryset, request, view)
        if int(request.GET.get("offset", 0)) >= self.total_count:
            return []
        return page


REPLACED_BACKENDS = {SearchFilter: RankedSearchFilter, FieldsFilter: StrictFieldsFilter}


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's pages endpoint (live, public pages only), except that an impossible id
    (find/?id=abc, a 30-digit number) or path is a 404 instead of a server error, a filter
    value no row can hold a 400, an offset past the end an empty page, and ?search= the
    bounded ranked search."""

    meta_fields = with_html_url(PagesAPIViewSet.meta_fields)
    filter_backends = [
        REPLACED_BACKENDS.get(backend, backend) for backend in PagesAPIViewSet.filter_backends
    ]
    pagination_class = PublicPagesPagination

    def check_query_parameters(self, queryset):
        super().check_query_parameters(queryset)
        order = self.request.GET.get("order")
        if order is not None and order not in PAGES_ORDERS and not self.request.GET.get("search"):
            # Any other order (title, random, several fields) sorted every page for each
            # request: half a second to a second at 100,000 activities. A search's hits
            # are bounded (search.ranked), so they may be put in any order.
            raise BadRequestError(
                f"order is limited to {', '.join(sorted(PAGES_ORDERS))} on this endpoint"
            )

    def get_object(self):
        if not is_db_id(self.kwargs.get("pk")):
            raise Http404("not found")
        return super().get_object()

    def find_object(self, queryset, request):
        if "id" in request.GET and not is_db_id(request.GET["id"]):
            return None
        # No slug holds a NUL, and PostgreSQL refuses one in a query outright.
        if "\x00" in request.GET.get("html_path", ""):
            return None
        return super().find_object(queryset, request)


api_router = WagtailAPIRouter("wagtailapi")
# Activities first: the router links a page to the first endpoint whose model it is.
api_router.register_endpoint("activities", ActivitiesAPIViewSet)
# Wagtail's own pages endpoint serves live, public pages only.
api_router.register_endpoint("pages", PublicPagesAPIViewSet)

urlpatterns = [
    path("api/v2/", api_router.urls),
    path("activities/feed/rss/", feeds.LatestActivitiesFeed(), name="activities_feed_rss"),
    path("activities/feed/atom/", feeds.LatestActivitiesAtomFeed(), name="activities_feed_atom"),
    path("activities/calendar.ics", calendar.activities_calendar, name="activities_calendar"),
    path(
        "activities/<id:pk>/calendar.ics",
        calendar.activity_calendar,
        name="activity_calendar",
    ),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain; charset=utf-8"),
        name="robots_txt",
    ),
]
