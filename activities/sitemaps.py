"""sitemap.xml at national scale (R31): an index of sections, activities in pages of
SITEMAP_PAGE_SIZE read in path order. Wagtail's single sitemap fetches every page as its
specific object; with a million activities that is one response of a million rows, and
search engines accept at most 50,000 URLs per file anyway."""

from django.db.models import Max
from django.utils.encoding import iri_to_uri
from wagtail.contrib.sitemaps import Sitemap

from home.routing import public

from .models import ActivityPage

SITEMAP_PAGE_SIZE = 10_000
# How long a count or date of the index is kept; publishing changes its key sooner.
KEPT_SECONDS = 3600


class KeptIndexFigures:
    """sitemap.xml asks each section for its number of pages and its latest change: with
    a million activities a COUNT and a MAX over all of them (0.4-0.5 s each) and a scan of
    the page tree for the other pages (0.1 s), 1.1 s per request. They are kept per
    content version, and recounted at most once per RECOUNT_SECONDS after a publication
    (activities.cache.recounted), like the listing's counts."""

    def _kept(self, name, compute):
        from .cache import LISTING, SITE, current_version, read_versions, recounted

        read_versions(SITE, LISTING)
        versions = (current_version(SITE), current_version(LISTING))
        if None in versions:
            return compute()
        key = f"sitemap:{type(self).__name__}:{self.get_wagtail_site().pk}:{name}"
        # Boxed: a section without pages has no latest change, and None means "not kept".
        kept, _lagging = recounted(
            f"{key}:{versions[0]}:{versions[1]}",
            f"{key}:latest",
            lambda: {"value": compute()},
            KEPT_SECONDS,
        )
        return kept["value"]

    @property
    def paginator(self):
        pages = super().paginator
        count = self._kept("count", lambda: pages.count)
        pages.count = count  # Paginator.count is a cached_property: this is its value.
        return pages

    def get_latest_lastmod(self):
        return self._kept("lastmod", super().get_latest_lastmod)


class PagesSitemap(KeptIndexFigures, Sitemap):
    """Every live page but the activities: home, listing, and whatever editors add."""

    def items(self):
        return super().items().not_type(ActivityPage)


class ActivitiesSitemap(KeptIndexFigures, Sitemap):
    limit = SITEMAP_PAGE_SIZE

    def items(self):
        return (
            public(ActivityPage.objects.live())
            .order_by("path")
            .only("url_path", "path", "depth", "last_published_at", "latest_revision_created_at")
        )

    def get_latest_lastmod(self):
        # Django's default walks every item to find the newest; one aggregate does.
        return self._kept(
            "lastmod", lambda: self.items().aggregate(latest=Max("last_published_at"))["latest"]
        )

    def _urls(self, page, protocol, domain):
        # Plain rows and one site lookup: get_sitemap_urls() loads each page's specific
        # fields again and resolves its site per page (half a second per thousand).
        site = self.get_wagtail_site()
        base = site.root_url
        root_path = site.root_page.url_path
        urls = []
        for item in self.paginator.page(page).object_list:
            if not item.url_path.startswith(root_path):
                continue  # not under this site's root
            urls.append(
                {
                    "item": item,
                    "location": iri_to_uri(base + "/" + item.url_path[len(root_path) :]),
                    "lastmod": self.lastmod(item),
                    "changefreq": None,
                    "priority": None,
                    "alternates": [],
                }
            )
        self.latest_lastmod = max((url["lastmod"] for url in urls if url["lastmod"]), default=None)
        return urls


SITEMAPS = {"pages": PagesSitemap, "activities": ActivitiesSitemap}
