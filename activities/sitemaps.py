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


class PagesSitemap(Sitemap):
    """Every live page but the activities: home, listing, and whatever editors add."""

    def items(self):
        return super().items().not_type(ActivityPage)


class ActivitiesSitemap(Sitemap):
    limit = SITEMAP_PAGE_SIZE

    def items(self):
        return (
            public(ActivityPage.objects.live())
            .order_by("path")
            .only("url_path", "path", "depth", "last_published_at", "latest_revision_created_at")
        )

    def get_latest_lastmod(self):
        # Django's default walks every item to find the newest; one aggregate does.
        return self.items().aggregate(latest=Max("last_published_at"))["latest"]

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
