"""Structured logging (issue 9): every record carries the id of the request it was written
for, and LOG_FORMAT=json turns each record into one JSON object per line for a log shipper.

RequestIdMiddleware sets the id; the filter reads it from a context variable, so any logger
(Django's, Wagtail's, ours) gets it without being passed the request."""

import contextvars
import json
import logging
import threading
import time
from datetime import UTC, datetime

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
