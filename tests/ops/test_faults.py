"""Issue #9: outages under load. A gunicorn instance (production settings) runs on a
PostgreSQL cluster and a redis-server of the test's own, so that both can be broken without
disturbing anyone else on the machine:

- the application's database connections are killed (pg_terminate_backend), and the
  cluster is stopped for a few seconds and started again: visitors get the 503 page, never a
  500 or a dropped connection, and the site recovers by itself without a gunicorn restart;
- Redis dies: the site keeps serving (uncached), logs one warning, and /healthz names it.

Figures go to OPS_RESULTS_DIR (make test-ops: bench/results/)."""

import json
import os
import time
from pathlib import Path

import pytest

from tests.ops import harness
from tests.ops.harness import fetch

pytestmark = pytest.mark.ops

CLIENTS = 10
DATABASE = "kepuri"


class Faults:
    def __init__(self, cluster, redis_server, instance):
        self.cluster, self.redis, self.instance = cluster, redis_server, instance
        port = instance.port
        # "{n}" makes every URL unique: the page cache cannot answer, the database must.
        self.targets = [
            (port, "/?probe={n}"),
            (port, "/activities/?province=440000&probe={n}"),
            (port, "/activities/?sort=newest&probe={n}"),
            (port, "/activities/"),
        ]

    def healthz(self):
        """The status and the checks that decide it; "tasks" (the background worker's
        queue, not running here) is reported beside them and decides nothing."""
        response = fetch(self.instance.port, "/healthz", proxied=False)
        checks = json.loads(response.body)
        assert checks.pop("tasks") in {"ok", "late", "unknown"}
        return response.status, checks

    def assert_all_served(self):
        for path in ("/", "/activities/", "/activities/?province=440000&after=1"):
            assert fetch(self.instance.port, path).status == 200, path
        assert self.healthz() == (200, {"status": "ok", "database": "ok", "cache": "ok"})


@pytest.fixture(scope="module")
def faults(demo_site, tmp_path_factory):
    cluster = harness.ThrowawayCluster()
    redis_server = harness.RedisServer()
    instance = None
    try:
        cluster.initdb()
        cluster.start()
        cluster.load_dump_of(demo_site.pg, demo_site.template, DATABASE)
        redis_server.start()
        env = demo_site.instance_env(
            cluster.server.url(DATABASE),
            f"redis://127.0.0.1:{redis_server.port}/0",
            harness.unique_name("kepuri_faults"),
        )
        instance = harness.Instance("F", env, tmp_path_factory.mktemp("faults") / "f.log")
        instance.start()
        instance.wait_ready()
        yield Faults(cluster, redis_server, instance)
    finally:
        if instance:
            instance.stop()
        redis_server.kill()
        cluster.destroy()


def record(name, summary, tmp_path):
    results_dir = Path(os.environ.get("OPS_RESULTS_DIR") or tmp_path)
    results_dir.mkdir(parents=True, exist_ok=True)
    output = results_dir / f"ops-faults-{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{output}\n{json.dumps(summary, ensure_ascii=False, indent=2)}")


def assert_clean(result, allowed):
    """Only the allowed statuses, and every request answered: no reset, no refused or
    dropped connection, no timeout."""
    assert not result.errors, result.errors
    unexpected = [(s.target, s.status) for s in result.samples if s.status not in allowed]
    assert not unexpected, unexpected[:20]


def test_killed_database_connections_cost_at_most_a_503(faults, tmp_path):
    def kill(started):
        time.sleep(3)
        killed = []
        for _ in range(3):
            killed.append(faults.cluster.server.terminate_connections(DATABASE))
            time.sleep(1.5)
        return {"connections_killed": killed}

    result = harness.run_load(faults.targets, CLIENTS, 10, during=kill)
    summary = {"fault": "pg_terminate_backend x3 during load", **result.summary()}
    record("terminate", summary, tmp_path)

    assert sum(summary["connections_killed"]) > 0
    assert_clean(result, allowed={200, 503})
    faults.assert_all_served()


def test_database_restart_mid_load_gives_503_then_recovers_without_app_restart(faults, tmp_path):
    gunicorn_pid = faults.instance.process.pid
    outage_seconds = 3

    def restart(started):
        time.sleep(3)
        stopped = time.monotonic()
        faults.cluster.stop("fast")
        time.sleep(outage_seconds)
        during = faults.healthz()
        faults.cluster.start()
        back = time.monotonic()
        return {
            "database_stopped_at_s": round(stopped - started, 2),
            "database_back_at_s": round(back - started, 2),
            "healthz_during_outage": during,
        }

    result = harness.run_load(faults.targets, CLIENTS, 15, during=restart)
    back = result.events["database_back_at_s"]
    unavailable = [s for s in result.samples if s.status == 503]
    served_after = [s for s in result.samples if s.status == 200 and s.started >= back]
    late_503 = [s for s in unavailable if s.started >= back]
    summary = {
        "fault": f"pg_ctl stop -m fast, {outage_seconds} s down, pg_ctl start, during load",
        **result.summary(),
        "answered_503": len(unavailable),
        "first_200_after_database_back_ms": (
            round((min(s.started + s.latency for s in served_after) - back) * 1000, 1)
            if served_after
            else None
        ),
        "last_503_after_database_back_ms": (
            round((max(s.started + s.latency for s in late_503) - back) * 1000, 1)
            if late_503
            else 0
        ),
    }
    record("restart", summary, tmp_path)

    assert_clean(result, allowed={200, 503})
    assert summary["healthz_during_outage"] == (
        503,
        {"status": "error", "database": "error", "cache": "ok"},
    )
    assert unavailable, "the outage was not noticed: the load never reached the database"
    # Recovery is the next request: Django's connection health check replaces the dead
    # connection. One second of slack for requests already on their way.
    assert not [s for s in late_503 if s.started >= back + 1.0]
    assert faults.instance.process.pid == gunicorn_pid and faults.instance.process.poll() is None
    faults.assert_all_served()
    log = faults.instance.log()
    assert "database unavailable, answered 503: GET /" in log
    assert "Traceback" not in log


def test_redis_outage_keeps_the_site_serving_and_is_reported(faults, tmp_path):
    def outage(started):
        time.sleep(3)
        faults.redis.kill()
        time.sleep(4)
        during = faults.healthz()
        faults.redis.start()  # same port, empty
        began = time.monotonic()
        while faults.healthz()[0] != 200 and time.monotonic() - began < 10:
            time.sleep(0.1)
        return {
            "healthz_during_outage": during,
            "healthz_ok_after_redis_back_ms": round((time.monotonic() - began) * 1000, 1),
        }

    result = harness.run_load(faults.targets, CLIENTS, 12, during=outage)
    summary = {"fault": "redis-server killed for 4 s during load", **result.summary()}
    record("redis", summary, tmp_path)

    assert_clean(result, allowed={200})
    assert summary["healthz_during_outage"] == (
        503,
        {"status": "error", "database": "ok", "cache": "error"},
    )
    assert summary["healthz_ok_after_redis_back_ms"] < 10_000
    warnings = [
        line
        for line in faults.instance.log().splitlines()
        if "WARNING django_redis.cache" in line and "cache unavailable" in line
    ]
    # One line per worker process and 10 s, not one traceback per cache call.
    assert 1 <= len(warnings) <= 4, warnings
    faults.assert_all_served()
