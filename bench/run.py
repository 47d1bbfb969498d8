"""Benchmark of the public site and the moderators' pages (issue #8). Not a test.

    python bench/run.py [--db sqlite|postgres] [--n 10000] [--requests 50] [--throughput]
                        [--nginx] [--burst]

Prepares a dataset of N approved activities (plus 20,000 pending review tasks) with
`seed_activities` unless it is there already, then measures in one process, on that one
dataset, the median and p95 latency of each page (after a warm-up) and its query count,
each as a ratio to a floor: the plainest Django view behind the same middleware. With
--throughput it also serves the site with gunicorn (production settings, 2 workers) and
loads home, listing and detail with wrk, with the page cache off and on; --burst loads
home and listing as their kept counts expire.

Results: bench/results/<date>-<db>-<n>.json and .md.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
PENDING_PER_STAGE = 10_000
SEARCHES = ["科普", "机器人", "人工智能 青少年", "天文", "陨石"]


def database_url(db, n):
    if db == "sqlite":
        (ROOT / "bench" / "data").mkdir(exist_ok=True)
        return f"sqlite:///{ROOT / 'bench' / 'data' / f'bench-{n}.sqlite3'}"
    return f"postgres://postgres@127.0.0.1:5432/kepuri_bench_{n}"


STATIC = ROOT / "bench" / "data" / "static"


def manage(url, *args, capture=False, settings="config.settings.dev"):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": settings,
        "DEBUG": "1",
        "PAGE_CACHE_SECONDS": "0",
        "STATIC_ROOT": str(STATIC),
    }
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout


def prepare(url, n, pending):
    """Migrate, load the demo accounts, and top the dataset up to N live activities."""
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[1]
        listed = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAl"],
            check=True,
            text=True,
            capture_output=True,
        ).stdout
        if name not in {line.split("|", 1)[0] for line in listed.splitlines()}:
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    manage(url, "migrate", "--no-input", "-v", "0")
    manage(url, "createcachetable")
    counts = (
        manage(
            url,
            "shell",
            "-c",
            "from activities.models import ActivityPage; from wagtail.models import TaskState;"
            "print(ActivityPage.objects.live().count(),"
            " TaskState.objects.filter(status='in_progress').count())",
            capture=True,
        )
        .strip()
        .splitlines()[-1]
        .split()
    )
    if int(counts[0]) == 0:
        manage(url, "seed_demo")
    live, waiting = int(counts[0]), int(counts[1])
    if live < n or waiting < 2 * pending:
        extra = ["--pending", str(pending)] if waiting < 2 * pending else ["--pending", "0"]
        manage(url, "seed_activities", "--count", str(max(n - live, 0)), "--seed", "2026", *extra)


# In-process latency ----------------------------------------------------------------------


def measure(client, url, requests, warmup, user=None, before=None):
    """`before` runs ahead of each request, outside the timing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if user is not None:
        client = client.__class__()
        client.force_login(user)
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    if before:
        before()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Now: the next request's request_started signal empties the log the context reads.
    query_count = len(queries.captured_queries)
    timings = []
    for _ in range(requests):
        if before:
            before()
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "url": url,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 2),
        "queries": query_count,
        "bytes": len(response.content),
    }


# The listing again, with no card kept in memory (activities/cards.py): every card built.
COLD_CARDS = "listing p1, cards built"
# The listing again, each request right after a publication, as at the September peak.
JUST_PUBLISHED = "listing p1, just published"
# The detail page again, with nothing of it kept in this process (home/references.py: its
# reference rows and units; the cleaned rich text): as the first view of a page in a
# worker, the shared cache holding what another worker kept.
COLD_DETAIL = "detail, first in process"


def _forget_detail():
    from activities import rich_text
    from home import references

    references.memory.clear()
    rich_text._cleaned.cache_clear()


# Searches are ranked afresh on every request (SEARCH_IDS_SECONDS=0), as the first visitor
# to search these words and filters since the last publication; the rows named AGAIN keep
# the ranked ids as production does (activities.listing.kept_search_ids): the same search
# from other visitors or its next pages.
AGAIN = ", again"


