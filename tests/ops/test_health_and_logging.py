"""Issue #9 (operations): the health check, the 503 page of a database outage, request ids
and structured log lines. In-process, on SQLite and PostgreSQL; the same behaviour under two
gunicorn instances and real outages is in test_two_instances.py and test_faults.py.

An outage here is Django's own query hook (connection.execute_wrapper) raising the error a
dropped connection raises; a cache outage is django-redis talking to a closed port.
"""

import io
import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from config.logs import CacheOutageFilter, JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[2]
HEX_ID = re.compile(r"[0-9a-f]{32}")


@contextmanager
def database_down(matching=""):
    """Every query (or every query whose SQL contains `matching`) fails as it does when the
    server closed the connection."""

    def refuse(execute, sql, params, many, context):
        if matching in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1},
        }
    }
    outage_filter = next(
        f
        for f in logging.getLogger("django_redis.cache").filters
        if isinstance(f, CacheOutageFilter)
    )
    outage_filter._last = float("-inf")  # an earlier test's outage must not fold this one's
    return outage_filter


@pytest.fixture
def log_lines():
    """What the configured console handler writes, as a list of lines."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: stream.getvalue().splitlines()
    handler.setStream(previous)


# Health check ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "tasks": "immediate",
    }
    # Cheap and stateless: no session, no CSRF cookie, never cached.
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_names_a_failed_database(client):
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error",
        "cache": "ok",
        "tasks": "unknown",
    }
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_names_a_failed_cache(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "cache": "error",
        "tasks": "immediate",
    }


@pytest.mark.django_db
def test_healthz_says_when_background_work_waits_for_the_worker(client, caplog):
    """Production queues mails and reindexing for kepuri-worker (docs/deploy.md): work
    waiting past its time means mails are not leaving. Reported, and logged; the instance
    itself stays healthy."""
    import datetime

    from django.test import override_settings
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from activities.indexing import reindex_activities
    from home.mail import deliver_mail
    from tests.tasks import PRODUCTION_TASKS

    data = {"subject": "s", "body": "b", "from_email": "a@example.cn", "to": ["b@example.cn"]}
    with override_settings(TASKS=PRODUCTION_TASKS):
        assert client.get("/healthz").json()["tasks"] == "ok"
        due = deliver_mail.enqueue(data)
        later = deliver_mail.using(run_after=timezone.now() + datetime.timedelta(hours=1))
        later.enqueue(data, 2)
        assert client.get("/healthz").json()["tasks"] == "ok"  # just queued; one not yet due

        waiting = DBTaskResult.objects.get(pk=due.id)
        waiting.enqueued_at -= datetime.timedelta(minutes=3)
        waiting.save(update_fields=["enqueued_at"])
        with caplog.at_level(logging.WARNING, logger="config.availability"):
            response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "database": "ok",
            "cache": "ok",
            "tasks": "late",
        }
        assert "kepuri-worker" in caplog.text

        DBTaskResult.objects.filter(pk=waiting.pk).update(status="SUCCESSFUL")
        assert client.get("/healthz").json()["tasks"] == "ok"

        # Long work queues behind itself for minutes (a reindexing in chunks); half an
        # hour past its time it is late too.
        reindex_activities.enqueue([])
        chunk = DBTaskResult.objects.get(task_path="activities.indexing.reindex_activities")
        for minutes, expected in ((10, "ok"), (31, "late")):
            DBTaskResult.objects.filter(pk=chunk.pk).update(
                enqueued_at=timezone.now() - datetime.timedelta(minutes=minutes)
            )
            assert client.get("/healthz").json()["tasks"] == expected


def test_healthz_answers_probes_over_http_with_any_host_in_production(tmp_path):
    """Monitors probe an instance directly over plain HTTP, often without the site's host
    name; every other path still redirects to HTTPS and validates the host."""
    database = tmp_path / "db.sqlite3"
    env = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="kepuri.example.cn",
        SECURE_SSL_REDIRECT="1",
    )
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('createcachetable');"
        "from django.test import Client; c = Client(raise_request_exception=False);"
        "r = c.get('/healthz', HTTP_HOST='127.0.0.1:8001');"
        "print(r.status_code, r.content.decode());"
        "print(c.get('/activities/', HTTP_HOST='kepuri.example.cn').status_code);"
        "print(c.get('/activities/', HTTP_HOST='127.0.0.1:8001').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    lines = result.stdout.splitlines()
    # The bare database has no task queue table (no migrations here): "unknown".
    expected = '{"status": "ok", "database": "ok", "cache": "ok", "tasks": "unknown"}'
    assert lines[0] == f"200 {expected}", result.stderr
    assert lines[1] == "301"
    assert lines[2] == "400"
    # JSON log lines are the production default.
    access = [json.loads(line) for line in result.stderr.splitlines() if '"config.access"' in line]
    assert [entry["path"] for entry in access] == ["/healthz", "/activities/", "/activities/"]


# Database outage ------------------------------------------------------------------------


@pytest.mark.django_db
def test_database_outage_is_a_translated_503_and_the_site_recovers(log_lines):
    # The outage may surface in a middleware (the site lookup) or in the view: both are 503.
    client = Client(raise_request_exception=False)
    with database_down():
        response = client.get("/activities/", HTTP_X_REQUEST_ID="outage-req-0001")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    with translation.override("zh-hans"):
        assert gettext("Service temporarily unavailable") in body
        resubmit = (
            "If you were submitting a form, go back and submit it again: "
            "it may not have been saved."
        )
        assert gettext(resubmit) in body
    assert '<html lang="zh-hans">' in body
    warning = next(line for line in log_lines() if "database unavailable" in line)
    assert "[outage-req-0001]" in warning
    assert "GET /activities/" in warning and "OperationalError" in warning
    # The next request after the outage is served normally.
    assert client.get("/activities/").status_code == 200


@pytest.mark.django_db
def test_database_error_in_a_middleware_is_a_503_not_a_500():
    """Wagtail's redirect middleware queries its table after the view returned a 404: an
    outage there never reaches the view's exception handling."""
    client = Client(raise_request_exception=False)
    with database_down(matching="wagtailredirects_redirect"):
        response = client.get("/no-such-page/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert client.get("/no-such-page/").status_code == 404


@pytest.mark.django_db
def test_other_errors_stay_500():
    """Only an unreachable database is an outage; a programming error is still a 500."""
    from django.db import ProgrammingError

    def broken(execute, sql, params, many, context):
        raise ProgrammingError("column does not exist")

    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(broken):
        response = client.get("/activities/")
    assert response.status_code == 500


# Cache outage ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_site_serves_without_redis_and_logs_one_warning(client, redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="django_redis.cache")
    for path in ("/", "/activities/", "/", "/activities/"):
        assert client.get(path).status_code == 200
    records = [r for r in caplog.records if r.name == "django_redis.cache"]
    # Many cache calls failed; one short WARNING says so, without a traceback per call.
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert "cache unavailable" in records[0].getMessage()
    assert "ConnectionError" in records[0].getMessage()


def test_cache_outage_filter_folds_repeats_and_counts_them():
    outage = CacheOutageFilter(interval=60)

    def record():
        try:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
        except ConnectionError:
            return logging.LogRecord(
                "django_redis.cache",
                logging.ERROR,
                __file__,
                1,
                "Exception ignored",
                None,
                sys.exc_info(),
            )

    first = record()
    assert outage.filter(first) and first.levelname == "WARNING"
    assert not outage.filter(record()) and not outage.filter(record())
    outage._last -= 60
    later = record()
    assert outage.filter(later)
    assert "(2 similar messages folded)" in later.getMessage()


# Request ids and log lines --------------------------------------------------------------


@pytest.mark.django_db
def test_request_id_is_kept_when_sane_and_replaced_otherwise(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="9f0c2b7e-edge-42")["X-Request-ID"] == (
        "9f0c2b7e-edge-42"
    )
    for bad in ("", "short", "has space in it", "x" * 200, "id\u00e9nt1234"):
        generated = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert HEX_ID.fullmatch(generated), bad
    first, second = (client.get("/healthz")["X-Request-ID"] for _ in range(2))
    assert first != second


@pytest.mark.django_db
def test_access_line_per_request_with_request_id_and_user(client, django_user_model, log_lines):
    client.get("/activities/?province=440000", HTTP_X_REQUEST_ID="access-line-0001")
    user = django_user_model.objects.create_user(phone="13900000077", password="pw-long-enough-1")
    client.force_login(user)
    client.get("/admin/", HTTP_X_REQUEST_ID="access-line-0002")
    lines = [line for line in log_lines() if " config.access " in line]
    assert re.search(
        r"INFO config\.access \[access-line-0001\] GET /activities/\?province=440000 200 "
        r"[\d.]+ms user=-$",
        lines[0],
    ), lines
    assert re.search(rf"\[access-line-0002\] GET /admin/ 302 [\d.]+ms user={user.pk}$", lines[1])


@pytest.mark.django_db
def test_json_lines_carry_the_request_id_on_every_record(log_lines):
    client = Client(raise_request_exception=False)
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    previous = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        with database_down():
            client.get("/activities/", HTTP_X_REQUEST_ID="json-line-0001")
        logging.getLogger("kepuri.test").info("outside any request")
    finally:
        handler.setFormatter(previous)
    entries = [json.loads(line) for line in log_lines()]
    outage = next(e for e in entries if e["logger"] == "config.availability")
    access = next(e for e in entries if e["logger"] == "config.access")
    assert outage["request_id"] == access["request_id"] == "json-line-0001"
    assert outage["level"] == "WARNING"
    assert access["method"] == "GET" and access["path"] == "/activities/"
    assert access["status"] == 503 and access["user_id"] is None
    assert isinstance(access["duration_ms"], float)
    assert entries[-1] == {
        "time": entries[-1]["time"],
        "level": "INFO",
        "logger": "kepuri.test",
        "message": "outside any request",
        "request_id": "-",
    }


@pytest.mark.django_db
def test_not_found_lines_carry_the_request_id(client, log_lines):
    """Django logs a 404 ("Not Found: /x", django.request) after RequestIdMiddleware has
    returned and reset the id: the line said [-] while the access line had the id."""
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="not-found-0001")
    client.get("/static/no-such-file.css", HTTP_X_REQUEST_ID="not-found-0002")
    lines = [line for line in log_lines() if " django.request " in line]
    assert len(lines) == 2, log_lines()
    assert "[not-found-0001] Not Found: /no-such-page/" in lines[0]
    assert "[not-found-0002] Not Found: /static/no-such-file.css" in lines[1]


