"""Operational views (issue 9): the health check and the pages shown when the database is
out of reach."""

import logging
import sys
import uuid

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("config.availability")

try:
    import psycopg
except ImportError:  # pragma: no cover - SQLite-only installs
    DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
else:
    # Raised unwrapped by a few code paths outside Django's cursor wrapper.
    DATABASE_UNAVAILABLE = (
        OperationalError,
        InterfaceError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    )

RETRY_AFTER_SECONDS = 30


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitoring: touches the database and the cache, nothing else
    (no session, no cookies, no template) so it stays cheap and says which part failed."""
    checks = {"database": _check_database(), "cache": _check_cache()}
    healthy = all(result == "ok" for result in checks.values())
    # Reported, not part of the status: an instance serves the site without the worker.
    tasks = _check_tasks() if checks["database"] == "ok" else "unknown"
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, "tasks": tasks},
        status=200 if healthy else 503,
    )


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("healthz: database check failed: %r", error)
        return "error"
    return "ok"


# Mail waiting longer than this past its time, or long work waiting longer than the
# second, means the background worker is stopped or stuck: e-mails (review notifications,
# password resets) are not leaving. Long work queues behind itself (a reindexing of 100,000
# activities takes 13 minutes in chunks), mail goes first.
MAIL_LATE_SECONDS = 120
WORK_LATE_SECONDS = 1800


def _check_tasks():
    """ "late" when queued background work (home/mail.py, activities/indexing.py) has
    waited too long past its time; "immediate" where it runs in the request. Probes of
    the queue's partial index of waiting rows."""
    import datetime

    from django.db.models import Q
    from django.utils import timezone
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not isinstance(task_backends["background"], DatabaseBackend):
        return "immediate"
    now = timezone.now()

    def overdue(seconds):
        cutoff = now - datetime.timedelta(seconds=seconds)
        return Q(run_after=get_date_max(), enqueued_at__lte=cutoff) | Q(run_after__lte=cutoff)

    waiting = DBTaskResult.objects.filter(status="READY")
    try:
        late = (
            waiting.filter(overdue(MAIL_LATE_SECONDS), task_path="home.mail.deliver_mail").exists()
            or waiting.filter(overdue(WORK_LATE_SECONDS)).exists()
        )
    except DatabaseError as error:
        logger.warning("healthz: task queue check failed: %r", error)
        return "unknown"
    if late:
        logger.warning("healthz: background work waits for the worker (kepuri-worker)")
        return "late"
    return "ok"


def _check_cache():
    # A key per call: concurrent checks from other threads or instances cannot interfere.
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    # The Redis cache ignores its own errors (a get then returns None), so compare values.
    try:
        cache.set(key, value, timeout=10)
        ok = cache.get(key) == value
        cache.delete(key)
    except Exception as error:  # any backend: the health check itself must not fail
        logger.warning("healthz: cache check failed: %r", error)
        return "error"
    if not ok:
        logger.warning("healthz: cache check failed: value not read back")
    return "ok" if ok else "error"


def database_unavailable(request, error):
    """The 503 page for a database outage. Rendered without a request context: the context
    processors and base.html would query the database that is not answering."""
    logger.warning(
        "database unavailable, answered 503: %s %s: %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    # Logged above, once and without a traceback; Django would add an ERROR line (with the
    # traceback when raised outside a view) for every request of the outage.
    response._has_been_logged = True
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500. Database errors raised outside a view (in a middleware, e.g. saving the
    session) never reach DatabaseUnavailableMiddleware; they are still an outage, not a bug."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        return database_unavailable(request, error)
    return defaults.server_error(request, template_name)
