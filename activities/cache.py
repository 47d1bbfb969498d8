"""Whole-page cache for anonymous visitors, invalidated by content versions.

Anonymous requests (no session or messages cookie) for public pages are answered from the
shared cache (Redis when REDIS_URL is set, the database cache otherwise). Each stored page
names the versions it depends on: every page depends on the "site" version; a detail page
also on its own "page:<id>" version, everything else (home, listing, search, feeds, API,
calendar, sitemap) on the "listing" version. Publishing, unpublishing, taking down, moving
or deleting an activity bumps "listing" and that activity's version, so the detail pages of
other activities stay cached through a busy review day. Versions are random tokens rather
than counters, so a cache that lost a key cannot hand out an old page again.

docs/performance.md explains the design and its figures.
"""

import collections
import contextlib
import contextvars
import datetime
import hashlib
import logging
import math
import os
import pickle
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

SITE = "site"
LISTING = "listing"
_VERSION_PREFIX = "pagecache:v:"
_ENTRY_PREFIX = "pagecache:e:"
# Paths that are per-user, stateful, or served by something else.
_SKIPPED_PREFIXES = (
    "/admin/",
    "/django-admin/",
    "/accounts/",
    "/organizations/",
    "/documents/",
    "/i18n/",
    "/healthz",
    "/static/",
    "/media/",
)
# Per-request headers; cookies are never stored in the first place.
_NEVER_REPLAYED = {"set-cookie", "x-request-id", "x-page-cache", "date", "content-length"}


def page_dependency(page_id):
    return f"page:{page_id}"


def seconds():
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 300))


def bump(*names):
    """Invalidate every cached page that depends on any of `names` (all pages when none
    are given, through the site version).

    Publication signals fire inside the publishing transaction. A page rendered between
    this call and the commit still reads the old rows and would be stored under the new
    token, stale until it expires; so the tokens change once now and once more when the
    transaction commits (at once when there is none)."""
    names = names or (SITE,)
    _write_tokens(names)
    transaction.on_commit(lambda: _write_tokens(names))


def _write_tokens(names):
    tokens = {name: uuid.uuid4().hex for name in names}
    seen = _seen.get()
    if seen is not None:
        seen.update(tokens)
    try:
        cache.set_many({_VERSION_PREFIX + name: token for name, token in tokens.items()}, None)
    except Exception:  # the cache client is configured to swallow outages; belt and braces
        logger.warning("page cache: could not bump %s", names, exc_info=True)
    hot.invalidate()


def bump_activity(page_id):
    bump(LISTING, page_dependency(page_id))


# Tokens already read during the current request: one round trip per name and request.
_seen = contextvars.ContextVar("page_cache_versions", default=None)
# When the values the current request rendered from (recounted) stop lagging: a page
# rendered from them is stored until then only.
_lags_until = contextvars.ContextVar("page_cache_lags_until", default=None)


def _versions(names):
    """Current tokens of `names`, creating missing ones; None when the cache is down."""
    seen = _seen.get()
    if seen is not None and all(name in seen for name in names):
        return [seen[name] for name in names]
    found = _read_versions(names)
    if seen is not None and found is not None:
        seen.update(zip(names, found, strict=True))
    return found


def _read_versions(names):
    keys = [_VERSION_PREFIX + name for name in names]
    try:
        found = cache.get_many(keys)
        missing = {key: uuid.uuid4().hex for key in keys if key not in found}
        if missing:
            # add() keeps a token another process created in the meantime.
            for key, token in missing.items():
                cache.add(key, token, None)
            found = cache.get_many(keys)
    except Exception:
        # Redis errors are swallowed by django-redis; the database cache raises. Either
        # way the site goes on uncached.
        logger.warning("page cache: versions unavailable", exc_info=True)
        return None
    if len(found) != len(keys):
        return None
    return [found[key] for key in keys]


def cache_get(key, default=None):
    """cache.get that treats an unavailable cache as a miss."""
    try:
        return cache.get(key, default)
    except Exception:
        logger.warning("cache: read failed", exc_info=True)
        return default


def cache_set(key, value, timeout):
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache: write failed", exc_info=True)


# A count holding its claim longer than this is presumed lost with its process.
RECOUNT_CLAIM_SECONDS = 60
# How long a request with no earlier count to show waits for another's count.
RECOUNT_WAIT_SECONDS = 5
_RECOUNT_POLL_SECONDS = 0.02


