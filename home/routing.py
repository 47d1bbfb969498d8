"""Routing with fewer queries than Wagtail's generic tree walk.

Wagtail routes a URL by fetching each child as a base Page and then its specific object:
two queries per URL segment, plus two for view restrictions. A public activity page took
eight queries before its own content. Pages whose usual children are of one known type
look the child up as that type in one query, with whatever its page shows already joined;
anything else falls back to Wagtail's walk."""

import hashlib

from django.db.models import Q
from django.http.request import split_domain_port
from wagtail.models import PageViewRestriction, Site

from activities.cache import LISTING, SITE, read_versions, site_versioned
from home.compiled import CompiledQuery
from home.references import attach

ROUTING_SECONDS = 3600


def _site_cached(name, build):
    """A routing fact kept until the site version changes (any change to sites,
    non-activity pages or view restrictions bumps it: activities/cache.py)."""
    return site_versioned("routing", name, build, ROUTING_SECONDS)


def restrictions_exist():
    """Whether any page has a view restriction; most sites of this kind have none, and
    then neither routing nor the listing needs to ask the database."""
    return _site_cached("restrictions", PageViewRestriction.objects.exists)


def public(queryset):
    """Wagtail's `.public()` without its query when no restriction exists."""
    return queryset.public() if restrictions_exist() else queryset


class SiteMiddleware:
    """Finds the request's Wagtail site (with its root page already specific) in the
    shared cache instead of two or three queries per request. Wagtail's own matching
    rules decide which site; only the answer is cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(("/static/", "/media/")):
            # Both tokens in one round trip: public pages need the listing's too.
            read_versions(SITE, LISTING)
            hostname = split_domain_port(request._get_raw_host())[0]
            port = request.get_port()

            def find():
                site = Site._find_for_request(request)
                if site is not None:
                    site.root_page = site.root_page.specific
                return site or False

            site = _site_cached(f"site:{hostname}:{port}", find)
            if site:
                request._wagtail_site = site
                # What Wagtail would read from the shared cache for every page URL built.
                request._wagtail_cached_site_root_paths = _site_cached(
                    "root_paths", Site.get_site_root_paths
                )
        return self.get_response(request)


def _child(parent, slug):
    return parent.direct_children().filter(slug=slug).order_by("path")[:1]


_CHILD_QUERIES = {}


class FastRoutingMixin:
    def direct_children(self):
        """A queryset of specific children to try first, or None."""
        return None

    # Whether the children found through direct_children change only with the site version
    # (pages that are not activities): then each lookup is kept until the next change.
    children_in_site_version = False

    # Foreign keys of the children read from the process's copy of reference rows
    # (home/references.py) instead of joined into the routing query.
    child_references = ()

    def direct_child(self, slug):
        query = _CHILD_QUERIES.get(type(self))
        if query is None:
            if self.children_in_site_version:
                # The segment comes from the URL: any length, any characters. The queryset
                # is built only on a miss (building it took 0.3 ms of every request).
                digest = hashlib.sha256(slug.encode("utf-8", "surrogateescape")).hexdigest()
                return _site_cached(f"child:{self.pk}:{digest}", lambda: self._first_child(slug))
            children = self.direct_children()
            if children is None:
                return None
            # Once per class: the queryset is built only to be compiled, not per request.
            query = _CHILD_QUERIES[type(self)] = CompiledQuery(children.model, _child, slug=str)
        # The parent's place in the tree is in the SQL (child_of).
        found = query.run((self.pk, self.path, self.depth), self, slug=slug)
        if not found:
            return None
        attach(found[0], self.child_references)
        return found[0]

    def _first_child(self, slug):
        children = self.direct_children()
        # None is "nothing" to the cache as well: a miss, asked again next time.
        return None if children is None else children.filter(slug=slug).first()

    def route(self, request, path_components):
        if path_components:
            child = self.direct_child(path_components[0])
            if child is not None:
                child._cached_parent_obj = self
                return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_view_restrictions(self):
        """The restrictions of this page and its ancestors in one query instead of two.
        An alias among them is resolved to its source as Wagtail does; restrictions set on
        the alias itself are included as well, which can only make access stricter."""
        if not restrictions_exist():
            return PageViewRestriction.objects.none()
        steplen = self.steplen
        paths = [self.path[:end] for end in range(steplen, len(self.path) + 1, steplen)]
        return PageViewRestriction.objects.filter(
            Q(page__path__in=paths) | Q(page__aliases__path__in=paths)
        ).distinct()
