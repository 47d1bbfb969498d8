"""The live-service harness of the operations tests (issue 9): throwaway PostgreSQL
databases and clusters, gunicorn instances with production settings, a small HTTP client
with a cookie jar, and a threaded load generator that classifies every request.

Nothing here imports the project's code: the instances are separate processes that only
share PostgreSQL, Redis and the media folder, as in a real deployment."""

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PG_BIN = Path(os.environ.get("OPS_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/kepuri"
DEMO_PASSWORD = "kepuri-demo-2026"  # accounts/seed.py, published in the README
# Variables of the pytest process that must not leak into the servers it starts.
_NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "LOG_FORMAT",
    "GUNICORN_BIND",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**values):
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update({k: str(v) for k, v in values.items()})
    return env


def run(command, env=None, timeout=300, input_text=None):
    command = [str(part) for part in command]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def manage(*args, env, timeout=300):
    return run([PYTHON, "manage.py", *args], env=env, timeout=timeout)


# PostgreSQL ------------------------------------------------------------------------------


@dataclass
class PgServer:
    host: str
    port: int
    user: str

    @classmethod
    def from_url(cls, url):
        parts = urllib.parse.urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres")

    def url(self, dbname):
        return f"postgres://{self.user}@{self.host}:{self.port}/{dbname}"

    def query(self, sql, params=None, dbname="postgres"):
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name, template=None):
        suffix = f' TEMPLATE "{template}"' if template else ""
        self.query(f'CREATE DATABASE "{name}"{suffix}')

    def drop_database(self, name):
        self.query(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def terminate_connections(self, dbname):
        """Kill every session of `dbname` except ours: what a failover or an operator's
        pg_terminate_backend does to the application's persistent connections."""
        rows = self.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        )
        return len(rows)

    def ready(self):
        return (
            subprocess.run(
                ["pg_isready", "-q", "-h", self.host, "-p", str(self.port)], timeout=10
            ).returncode
            == 0
        )


def _as_cluster_owner(command):
    # initdb and pg_ctl refuse to run as root; the machine's postgres account owns clusters.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *map(str, command)]
    return list(map(str, command))