@contextlib.contextmanager
def _searching(name):
    from django.conf import settings

    if not name.startswith("search") or name.endswith(AGAIN):
        yield
        return
    kept = settings.SEARCH_IDS_SECONDS
    settings.SEARCH_IDS_SECONDS = 0
    try:
        yield
    finally:
        settings.SEARCH_IDS_SECONDS = kept


def _publication():
    from activities.cache import LISTING, bump

    bump(LISTING)


# What serving a Wagtail page by its URL costs here before the page does anything: the
# listing's and an activity's URL with the page's serve() answering "ok". Everything
# above the page runs as usual (middleware, site, routing: for an activity, the one query
# that reads it). A page's ratio to the floor cannot be lower than its bound's.
BOUNDS = {
    "bound: listing URL": "ActivityIndexPage",
    "bound: activity URL": "ActivityPage",
}


@contextlib.contextmanager
def _serving_ok(name):
    from django.http import HttpResponse

    from activities import models

    model = getattr(models, BOUNDS[name]) if name in BOUNDS else None
    if model is None:
        yield
        return
    own = model.__dict__.get("serve")
    model.serve = lambda page, request, *args, **kwargs: HttpResponse("ok")
    try:
        yield
    finally:
        if own is None:
            del model.serve
        else:
            model.serve = own


