import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made from
# the same thread (fixtures, assertions) are safe because nothing else runs there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last and must run in CI; elsewhere they skip with a visible
    reason when Debian's Chromium is missing.

    They are transactional: each flushes the database when it ends (restoring the migrated
    data only for the next serialized test), so no ordinary test may come after them."""
    items.sort(key=lambda item: "browser" in item.keywords)
    if os.path.exists(CHROMIUM) and shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs {CHROMIUM} for the browser tests (make browsers).")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed: run `make browsers`")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """The database rolls back after each test; the in-memory cache must not remember
    what it held (routing facts, counts, pages) either."""
    from django.core.cache import caches

    from activities import cache as page_cache
    from activities.cards import memory
    from home import references
    from home.templatetags import fragment_tags

    for cache in caches.all(initialized_only=True):
        cache.clear()
    memory.clear()
    page_cache._versioned.clear()
    references.memory.clear()
    fragment_tags._kept.clear()
    yield


@pytest.fixture(autouse=True)
def _mail_through_the_queue(settings):
    """Django's test set-up makes EMAIL_BACKEND the in-memory outbox; put the site's backend
    (home/mail.py) back in front of it. The background task backend runs at once here, so
    each mail is sent at once after the queue's round trip (as JSON and back): every mail a
    test reads has survived it, and the outbox has it before the request returns.
    tests/workflow/test_mail_queue.py drives the queue itself."""
    settings.EMAIL_BACKEND = "home.mail.QueuedEmailBackend"
    settings.EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        phone="13900000001", password="admin-pass-12345", real_name="超级管理员"
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def submitter_client(client):
    from tests import factories

    client.force_login(factories.submitter())
    return client


@pytest.fixture
def collection():
    """The root collection's key, where the admin's upload forms put an image."""
    from wagtail.models import Collection

    return Collection.get_first_root_node().pk


@pytest.fixture(scope="session", autouse=True)
def _serialized_rollback_in_every_context(django_db_setup):
    """Let serialized_rollback restore the migrated data in every context.

    Playwright's sync API (tests/e2e) keeps an event loop running in the main thread for the
    rest of the session, and Django then keys database connections by context: transactional
    tests that run after a browser test get a connection wrapper without the
    `_test_serialized_contents` that serialized_rollback restores from, and start from the
    flushed, empty database. Expose the contents on the wrapper class so that every context
    finds them. (Session-wide and autouse, so it runs before any transactional test.)
    """
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            type(connections[alias])._test_serialized_contents = contents