def recounted(exact_key, latest_key, count, timeout):
    """`count()`, kept under `exact_key` (a key naming the content versions it counts), and
    whether it lags. When a publication has changed the versions, the value last counted
    under `latest_key` (naming everything else) serves until it is RECOUNT_SECONDS old:
    counts over a million activities take 0.4-0.9 s, and at the September peak approvals
    come every few seconds.

    One request at a time counts a value (a claim in the shared cache): when a kept count
    expired, every request in flight counted it at once, eight 1-second counts side by
    side on two cores, and a burst of visitors waited seconds for the page. The others
    show the value last counted meanwhile, or wait for the count when there is none."""
    found = cache_get(exact_key)
    if found is not None:
        return found, False
    window = getattr(settings, "RECOUNT_SECONDS", 0)
    latest = cache_get(latest_key) if window > 0 else None
    if latest is not None and 0 <= time.time() - latest["at"] < window:
        _lagging_until(latest["at"] + window)
        return latest["value"], True
    claim = "recount:claim:" + exact_key
    claimed = _claim(claim)
    if not claimed:
        if latest is not None:
            # Being counted now: a page rendered from this is kept only a second.
            _lagging_until(time.time() + 1)
            return latest["value"], True
        found = _wait_for(exact_key)
        if found is not None:
            return found, False
    try:
        value = count()
        cache_set(exact_key, value, timeout)
        if window > 0:
            # Kept past the exact value, to show while the next count runs.
            cache_set(latest_key, {"value": value, "at": time.time()}, 2 * timeout)
    finally:
        if claimed:
            _release(claim)
    return value, False


def _claim(key):
    """Whether this request is the one to count. Only a cache that answers "taken" says
    no: django-redis answers None while Redis is down (IGNORE_EXCEPTIONS), the database
    cache raises, and then there is nothing to share or wait for."""
    try:
        return cache.add(key, 1, RECOUNT_CLAIM_SECONDS) is not False
    except Exception:
        logger.warning("cache: claim failed", exc_info=True)
        return True


def _release(key):
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache: release failed", exc_info=True)


def _wait_for(key):
    """The value another request is counting under `key`, or None after
    RECOUNT_WAIT_SECONDS (its process may have died: the caller counts then)."""
    deadline = time.monotonic() + RECOUNT_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_RECOUNT_POLL_SECONDS)
        found = cache_get(key)
        if found is not None:
            return found
    return None


def _lagging_until(moment):
    until = _lags_until.get()
    if until is not None:
        until[0] = min(until[0], moment)


def _changes_at(response, started):
    """When the page in `response`, rendered from `started` on (a timestamp), next changes
    with the clock alone (a timestamp), or None: an activity's own page when it starts or
    ends, every other page (listings, search, API, feeds, home) when any activity does
    (activities.listing)."""
    from .listing import next_state_change

    moment = datetime.datetime.fromtimestamp(started, datetime.UTC)
    page = (getattr(response, "context_data", None) or {}).get("page")
    if getattr(response, "page_cache_dependency", LISTING) != LISTING and hasattr(
        page, "activity_state"
    ):
        change = next_change_of(page.start_at, page.end_at, moment)
    else:
        change = next_state_change(moment)
    return None if change is None else change.timestamp()


def next_change_of(start, end, moment):
    """When an activity from `start` to `end` next changes state after `moment` (R17:
    ongoing up to and including its end), or None."""
    if start is not None and moment < start:
        return start
    if end is not None and moment <= end:
        return end + datetime.timedelta(microseconds=1)
    return None


def current_version(name):
    """The token of one dependency, for other caches keyed on content (None if the cache
    is down)."""
    versions = _versions([name])
    return versions[0] if versions else None


def read_versions(*names):
    """Reads several tokens in one round trip; later current_version() calls of the same
    request take them from there."""
    _versions(list(names))


class Memory:
    """What this process built or read last, least recently used dropped first."""

    def __init__(self, size):
        self.size = size
        self._items = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()

    def __len__(self):
        return len(self._items)


_versioned = Memory(1_000)