class ThrowawayCluster:
    """A PostgreSQL cluster of the test's own in a temporary folder, so that the test can
    stop and restart it; the machine's shared server is never touched."""

    def __init__(self):
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="kepuri-ops-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.server = PgServer("127.0.0.1", self.port, "postgres")
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")

    def initdb(self):
        run(
            _as_cluster_owner(
                [PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync"]
            ),
            timeout=120,
        )

    def pg_ctl(self, *args, timeout=60):
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        return run(
            _as_cluster_owner(
                [PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", *args]
            ),
            timeout=timeout,
        )

    def start(self):
        self.pg_ctl("start")

    def stop(self, mode="fast"):
        self.pg_ctl("stop", "-m", mode)

    def destroy(self):
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def load_dump_of(self, source, dbname, target_db):
        """Copy a database of another server into this cluster (pg_dump | psql)."""
        self.server.create_database(target_db)
        dump = run(
            [
                PG_BIN / "pg_dump",
                "-h",
                source.host,
                "-p",
                source.port,
                "-U",
                source.user,
                "--no-owner",
                "--no-privileges",
                dbname,
            ],
            timeout=120,
        )
        run(
            [
                PG_BIN / "psql",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                self.port,
                "-U",
                "postgres",
                "-d",
                target_db,
            ],
            input_text=dump,
            timeout=120,
        )


class RedisServer:
    """A redis-server of the test's own, so that the test can kill it."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


# gunicorn --------------------------------------------------------------------------------


class Instance:
    """One gunicorn process (production settings) on a loopback port."""

    def __init__(self, name, env, log_path):
        self.name = name
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = Path(log_path)
        self.process = None

    def start(self):
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [GUNICORN, "config.wsgi:application", "--config", "config/gunicorn.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log()[-4000:]}")
            try:
                if fetch(self.port, "/healthz", proxied=False).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn {self.name} not ready:\n{self.log()[-4000:]}")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# HTTP --------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list
    body: bytes

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")


def fetch(port, path, method="GET", headers=None, body=None, proxied=True, timeout=30):
    """One request on a fresh connection. `proxied`: sent as nginx forwards it, with
    X-Forwarded-Proto: https, so that production's HTTPS redirect stays on in the tests."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = {"Connection": "close", **(headers or {})}
        if proxied:
            sent["X-Forwarded-Proto"] = "https"
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return Response(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


class Browser:
    """Keeps cookies across instances like one browser talking to one site behind a load
    balancer. Cookie flags (Secure) are the browser's business; the site is reached over
    loopback HTTP with the proxy header, so they are sent regardless."""

    def __init__(self):
        self.cookies = {}

    def request(self, port, path, method="GET", data=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(
                {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            )
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{port}"
            headers["Referer"] = f"https://127.0.0.1:{port}{path}"
        response = fetch(port, path, method=method, headers=headers, body=body)
        for name, value in response.headers:
            if name.lower() != "set-cookie":
                continue
            for morsel in SimpleCookie(value).values():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[morsel.key] = morsel.value
                else:
                    self.cookies.pop(morsel.key, None)
        return response

    def get(self, port, path):
        return self.request(port, path)

    def post(self, port, path, data):
        return self.request(port, path, method="POST", data=data)

    def log_in(self, port, phone, password=DEMO_PASSWORD):
        form = self.get(port, "/accounts/login/?next=/admin/")
        assert form.status == 200, form.status
        assert "csrftoken" in self.cookies
        response = self.post(
            port, "/accounts/login/", {"username": phone, "password": password, "next": "/admin/"}
        )
        assert response.status == 302 and response.header("Location") == "/admin/", (
            response.status,
            response.text[:2000],
        )
        assert "sessionid" in self.cookies
        return response


# Load --------------------------------------------------------------------------------------


@dataclass
class Sample:
    started: float  # seconds since the load started
    latency: float  # seconds
    status: int | None
    error: str | None
    target: str


@dataclass
class LoadResult:
    samples: list
    seconds: float
    clients: int
    events: dict = field(default_factory=dict)

    @property
    def statuses(self):
        return Counter(s.status for s in self.samples if s.status is not None)

    @property
    def errors(self):
        return Counter(s.error for s in self.samples if s.error is not None)

    def failed(self, allowed=(200,)):
        return [s for s in self.samples if s.error is not None or s.status not in allowed]

    def percentile(self, q, samples=None):
        values = sorted(s.latency for s in (self.samples if samples is None else samples))
        if not values:
            return None
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]

    def summary(self):
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": len(self.samples),
            "requests_per_second": round(len(self.samples) / self.seconds, 1),
            "latency_ms": {
                name: round(self.percentile(q) * 1000, 1)
                for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
            },
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "connection_errors": dict(self.errors),
            **self.events,
        }


def run_load(targets, clients, seconds, during=None):
    """`clients` threads request `targets` ((port, path) pairs; "{n}" in a path becomes a
    number unique to the request, to miss the page cache) round-robin for `seconds`, each
    on a fresh connection. `during(started)` runs in this thread meanwhile, with the load's
    start on the time.monotonic() clock; its return value goes into result.events."""
    start = time.monotonic()
    deadline = start + seconds
    per_client = [[] for _ in range(clients)]
    counter = iter(range(10**12))
    lock = threading.Lock()

    def client(index):
        samples = per_client[index]
        position = index
        while time.monotonic() < deadline:
            port, path = targets[position % len(targets)]
            position += 1
            if "{n}" in path:
                with lock:
                    path = path.replace("{n}", str(next(counter)))
            began = time.monotonic()
            status = error = None
            try:
                status = fetch(port, path, timeout=30).status
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
            samples.append(Sample(began - start, time.monotonic() - began, status, error, path))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    events = during(start) if during else {}
    for thread in threads:
        thread.join(seconds + 60)
    samples = sorted((s for batch in per_client for s in batch), key=lambda s: s.started)
    return LoadResult(samples, time.monotonic() - start, clients, events or {})


def unique_name(prefix):
    return f"{prefix}_{secrets.token_hex(4)}"


def public_path(url_path):
    """Wagtail's url_path (/home/activities/slug/) as the public URL (/activities/slug/)."""
    return urllib.parse.quote(re.sub(r"^/[^/]+", "", url_path, count=1))
