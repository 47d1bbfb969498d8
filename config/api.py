"""Machine-readable endpoints (R31): the Wagtail API v2 router, feeds, iCalendar,
sitemap.xml and robots.txt. Included by config/urls.py before Wagtail's catch-all."""

from django.conf import settings
from django.http import Http404
from django.urls import path
from django.views.generic import TemplateView
from wagtail.api.v2.filters import SearchFilter
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


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's pages endpoint (live, public pages only), except that an impossible id
    (find/?id=abc, a 30-digit number) or path is a 404 instead of a server error, and
    that ?search= is the bounded ranked search."""

    meta_fields = with_html_url(PagesAPIViewSet.meta_fields)
    filter_backends = [
        RankedSearchFilter if backend is SearchFilter else backend
        for backend in PagesAPIViewSet.filter_backends
    ]

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