def versioned(key, build, timeout, shared=True, memory=_versioned):
    """The value under `key`, a key that names the content versions the value was built
    from (so it never goes stale, only out of use), built on a miss. Kept in the shared
    cache (unless not `shared`: `build` has its own) and, pickled, in this process too: a
    request then makes no round trip for it, and gets its own copy to change as it likes.
    `build` returns None for "nothing". `memory` is the process's copy to use: values
    that come in large numbers keep their own, so they do not push the rest out."""
    data = memory.get(key)
    if data is not None:
        return pickle.loads(data)  # noqa: S301 - written by this process just below
    value = cache_get(key) if shared else None
    if value is None:
        value = build()
        if value is None:
            return None
        if shared:
            cache_set(key, value, timeout)
    memory.put(key, pickle.dumps(value))
    return value


def site_versioned(prefix, name, build, timeout, shared=True, memory=_versioned):
    """`versioned` under the site version: for values built from what only changes with
    it (sites, non-activity pages, settings, types, organizations, regions, images).
    Built every time while the cache is down."""
    version = current_version(SITE)
    if version is None:
        return build()
    return versioned(f"{prefix}:{version}:{name}", build, timeout, shared, memory)


def _request_key(request):
    from config.middleware import chosen_language

    # The raw host: only hosts Django accepted ever had a page stored under them. The
    # scheme: an https page carries HSTS, and plain http must reach the SSL redirect.
    raw = "|".join(
        (
            request.scheme,
            request._get_raw_host(),
            chosen_language(request),
            request.get_full_path(),
        )
    )
    return _ENTRY_PREFIX + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def is_cacheable_request(request):
    if not seconds() or request.method != "GET":
        return False
    if request.path.startswith(_SKIPPED_PREFIXES):
        return False
    cookies = request.COOKIES
    # A session means a signed-in user (or one with messages waiting): never shared pages.
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _is_storable(request, response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False  # the page carries a CSRF token of its own
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    if getattr(getattr(request, "_messages", None), "added_new", False):
        return False
    control = response.get("Cache-Control", "").lower()
    if any(word in control for word in ("private", "no-store", "no-cache")):
        return False
    return not getattr(response, "skip_page_cache", False)


def mark_dependency(response, name):
    """Called by views whose output depends on one object only (activity detail pages),
    which read that object's version before rendering (see ActivityPage.serve)."""
    response.page_cache_dependency = name
    return response


class PageCacheMiddleware:
    """Serves and stores anonymous public pages. Sits near the top of the middleware (only
    request ids and the outage page come first), so a hit skips everything else, and what
    is stored carries the headers every other middleware added (security, CSP, language).

    The versions a page depends on are read *before* it is rendered: a publication during
    the rendering then leaves the stored page already out of date, never stale."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _seen.set({})
        lags = _lags_until.set([math.inf])
        try:
            return self._respond(request)
        finally:
            _lags_until.reset(lags)
            _seen.reset(token)

    def _respond(self, request):
        if not is_cacheable_request(request):
            return self.get_response(request)
        key = _request_key(request)
        entry = _current_entry(key)
        if entry is not None:
            return self._replay(entry)
        early = _versions([SITE, LISTING])
        started = time.time()
        response = self.get_response(request)
        if early is not None and _is_storable(request, response):
            self._store(key, response, started)
        else:
            response.headers.setdefault("X-Page-Cache", "skip")
        patch_vary_headers(response, ("Cookie",))
        return response

    def _store(self, key, response, started):
        dependency = getattr(response, "page_cache_dependency", LISTING)
        deps = [SITE, dependency]
        # Read before rendering (early, or by the page's serve()); memoised for the request.
        versions = _versions(deps)
        if versions is None:
            response["X-Page-Cache"] = "skip"
            return
        # A page rendered from counts or search results that lag a publication (recounted)
        # is kept only until they would be recounted, not until the next publication; and
        # no page past the moment an activity it may show starts or ends (its state badge,
        # the listing's order and counts): stored for five minutes, a detail page said 未开始
        # for that long after the start.
        until = (_lags_until.get() or [math.inf])[0]
        change = _changes_at(response, started)
        if change is not None:
            until = min(until, change)
        now = time.time()
        if until <= now:
            response["X-Page-Cache"] = "skip"
            return
        lifetime = seconds()
        if until < math.inf:
            lifetime = min(lifetime, max(math.ceil(until - now), 1))
        entry = {
            "deps": deps,
            "versions": versions,
            "stored": now,
            "seconds": lifetime,
            # To the instant: the cache's own expiry is in whole seconds.
            "expires": min(now + lifetime, until),
            "content": response.content,
            "headers": [
                (name, value)
                for name, value in response.items()
                if name.lower() not in _NEVER_REPLAYED
            ],
        }
        cache_set(key, entry, lifetime)
        response["X-Page-Cache"] = "miss"

    def _replay(self, entry):
        response = HttpResponse(entry["content"])
        for name, value in replayed_headers(entry):
            response[name] = value
        return response


def _expired(entry):
    return time.time() >= entry.get("expires", math.inf)


def _current_entry(key):
    """The stored page under `key` if every version it depends on is still current."""
    entry = hot.get(key)
    if entry is not None:
        return entry
    generation = hot.generation
    entry = cache_get(key)
    if entry is None or _expired(entry):
        return None
    current = _versions(entry["deps"])
    if current is None or current != entry["versions"]:
        return None
    hot.put(key, entry, generation)
    return entry


class HotPages:
    """The pages this process served last, kept in its memory in front of the shared
    cache, and dropped the moment any process bumps a version.

    A hit from the shared cache costs two Redis round trips, about 0.4 ms of CPU between
    client and server: at the September peak that, not Django, bounds what two cores
    serve. Entries live here only while this process listens on a Redis channel where
    every bump() is announced (and bump() in this process empties it at once): a
    publication on another instance is visible on the next request here, as the shared
    cache alone guaranteed. Without Redis, or while the subscription is down, this layer
    is off and every hit goes to the shared cache."""

    PING_SECONDS = 5

    @property
    def channel(self):
        # Channels are server-wide in Redis, whatever the database number: the key prefix
        # keeps sites (and test runs) sharing a server from emptying each other's layers.
        return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:pagecache:bumped"

    def __init__(self, size=256):
        self._entries = Memory(size)
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._pid = None
        self._run = None
        self.generation = 0

    def enabled(self):
        if not getattr(settings, "PAGE_CACHE_IN_PROCESS", True) or not _redis_configured():
            return False
        if self._pid != os.getpid():  # first use in this (possibly forked) process
            self._start()
        return self._listening.is_set()

    def get(self, key):
        if not self.enabled():
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        # Pages also change with time alone (an activity starts or ends): no older than
        # the shared cache would keep them (or this page's own shorter lifetime).
        lifetime = min(entry.get("seconds", seconds()), seconds())
        if _expired(entry) or time.time() - entry.get("stored", 0) >= lifetime:
            return None
        return entry

    def put(self, key, entry, generation):
        """Keeps `entry`, read and checked while `generation` was current: if a bump came
        in between, the entry may already be stale and is not kept."""
        if not self.enabled():
            return
        with self._lock:
            if generation != self.generation:
                return
            self._entries.put(key, entry)

    def invalidate(self, announce=True):
        with self._lock:
            self.generation += 1
            self._entries.clear()
        if announce and _redis_configured():
            try:
                from django_redis import get_redis_connection

                get_redis_connection("default").publish(self.channel, b"1")
            except Exception:
                logger.warning("page cache: could not announce a bump", exc_info=True)

    def stop(self):
        """Stops listening (the thread ends within a second) and empties the layer."""
        with self._lock:
            self._pid = None
            self._run = None
        self._listening.clear()
        self.invalidate(announce=False)

    def _start(self):
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._run = run = object()
            self._listening.clear()
            self._entries.clear()
        threading.Thread(
            target=self._listen, args=(run,), name="page-cache-bumps", daemon=True
        ).start()

    def _listen(self, run):
        from django_redis import get_redis_connection

        while self._run is run:
            pubsub = None
            try:
                pubsub = get_redis_connection("default").pubsub()
                pubsub.subscribe(self.channel)
                pinged = time.monotonic()
                while self._run is run:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        pass
                    elif message["type"] == "subscribe":
                        self._listening.set()
                    elif message["type"] == "message":
                        self.invalidate(announce=False)
                    if time.monotonic() - pinged > self.PING_SECONDS:
                        # A connection that died without a word would otherwise leave this
                        # layer serving pages no bump can reach: a failed ping ends it.
                        pubsub.ping()
                        pinged = time.monotonic()
            except Exception:
                logger.warning("page cache: bump channel lost; in-process layer off", exc_info=True)
            finally:
                # A stopped listener leaves its successor alone: stop() emptied the layer
                # already, and what its successor kept since was checked under it.
                if self._run is run:
                    self._listening.clear()
                    self.invalidate(announce=False)
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()
            time.sleep(1)


def _redis_configured():
    return settings.CACHES["default"]["BACKEND"].startswith("django_redis")


hot = HotPages()


def replayed_headers(entry):
    headers = [(name, value) for name, value in entry["headers"] if name.lower() != "vary"]
    vary = [value for name, value in entry["headers"] if name.lower() == "vary"]
    names = [name.strip() for value in vary for name in value.split(",") if name.strip()]
    if "cookie" not in {name.lower() for name in names}:
        names.append("Cookie")
    headers.append(("Vary", ", ".join(names)))
    headers.append(("X-Page-Cache", "hit"))
    return headers


class PageCacheApplication:
    """The page cache's hits answered at the WSGI level, before Django's handler and
    middleware (config/wsgi.py wraps the Django application in it).

    A hit through PageCacheMiddleware still paid for Django's request handling, signals
    and the outer middleware: about as much as the plainest view, so the cache could not
    serve more than ~1.3 times the floor's throughput. Here a hit costs a request object
    (parsed lazily), two cache reads and the access line; anything else, and any error on
    the way, goes to Django unchanged. The same rules decide what is a hit
    (`is_cacheable_request`, `_request_key`, the versions), so both paths agree."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET":
            return self.application(environ, start_response)
        started = time.perf_counter()
        token = _seen.set({})
        try:
            # A copy: WSGIRequest decodes PATH_INFO in the dict it is given, and Django's
            # own request, built from the same environ on a miss, would decode it again.
            request = WSGIRequest(dict(environ))
            entry = _current_entry(_request_key(request)) if is_cacheable_request(request) else None
        except Exception:
            logger.warning("page cache: fast path failed", exc_info=True)
            entry = None
        finally:
            _seen.reset(token)
        if entry is None:
            return self.application(environ, start_response)
        from config.middleware import log_access, request_id_for

        content = entry["content"]
        request_id = request_id_for(request)
        headers = [
            *replayed_headers(entry),
            ("Content-Length", str(len(content))),
            ("X-Request-ID", request_id),
        ]
        start_response("200 OK", headers)
        log_access(request, 200, started, request_id)
        return [content]


# Invalidation ---------------------------------------------------------------------------


def _page_changed(sender, instance, **kwargs):
    from wagtail.models import Page

    from .models import ActivityPage

    if isinstance(instance, ActivityPage):
        bump_activity(instance.pk)
    elif isinstance(instance, Page):
        bump(SITE)


def _nomination_changed(sender, instance, **kwargs):
    bump_activity(instance.page_id)


def _site_changed(sender, instance=None, **kwargs):
    bump(SITE)


def _image_changed(sender, instance, created=False, **kwargs):
    # A new upload is not on any public page yet; a changed or deleted one may be.
    if not created:
        bump(SITE)


def connect_signals():
    """Everything a public page shows, mapped to the versions it bumps."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.images import get_image_model
    from wagtail.models import PageViewRestriction, Site
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from home.models import CampaignSettings
    from organizations.models import Organization, Region

    from .models import (
        ActivityType,
        JointActionCategory,
        Nomination,
        SpecialActionCategory,
    )

    page_published.connect(_page_changed, dispatch_uid="pagecache_published")
    page_unpublished.connect(_page_changed, dispatch_uid="pagecache_unpublished")
    post_delete.connect(_page_changed, dispatch_uid="pagecache_deleted")
    post_page_move.connect(_site_changed, dispatch_uid="pagecache_moved")
    post_save.connect(_nomination_changed, sender=Nomination, dispatch_uid="pagecache_nom")
    post_delete.connect(_nomination_changed, sender=Nomination, dispatch_uid="pagecache_nom_d")
    for model in (
        Site,
        PageViewRestriction,
        CampaignSettings,
        Organization,
        Region,
        ActivityType,
        JointActionCategory,
        SpecialActionCategory,
    ):
        label = model._meta.label_lower
        post_save.connect(_site_changed, sender=model, dispatch_uid=f"pagecache_{label}")
        post_delete.connect(_site_changed, sender=model, dispatch_uid=f"pagecache_{label}_d")
    image = get_image_model()
    post_save.connect(_image_changed, sender=image, dispatch_uid="pagecache_image")
    post_delete.connect(_image_changed, sender=image, dispatch_uid="pagecache_image_d")
