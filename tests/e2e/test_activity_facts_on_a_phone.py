"""The activity page's facts on a phone (R30, R34): on a 390px screen in English the page was
wider than the screen (scrollWidth 398): the facts' label column took its longest label's
width ("Participating scientists") whatever the room, and a long e-mail address or link in a
value did not wrap either. Labels and values now wrap, in both languages."""

import pytest

from tests import factories

from .conftest import E2E_DB
from .test_public_site import PHONE, assert_no_sideways_scroll

LONG_EMAIL = "kepu-registration-office-2026@guangzhou-youth-robotics-association.example.cn"
LONG_URL = (
    "https://www.guangzhou-youth-robotics-association.example.cn/science-day/2026/"
    "registration?from=activity-detail-page"
)


@pytest.mark.browser
@E2E_DB
def test_activity_facts_fit_a_390px_phone_in_both_languages_r30_r34(browser, live_server):
    activity = factories.activity(
        publish=True,
        poster=factories.poster(),
        contact_email=LONG_EMAIL,
        participation_channel=LONG_URL,
        scientists="华南理工大学机器人团队",
        expected_participants=300,
    )
    base = live_server.url
    path = activity.relative_url(activity.get_site())
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for language in ("en", "zh-hans"):
            page.goto(f"{base}/language/{language}/?next=/")
            assert page.locator("html").get_attribute("lang") == language
            assert page.goto(f"{base}{path}").status == 200
            facts = page.locator("dl.facts")
            assert facts.get_by_text(LONG_EMAIL).is_visible()
            assert facts.get_by_text(LONG_URL).is_visible()
            assert_no_sideways_scroll(page)
            # Nothing inside the facts box reaches past its edge either (a clipped value
            # would not widen the page, and still be unreadable).
            overflowing = facts.evaluate(
                """(box) => {
                    const edge = box.getBoundingClientRect().right + 0.5;
                    return [...box.querySelectorAll("dt, dd, dd *")]
                        .filter((element) => element.getBoundingClientRect().right > edge)
                        .map((element) => element.textContent.slice(0, 40));
                }"""
            )
            assert not overflowing, f"{language}: {overflowing}"
    finally:
        context.close()