def test_request_id_filter_reads_only_an_id_from_what_is_passed_as_request():
    record = logging.LogRecord("django.server", logging.INFO, "", 0, "x", None, None)
    record.request = socket.socket()  # runserver passes its socket as `request`
    try:
        RequestIdFilter().filter(record)
    finally:
        record.request.close()
    assert record.request_id == "-"


def test_gunicorn_freezes_what_the_master_loaded_before_forking():
    """#8: config/gunicorn.py's pre_fork freezes the master's objects, so a worker's full
    collections no longer walk Django and Wagtail (about 110 ms each, measured)."""
    import gc

    from config import gunicorn

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        gunicorn.pre_fork(server=None, worker=None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_gunicorn_lines_are_json_like_the_applications(monkeypatch, capsys):
    """docs/deploy.md section 10: `journalctl -u 'kepuri@*' -o cat | jq …` failed on
    gunicorn's own text lines ("[2026-…] [812] [INFO] Booting worker …"): with LOG_FORMAT=json
    (production's default) they are JSON objects of the same shape as the application's."""
    import importlib

    from gunicorn.config import Config

    from config import gunicorn as gunicorn_conf

    monkeypatch.setenv("LOG_FORMAT", "plain")
    assert importlib.reload(gunicorn_conf).logger_class == "gunicorn.glogging.Logger"
    monkeypatch.delenv("LOG_FORMAT")
    gunicorn_conf = importlib.reload(gunicorn_conf)
    assert gunicorn_conf.logger_class is gunicorn_conf.JsonLogger

    cfg = Config()
    for name in ("errorlog", "logger_class"):
        cfg.set(name, getattr(gunicorn_conf, name))
    logger = cfg.logger_class(cfg)
    try:
        # Only its formatter changes: gunicorn's access log stays off unless asked for.
        assert not logger.access_log_enabled
        logger.info("Booting worker with pid: %s", 812)
        logger.error("Worker (pid:%s) was sent SIGKILL! Perhaps out of memory?", 813)
    finally:
        for log in (logger.error_log, logger.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        ("INFO", "gunicorn.error", "Booting worker with pid: 812"),
        ("ERROR", "gunicorn.error", "Worker (pid:813) was sent SIGKILL! Perhaps out of memory?"),
    ]
    assert set(entries[0]) == {"time", "level", "logger", "message", "request_id"}