def scenarios(n_detail=20):
    from accounts.models import User
    from activities.models import ActivityPage, ActivityType

    live = ActivityPage.objects.live()
    step = max(live.count() // n_detail, 1)
    ids = list(live.order_by("pk").values_list("pk", flat=True)[::step][:n_detail])
    details = [page.url for page in ActivityPage.objects.filter(pk__in=ids)]
    type_id = ActivityType.objects.order_by("sort_order").values_list("pk", flat=True).first()
    national = User.objects.get(phone="13800000021")
    first_detail = details[0]
    yield "floor", "/__floor__/", None
    yield "home", "/", None
    yield "listing p1", "/activities/", None
    bound_listing, bound_detail = BOUNDS
    yield bound_listing, "/activities/", None
    yield COLD_CARDS, "/activities/", None
    yield JUST_PUBLISHED, "/activities/", None
    yield "listing p500", "/activities/?page=500", None
    yield (
        "listing 3 filters",
        f"/activities/?province=440000&type={type_id}&state=ended",
        None,
    )
    # Newest first within a rare province and a state, and within a month: orders that
    # once walked the page table's dates (0.5-3 s at a million).
    yield "listing newest, 2 filters", "/activities/?province=540000&state=ended&sort=newest", None
    yield "listing newest, a month", "/activities/?from=2025-09-01&to=2025-09-30&sort=newest", None
    for query in SEARCHES:
        yield f"search {query}", f"/search/?q={query}", None
    yield "search 机器人, a province", "/search/?q=机器人&province=440000", None
    yield f"search 科普{AGAIN}", "/search/?q=科普", None
    yield f"search 人工智能 青少年{AGAIN}", "/search/?q=人工智能 青少年", None
    yield f"search 机器人, a province{AGAIN}", "/search/?q=机器人&province=440000", None
    yield "detail", first_detail, None
    yield COLD_DETAIL, first_detail, None
    yield bound_detail, first_detail, None
    yield "detail (20 pages)", details, None
    yield "API list", "/api/v2/activities/", None
    yield "inbox (national)", "/admin/review/", national
    yield "statistics", "/admin/stats/", national
    yield ".ics export", "/activities/calendar.ics", None


def run_latency(requests, warmup, cached):
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from activities import cards

    settings.PAGE_CACHE_SECONDS = 300 if cached else 0
    cache.clear()
    cards.memory.clear()
    client = Client()
    rows = []
    for name, url, user in scenarios():
        if isinstance(url, list):
            # Twenty different activities in turn, so nothing but the rendition cache is warm.
            per = max(requests // len(url), 2)
            parts = [measure(client, item, per, 1, user) for item in url]
            timings = sorted(part["median_ms"] for part in parts)
            row = {
                "url": f"{len(url)} pages",
                "median_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 2),
                "queries": max(part["queries"] for part in parts),
                "bytes": parts[0]["bytes"],
            }
        else:
            before = {
                COLD_CARDS: cards.memory.clear,
                JUST_PUBLISHED: _publication,
                COLD_DETAIL: _forget_detail,
            }.get(name)
            with _serving_ok(name), _searching(name):
                row = measure(client, url, requests, warmup, user, before)
        row["name"] = name
        rows.append(row)
        print(
            f"  {name:22} {row['median_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f}  "
            f"{row['queries']:3d} queries",
            flush=True,
        )
    floor = rows[0]["median_ms"]
    for row in rows:
        row["ratio"] = round(row["median_ms"] / floor, 1)
    return rows


# Throughput with gunicorn and wrk -----------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url, seconds, connections):
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    p50 = re.search(r"50%\s+([\d.]+\w+)", output)
    p99 = re.search(r"99%\s+([\d.]+\w+)", output)
    answered = re.search(r"(\d+) requests in", output)
    timeouts = re.search(r"timeout (\d+)", output)
    return {
        "requests": int(answered[1]) if answered else 0,
        # Requests wrk gave up on after its 2-second timeout.
        "timeouts": int(timeouts[1]) if timeouts else 0,
        "requests_per_s": rate,
        "non_2xx": int(errors[1]) if errors else 0,
        "socket_errors": socket_errors[1] if socket_errors else "",
        "p50": p50[1] if p50 else "",
        "p99": p99[1] if p99 else "",
    }


NGINX_CONF = """
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_cache_path {tmp}/cache levels=1:2 keys_zone=kepuri_pages:10m inactive=10m;
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            include {root}/deploy/nginx/kepuri-microcache.conf;
        }}
    }}
}}
"""


def run_nginx(app_port, paths, seconds, connections):
    """The deploy/ micro-cache in front of the running application: cached pages served
    without reaching Python."""
    import tempfile

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        print("  nginx not installed: micro-cache run skipped")
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # nginx's workers run as an unprivileged user when started by root: they must be
        # able to write the cache and temp files (a private 0700 directory made every
        # cache write fail, and the earlier run counted those answers as errors).
        # A throwaway directory of a local benchmark, removed when the run ends.
        os.chmod(tmp, 0o755)  # noqa: S103
        for name in ("cache", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (Path(tmp) / name).mkdir()
            os.chmod(Path(tmp) / name, 0o777)  # noqa: S103
        port = free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, app_port=app_port, port=port, root=ROOT))
        server = subprocess.Popen([nginx, "-c", str(conf), "-e", f"{tmp}/error.log"])
        try:
            time.sleep(1)
            for name, path in paths:
                if name == "floor":
                    continue
                wrk(f"http://127.0.0.1:{port}{path}", 2, 4)
                row = {
                    "name": name,
                    "cached": "nginx",
                    **wrk(f"http://127.0.0.1:{port}{path}", seconds, connections),
                }
                rows.append(row)
                print(
                    f"  {name:10} nginx     {row['requests_per_s']:9.1f} req/s  "
                    f"p50 {row['p50']:>8}  p99 {row['p99']:>8}  errors {row['non_2xx']}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return rows


LAYERS = {False: "off", "redis": "Redis", True: "Redis + in-process", "nginx": "nginx 1 s"}


@contextlib.contextmanager
def gunicorn(url, redis_url, cache_seconds, in_process):
    """The site served by gunicorn with production settings (2 workers × 4 threads):
    yields its base URL and port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PAGE_CACHE_SECONDS": cache_seconds,
        "PAGE_CACHE_IN_PROCESS": in_process,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "REDIS_URL": redis_url or "",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi:application",
            "--config",
            "config/gunicorn.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_throughput(url, detail_path, seconds, connections, redis_url, with_nginx=False):
    if not shutil.which("wrk"):
        print("  wrk not installed (apt-get install wrk): throughput skipped")
        return []
    rows = []
    paths = [
        ("floor", "/__floor__/"),
        ("home", "/"),
        ("listing", "/activities/"),
        ("detail", detail_path),
    ]
    # off: every request rendered; redis: hits from the shared cache only; True: hits
    # from each worker's memory first (activities.cache.HotPages), as in production.
    modes = [(False, "0", "0"), ("redis", "300", "0"), (True, "300", "1")]
    for cached, cache_seconds, in_process in modes:
        with gunicorn(url, redis_url, cache_seconds, in_process) as (base, port):
            for name, path in paths:
                if cached and name == "floor":
                    continue
                wrk(base + path, 2, 4)  # warm-up (and fill the cache)
                # Best of two runs, for every row alike: on this shared 2-core machine one
                # run can be half of the next (another tenant, or wrk's connections landing
                # mostly on one worker).
                runs = [wrk(base + path, seconds, connections) for _ in range(2)]
                best = max(runs, key=lambda run: run["requests_per_s"])
                row = {"name": name, "cached": cached, **best}
                row["runs_per_s"] = [run["requests_per_s"] for run in runs]
                rows.append(row)
                print(
                    f"  {name:10} {LAYERS[cached]:9} "
                    f"{row['requests_per_s']:9.1f} req/s  p50 {row['p50']:>8}  "
                    f"p99 {row['p99']:>8}  errors {row['non_2xx']}",
                    flush=True,
                )
            if cached is True and with_nginx:
                rows += run_nginx(port, paths, seconds, connections)
    floor = next(row["requests_per_s"] for row in rows if row["name"] == "floor")
    for row in rows:
        row["ratio_to_floor"] = round(row["requests_per_s"] / floor, 2)
    return rows


def _expire_home_counts():
    from django.core.cache import cache

    from home.models import HOME_COUNTS_KEY, CampaignSettings

    years = CampaignSettings.objects.values_list("year", flat=True)
    cache.delete_many([f"{HOME_COUNTS_KEY}:{year}" for year in years])


def _expire_listing_counts():
    from django.core.cache import cache

    # The exact counts (named by a digest), not the latest ones ("listing:count:latest:…"),
    # which outlive them (activities.cache.recounted).
    cache.delete_pattern("listing:count:[0-9a-f]*")


def run_burst(url, seconds, connections, redis_url):
    """Visitors arriving as kept counts expire (the home page's totals every five minutes,
    a listing's every minute): wrk's connections right after the exact counts were removed
    from Redis, as their expiry removes them, against the same page with nothing expired.
    The page cache is off, so that every request needs the counts."""
    if not shutil.which("wrk") or not redis_url:
        print("  wrk or Redis missing: burst skipped")
        return []
    rows = []
    pages = [
        ("home", "/", _expire_home_counts),
        ("listing", "/activities/", _expire_listing_counts),
    ]
    with gunicorn(url, redis_url, "0", "0") as (base, _port):
        for name, path, expire in pages:
            wrk(base + path, 3, 4)  # warm-up: every count kept
            steady = wrk(base + path, seconds, connections)
            expire()
            expired = wrk(base + path, seconds, connections)
            rows.append({"name": name, "steady": steady, "expired": expired})
            for label, run in (("steady", steady), ("expired", expired)):
                print(
                    f"  {name:10} {label:8} {run['requests']:6d} answered  "
                    f"{run['timeouts']:4d} past 2 s  p99 {run['p99']:>8}",
                    flush=True,
                )
    return rows


# Report ---------------------------------------------------------------------------------------


def machine():
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def markdown(result):
    lines = [
        f"# Benchmark {result['date']} · {result['db']} · N = {result['n']:,}",
        "",
        f"Machine: {result['machine']['cpus']} cores ({result['machine']['cpu']}), "
        f"{result['machine']['memory']}, Python {result['machine']['python']}. "
        f"{result['requests']} requests per page after {result['warmup']} warm-up requests, "
        "in one process through Django's test client.",
        "",
        "| page | queries | median ms | p95 ms | × floor | cached median ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    cached = {row["name"]: row for row in result.get("cached", [])}
    for row in result["uncached"]:
        hit = cached.get(row["name"])
        lines.append(
            f"| {row['name']} | {row['queries']} | {row['median_ms']} | {row['p95_ms']} | "
            f"{row['ratio']} | {hit['median_ms'] if hit else ''} |"
        )
    if result.get("throughput"):
        lines += [
            "",
            "Throughput: gunicorn (production settings, 2 workers × 4 threads) and wrk "
            f"({result['throughput_connections']} connections, "
            f"{result['throughput_seconds']} s, best of two runs) on 127.0.0.1, "
            f"cache: {'Redis' if result['redis'] else 'database'}.",
            "",
            "| page | page cache | req/s | p50 | p99 | non-2xx | × floor uncached |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in result["throughput"]:
            layer = LAYERS.get(row["cached"], row["cached"])
            lines.append(
                f"| {row['name']} | {layer} | "
                f"{row['requests_per_s']} | {row['p50']} | {row['p99']} | {row['non_2xx']} | "
                f"{row['ratio_to_floor']} |"
            )
    if result.get("burst"):
        lines += [
            "",
            "Bursts: gunicorn as above with the page cache off, wrk "
            f"({result['throughput_connections']} connections, {result['throughput_seconds']} s)"
            " right after the kept counts expire, against nothing expired.",
            "",
            "| page | answered, steady | past 2 s | answered, counts expired | past 2 s | p99 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in result["burst"]:
            steady, expired = row["steady"], row["expired"]
            lines.append(
                f"| {row['name']} | {steady['requests']} | {steady['timeouts']} | "
                f"{expired['requests']} | {expired['timeouts']} | {expired['p99']} |"
            )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--database-url", help="use this database instead of the default")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pending", type=int, default=PENDING_PER_STAGE)
    parser.add_argument("--skip-prepare", action="store_true")
    parser.add_argument(
        "--prepare-only", action="store_true", help="build the dataset, measure nothing"
    )
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--nginx", action="store_true", help="also through deploy/'s micro-cache")
    parser.add_argument(
        "--burst", action="store_true", help="visitors arriving as kept counts expire (wrk)"
    )
    parser.add_argument("--seconds", type=int, default=10)
    # 16 connections split unevenly over two workers for a whole run (one worker could
    # hold most of them), which halved or doubled the floor from run to run; 64 even out.
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/15",
        help="REDIS_URL for the cache ('' for the database cache, as production without Redis)",
    )
    args = parser.parse_args()

    url = args.database_url or database_url(args.db, args.n)
    if not args.skip_prepare:
        prepare(url, args.n, args.pending)
    if args.prepare_only:
        return
    # Production's hashed static file names need the manifest.
    manage(url, "collectstatic", "--no-input", "-v", "0", settings="bench.settings")
    os.environ["STATIC_ROOT"] = str(STATIC)

    os.environ.update(
        {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings", "REDIS_URL": args.redis}
    )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    # As gunicorn's master does before forking its workers (config/gunicorn.py).
    import gc

    gc.freeze()
    # No setup_test_environment(): its template instrumentation copies every context and
    # would be measured too. bench.settings allows the test client's host name.
    from django.core.cache import cache
    from django.db import connection

    from activities.models import ActivityPage

    live = ActivityPage.objects.live().count()
    print(f"{args.db}: {live:,} live activities; cache {cache.__class__.__name__}")
    print("uncached:")
    uncached = run_latency(args.requests, args.warmup, cached=False)
    print("page cache on:")
    cached = [
        row
        for row in run_latency(args.requests, args.warmup, cached=True)
        if not row["name"].startswith(
            ("inbox", "statistics", "bound", COLD_CARDS, JUST_PUBLISHED, COLD_DETAIL)
        )
    ]
    result = {
        "date": datetime.date.today().isoformat(),
        "db": args.db,
        "vendor": connection.vendor,
        "n": args.n,
        "live_activities": live,
        "requests": args.requests,
        "warmup": args.warmup,
        "machine": machine(),
        "uncached": uncached,
        "cached": cached,
    }
    if args.throughput or args.burst:
        # wrk's settings, shared by both modes.
        result["throughput_seconds"] = args.seconds
        result["throughput_connections"] = args.connections
    if args.throughput:
        print("throughput:")
        detail = next(row["url"] for row in uncached if row["name"] == "detail")
        result["throughput"] = run_throughput(
            url, detail, args.seconds, args.connections, args.redis, args.nginx
        )
        result["redis"] = bool(args.redis)
    if args.burst:
        print("bursts:")
        result["burst"] = run_burst(url, args.seconds, args.connections, args.redis)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"{result['date']}-{args.db}-{args.n}"
    # A second run on the same (Beijing) date keeps the first one's committed figures.
    run = 2
    while stem.with_suffix(".json").exists():
        stem = RESULTS / f"{result['date']}-{args.db}-{args.n}-run{run}"
        run += 1
    stem.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    print(f"written: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
