"""gunicorn settings; every value can be overridden from the environment."""

import gc
import os

from gunicorn.glogging import Logger

from config.logs import JsonFormatter

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycling guards against slow leaks; at peak rates a low limit would restart each worker
# every second or two, and every restart starts with cold caches.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Load Django (and the jieba dictionary, through AppConfig.ready) once before forking.
preload_app = True


def pre_fork(server, worker):
    """Freeze what the master loaded (about 200,000 objects: Django, Wagtail, the
    templates) before each worker is forked. They live as long as the worker, yet every
    full collection walked them all: about 110 ms, during which none of the worker's
    threads answers, once every few hundred requests (9 ms frozen, measured #8). Frozen,
    the collector also stops writing to the pages the workers share with the master."""
    gc.freeze()


# Django writes one access line per request with the request id and user
# (config.middleware.RequestIdMiddleware); gunicorn's own access log is off unless asked for
# (GUNICORN_ACCESSLOG=-), and then names the same request id.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"


class JsonLogger(Logger):
    """gunicorn's own lines (its start, worker boots and timeouts, its access lines if turned
    on) as the same JSON objects as the application's (config.logs.JsonFormatter), so that
    `journalctl -u 'kepuri@*' -o cat | jq` reads every line of the unit. gunicorn's settings
    (errorlog, accesslog, loglevel) keep their meaning; only the formatter changes, also
    after a reload. Not `logconfig_dict`: it turns gunicorn's access log on by itself, a
    second line per request next to config.access."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())


# The same LOG_FORMAT as the settings (production's default: json); plain keeps gunicorn's
# own text lines.
logger_class = (
    JsonLogger if os.environ.get("LOG_FORMAT", "json") == "json" else "gunicorn.glogging.Logger"
)
# Gunicorn's runtime control socket defaults to one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl), which several instances on one machine would fight over; it is
# off unless a path is given. systemd reloads with HUP and stops with TERM instead.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
