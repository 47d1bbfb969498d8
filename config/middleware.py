import logging
import re
import time
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.functional import empty

from .logs import logged_path, request_id_var
from .views import DATABASE_UNAVAILABLE, database_unavailable, healthz

access_logger = logging.getLogger("config.access")
# Ids from nginx ($request_id, 32 hex digits) or another proxy are kept when they look like
# ids; anything else (too long, spaces, control characters) would pollute the logs.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


def chosen_language(request):
    """The visitor's language: the switcher's cookie if it names a supported language,
    else Simplified Chinese. The page cache keys on it before this middleware runs."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the visitor chose another language with the switcher
    (R34): a browser's Accept-Language alone does not turn the national site English."""

    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()


class RequestIdMiddleware:
    """Outermost (issue 9): gives each request an id (request.id, the X-Request-ID response
    header, the request_id field of every log record written while it runs) and writes one
    access line per request with its status, duration and user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.id = request_id_for(request)
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            log_access(request, response.status_code, started, request.id)
            return response
        finally:
            request_id_var.reset(token)


def request_id_for(request):
    """The proxy's request id when it looks like one, else a new one."""
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def log_access(request, status, started, request_id):
    """One access line per request (also for page-cache hits answered before Django:
    activities.cache.PageCacheApplication)."""
    token = request_id_var.set(request_id)
    try:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user_id = _loaded_user_id(request)
        path = logged_path(request.get_full_path())
        access_logger.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            path,
            status,
            duration_ms,
            user_id if user_id is not None else "-",
            extra={
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": user_id,
            },
        )
    finally:
        request_id_var.reset(token)


def _loaded_user_id(request):
    # Only a user the request already loaded: loading it here would cost a session and a
    # user query on every request, and fail during a database outage.
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class HealthCheckMiddleware:
    """Answers /healthz ahead of every other middleware, so that the check depends only on
    what it checks: no HTTPS redirect for probes over plain HTTP, no host name validation,
    no session, no site lookup or page cache that could fail first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A database that does not answer (restart, failover, killed connections) is an outage,
    not a bug: answer 503 with Retry-After instead of 500. Django's health checks
    (conn_health_checks) replace the broken connection on the next request, so the site
    recovers by itself once the database is back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request, exception)
        return None


# What SQLite (and PostgreSQL's bigint) can hold; a larger whole number bound as a query
# parameter is an OverflowError in SQLite's driver.
LARGEST_INTEGER = 2**63 - 1
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# Text, not ids: a search for a long number (a phone, a credit code) stays as typed.
TEXT_PARAMETERS = frozenset({"q", "search"})


class OversizedNumberMiddleware:
    """Admin filters (owner, edited by, group, user, content type…) are Wagtail's and
    django-filter's model choice fields, which look a posted id up in the database. One past
    64 bits made SQLite's driver raise OverflowError: a 500 from a typed URL. Such a number
    can name no row, so it is replaced by 0, which names none either: the filter then says
    "select a valid choice", as for any other id that does not exist."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/") and request.GET:
            oversized = [
                key
                for key, values in request.GET.lists()
                if key not in TEXT_PARAMETERS and any(_oversized(value) for value in values)
            ]
            if oversized:
                query = request.GET.copy()
                for key in oversized:
                    query.setlist(
                        key, ["0" if _oversized(value) else value for value in query.getlist(key)]
                    )
                request.GET = query
        return self.get_response(request)


def _oversized(value):
    return (
        len(value) > 18
        and WHOLE_NUMBER.fullmatch(value) is not None
        and abs(int(value[:40])) > LARGEST_INTEGER
    )


ADMIN_PREFIX = "/admin/"


class AdminInlineScriptsMiddleware:
    """The Wagtail admin still runs a few inline scripts, so its pages alone allow them
    (CONTENT_SECURITY_POLICY's script-src is 'self' only). On the public site an escaping
    mistake in a template can then inject markup but never run script. Inside
    csp.middleware.CSPMiddleware, which reads `_csp_update` from the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(ADMIN_PREFIX):
            response._csp_update = {
                **(getattr(response, "_csp_update", None) or {}),
                "script-src": ["'unsafe-inline'"],
            }
        return response
