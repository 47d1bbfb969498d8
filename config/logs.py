"""Structured logging (issue 9): every record carries the id of the request it was written
for, and LOG_FORMAT=json turns each record into one JSON object per line for a log shipper.

RequestIdMiddleware sets the id; the filter reads it from a context variable, so any logger
(Django's, Wagtail's, ours) gets it without being passed the request."""

import contextvars
import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from urllib.parse import quote, unquote_plus

request_id_var = contextvars.ContextVar("request_id", default="-")

# Attributes every LogRecord has; anything else came in through `extra=` and is kept as a field.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        request_id = request_id_var.get()
        if request_id == "-":
            # Django logs a 4xx or 5xx answer ("Not Found: /x", django.request) after the
            # middleware has returned and reset the context variable; it passes the request
            # along, which carries the id (request.id, RequestIdMiddleware).
            request_id = getattr(getattr(record, "request", None), "id", None)
            if not isinstance(request_id, str):
                request_id = "-"
        record.request_id = request_id
        return True


class PrivatePathsFilter(logging.Filter):
    """Django's own lines name the path too ("Not Found: /admin/password_reset/confirm/…",
    django.request, with the request as a field): written as logged_path writes it, the
    reset token and admin searches stay out of every log line, not only the access line's.
    After RequestIdFilter, which reads the request's id."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                logged_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        request = getattr(record, "request", None)
        full_path = getattr(request, "get_full_path", None)
        if callable(full_path):
            record.request = f"<{request.method} {logged_path(full_path())}>"
        return True


# What the access line must not keep (PIPL audit): a password-reset link's token, live for
# PASSWORD_RESET_TIMEOUT (Wagtail's /admin/password_reset/confirm/<uid>/<token>/ and Django's
# own reset/<uid>/<token>/ shape; its set-password/ step carries no token) ...
RESET_TOKEN = re.compile(r"(/(?:password_reset/confirm|reset)/[^/?]+/)(?!set-password/)[^/?]+")
# ... and, on admin pages, what was searched for (a phone number, a name) or a secret: the
# parameter's name is kept, its value written as ***. `next` (the page after logging in) is
# itself an address, scrubbed the same way.
LOGGED_SECRET_PARAMETERS = frozenset(
    {
        "q", "query", "search", "term", "keyword", "keywords", "phone", "mobile", "email",
        "username", "name", "real_name", "token", "key", "code", "secret", "password",
        "signature", "sig", "uid", "uidb64", "ip", "ip_address",
    }
)  # fmt: skip
SCRUBBED = "***"


def logged_path(full_path):
    """The path and query as a log line writes them: a password-reset token as ***, on
    admin pages the values of search and secret parameters (LOGGED_SECRET_PARAMETERS), and
    anywhere a `next` address likewise (/accounts/login/?next=/admin/users/%3Fq%3D139…)."""
    path, mark, query = full_path.partition("?")
    path = RESET_TOKEN.sub(rf"\g<1>{SCRUBBED}", path)
    if query:
        admin = path.startswith("/admin/")
        query = "&".join(_logged_parameter(part, admin) for part in query.split("&"))
    return path + mark + query


def _logged_parameter(part, admin):
    name, equals, value = part.partition("=")
    key = unquote_plus(name).strip().lower()
    if not value:
        return part
    if admin and key in LOGGED_SECRET_PARAMETERS:
        return f"{name}={SCRUBBED}"
    if key == "next":
        return f"{name}={quote(logged_path(unquote_plus(value)), safe='/*')}"
    return part


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: Django passes the request object as `extra` on its own records.
        return json.dumps(entry, ensure_ascii=False, default=str)


class CacheOutageFilter(logging.Filter):
    """django-redis logs every error it ignores at ERROR with a traceback: during a Redis
    outage that is one traceback per cache call on every request. Keep one WARNING line per
    process and interval, saying how many were folded into it."""

    def __init__(self, interval=10.0):
        super().__init__()
        self.interval = float(interval)
        self._lock = threading.Lock()
        self._last = -self.interval
        self._folded = 0

    def filter(self, record):
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.interval:
                self._folded += 1
                return False
            folded, self._folded, self._last = self._folded, 0, now
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "cache unavailable, serving without it: %s (%d similar messages folded)"
        record.args = (repr(cause), folded)
        record.exc_info = record.exc_text = None
        return True
