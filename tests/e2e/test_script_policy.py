"""The public site's script policy (no inline script; tests/hardening/test_script_policy.py)
breaks nothing a browser runs: no page reports a Content-Security-Policy violation, for a
visitor or for a signed-in editor with Wagtail's user bar, and a failed form's summary
script still works (tests/e2e/test_form_error_focus.py)."""

import pytest
from playwright.sync_api import expect

from accounts import roles
from tests import factories

from .conftest import E2E_DB, PASSWORD, login
from .test_public_site import seed


def violations_while(page, visit):
    found = []

    def record(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", record)
    visit()
    page.remove_listener("console", record)
    return found


@pytest.mark.browser
@E2E_DB
def test_no_page_breaks_the_script_policy_for_visitors_or_editors(page, live_server):
    robot = seed()
    base = live_server.url
    paths = ["/", "/activities/?mode=online", "/search/?q=机器人", robot.url, "/accounts/register/"]

    def visit_all():
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response.status == 200, path
            page.wait_for_load_state("load")

    assert violations_while(page, visit_all) == []

    national = factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核员")
    login(page, base, national.phone, PASSWORD)

    def visit_as_editor():
        visit_all()
        page.goto(f"{base}{robot.url}")
        # Wagtail's user bar loads and opens, with its own scripts, under the strict policy.
        expect(page.locator("wagtail-userbar")).to_be_attached()
        page.locator("wagtail-userbar").locator("button").first.click()
        expect(page.locator("wagtail-userbar").locator("[role=menu]")).to_be_visible()
        page.goto(f"{base}/admin/")
        expect(page.get_by_role("heading", level=1).first).to_be_visible()

    assert violations_while(page, visit_as_editor) == []
