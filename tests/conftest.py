import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made from
# the same thread (fixtures, assertions) are safe because nothing else runs there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    """Browser tests must run in CI; elsewhere they skip with a visible reason when
    Debian's Chromium is missing."""
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


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        phone="13900000001", password="admin-pass-12345", real_name="超级管理员"
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client
