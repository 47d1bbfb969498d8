"""A failed registration (R1) puts the focus on its error summary, with or without scripts
(WCAG 3.3.1, 2.4.3): the page used to come back with the focus at its top. A link of the
summary takes the focus to its field. The markup itself is checked in
tests/accounts/test_form_errors_a11y.py; this is what only a browser shows."""

import time

import pytest

from .conftest import E2E_DB


def fail_registration(page, base):
    page.goto(f"{base}/accounts/register/")
    page.fill("#id_phone", "12345")
    page.fill("#id_real_name", "李科普")
    page.fill("#id_password1", "Kepu-Day-2026!")
    page.fill("#id_password2", "Kepu-Day-2026?")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


@pytest.mark.browser
@E2E_DB
def test_r1_the_summary_has_the_focus_after_a_failed_registration(page, live_server):
    fail_registration(page, live_server.url)
    assert focused_id(page) == "error-summary"
    assert page.input_value("#id_phone") == "12345"
    assert page.input_value("#id_real_name") == "李科普"
    page.click("#error-summary a[href='#id_password2']")
    assert focused_id(page) == "id_password2"
    # The field's label is in the window too, not left above its top edge.
    box = page.evaluate(
        """() => {
            const label = document.querySelector("label[for='id_password2']");
            const {top, bottom} = label.getBoundingClientRect();
            return {top, bottom, height: window.innerHeight};
        }"""
    )
    assert box["top"] >= 0 and box["bottom"] <= box["height"], box


@pytest.mark.browser
@E2E_DB
def test_r1_the_summary_has_the_focus_without_scripts(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        fail_registration(page, live_server.url)
        # The browser runs `autofocus` in a task after the page has loaded: a moment later
        # than the navigation's end (a full run under load saw the focus still on <body>).
        deadline = time.monotonic() + 3
        while focused_id(page) != "error-summary" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert focused_id(page) == "error-summary"
    finally:
        context.close()
