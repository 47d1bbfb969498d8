"""The operations tests (marker `ops`) start gunicorn instances against PostgreSQL and
Redis and put load on them for a minute: `make test-ops` runs them (KEPURI_OPS=1). Anywhere
else they skip with a visible reason; in CI a missing service fails the run instead."""

import os
import secrets
import shutil
import time

import pytest

from tests.ops import harness


def _missing_services(pg):
    missing = []
    if not pg.ready():
        missing.append(f"PostgreSQL at {pg.host}:{pg.port}")
    try:
        harness.run(["redis-cli", "-h", "127.0.0.1", "ping"], timeout=10)
    except (RuntimeError, OSError):
        missing.append("Redis at 127.0.0.1:6379")
    for tool in ("redis-server", str(harness.PG_BIN / "initdb"), harness.GUNICORN):
        if not shutil.which(tool):
            missing.append(tool)
    return missing


def pytest_collection_modifyitems(config, items):
    # Not item.keywords: it holds the names of parent nodes too, and this folder is "ops".
    ops = [item for item in items if item.get_closest_marker("ops")]
    if not ops:
        return
    if os.environ.get("KEPURI_OPS") != "1":
        reason = "live gunicorn/PostgreSQL/Redis test: run `make test-ops`"
    else:
        missing = _missing_services(harness.PgServer.from_url(_pg_url()))
        if not missing:
            return
        if os.environ.get("CI"):
            raise pytest.UsageError(f"make test-ops needs {', '.join(missing)}")
        reason = f"missing {', '.join(missing)}"
    for item in ops:
        item.add_marker(pytest.mark.skip(reason=reason))


MANAGE = [harness.PYTHON, "manage.py"]
SETUP_DATA = [harness.PYTHON, "-m", "tests.ops.setup_data"]


def _pg_url():
    return os.environ.get("PG_URL", harness.DEFAULT_PG_URL)


class DemoSite:
    """A migrated database with the demo data and 16 extra activities waiting for review,
    its media and collected static files, and the settings every instance shares."""

    def __init__(self, pg, template, media, static):
        self.pg = pg
        self.template = template
        self.media = media
        self.static = static
        self.secret_key = secrets.token_urlsafe(64)

    def instance_env(self, database_url, redis_url, cache_prefix, **extra):
        return harness.child_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            CACHE_KEY_PREFIX=cache_prefix,
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1",
            MEDIA_ROOT=self.media,
            STATIC_ROOT=self.static,
            # Notifications of the approvals go nowhere: no mail server here.
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            LOG_FORMAT="plain",
            **extra,
        )


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    pg = harness.PgServer.from_url(_pg_url())
    template = harness.unique_name("kepuri_ops_template")
    media = tmp_path_factory.mktemp("media")
    static = tmp_path_factory.mktemp("static")
    pg.create_database(template)
    try:
        setup_env = harness.child_env(
            DJANGO_SETTINGS_MODULE="config.settings.dev",
            DATABASE_URL=pg.url(template),
            MEDIA_ROOT=media,
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            LOG_LEVEL="WARNING",
        )
        site = DemoSite(pg, template, media, static)
        steps = [
            ("migrate", [*MANAGE, "migrate", "--no-input", "-v", "0"], setup_env),
            ("createcachetable", [*MANAGE, "createcachetable"], setup_env),
            ("seed_demo", [*MANAGE, "seed_demo"], setup_env),
            ("pending", [*SETUP_DATA, "pending", "16"], setup_env),
            ("render", [*SETUP_DATA, "render"], setup_env),
            (
                "collectstatic",
                [*MANAGE, "collectstatic", "--no-input", "-v", "0"],
                site.instance_env(pg.url(template), "", "unused"),
            ),
        ]
        for name, command, env in steps:
            began = time.monotonic()
            harness.run(command, env=env)
            print(f"demo site: {name} {time.monotonic() - began:.1f} s")
        yield site
    finally:
        pg.drop_database(template)
