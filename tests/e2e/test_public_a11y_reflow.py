"""Reflow (WCAG 1.4.10): at 320 and 360 CSS pixels the public pages scroll only down, in
Chinese and in English. The header's search box was a flex item that would not shrink below
its intrinsic width, and pushed the page sideways at 360px in English, 320px in Chinese.

Also the registration's organization filter box, which only exists in the browser: named in
the page's language and pointing at the list it filters."""

import pytest

from tests import factories

from .conftest import E2E_DB

WIDTHS = (320, 360)


def overflow(page):
    """The page's scroll width against the viewport's, and the element sticking out most."""
    return page.evaluate(
        """() => {
            const inner = document.documentElement.clientWidth;
            let widest = null;
            for (const element of document.querySelectorAll("body *")) {
                const right = element.getBoundingClientRect().right;
                if (right > inner + 0.5 && (!widest || right > widest.right)) {
                    widest = {right, tag: element.tagName, cls: element.className};
                }
            }
            return {scroll: document.documentElement.scrollWidth, inner, widest};
        }"""
    )


@pytest.mark.browser
@E2E_DB
def test_public_pages_do_not_scroll_sideways_on_narrow_phones(browser, live_server):
    activity = factories.activity(publish=True, poster=factories.poster())
    base = live_server.url
    paths = ("/", "/activities/", activity.relative_url(activity.get_site()))
    found = {}
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            for language in ("zh-hans", "en"):
                page.goto(f"{base}/language/{language}/?next=/")
                assert page.locator("html").get_attribute("lang") == language
                for path in paths:
                    assert page.goto(f"{base}{path}").status == 200, path
                    measured = overflow(page)
                    if measured["scroll"] > width:
                        found[f"{path} {language} @ {width}px"] = measured
        finally:
            context.close()
    assert not found, f"pages wider than the viewport: {found}"


@pytest.mark.browser
@E2E_DB
def test_the_organization_filter_box_is_named_in_the_pages_language(page, live_server):
    base = live_server.url
    page.goto(f"{base}/language/en/?next=/accounts/register/")
    box = page.locator("input.select-filter")
    assert box.get_attribute("aria-label") == "Type to filter organizations"
    assert box.get_attribute("placeholder") == "Type to filter organizations"
    assert box.get_attribute("aria-controls") == "id_organization"
    box.fill("化学")
    shown = page.locator("#id_organization option:not([hidden]):not([value=''])")
    texts = shown.all_text_contents()
    assert texts and all("化学" in text for text in texts)
