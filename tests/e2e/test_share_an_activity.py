"""Sharing an activity from its page (R30), found by a visitor audit: the only way to pass
an activity on was a QR code "to open it on your phone", useless on the phone itself.
static/js/share.js: the system's share sheet where there is one, else the link copied."""

import pytest
from playwright.sync_api import expect

from .conftest import E2E_DB
from .test_public_site import ROBOT, seed


@pytest.mark.browser
@E2E_DB
def test_r30_the_share_button_copies_the_activitys_address(browser, live_server):
    robot = seed()
    context = browser.new_context(locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    # The copy fallback is what is checked, whichever Chromium runs it: no share sheet.
    context.add_init_script("delete Navigator.prototype.share;")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{robot.url}")
        expect(page.get_by_role("heading", level=1)).to_have_text(ROBOT)
        assert page.evaluate("() => navigator.share === undefined")
        button = page.get_by_role("button", name="分享")
        expect(button).to_be_visible()
        button.click()
        expect(page.locator("#share-status")).to_have_text("链接已复制。")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied.endswith(robot.url) and copied.startswith("http")
    finally:
        context.close()
