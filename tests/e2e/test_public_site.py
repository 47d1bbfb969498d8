"""Issue 6: the public site passes axe-core (no serious or critical violations) and works on a
phone: hero search, province filter, activity page with its booking button, no sideways
scrolling."""

import datetime
import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import ActivityType
from tests import factories

from .conftest import E2E_DB

ROBOT = "广州青少年机器人科普体验日"
BOOKING_URL = "https://example.com/book"
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}


def seed():
    """Four live activities: the Guangzhou robot day with a booking link, the rest elsewhere;
    the guide's support contact in every page's footer."""
    from wagtail.models import Site

    from home.models import CampaignSettings

    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.support_person = "蒙昌乐"
    campaign.support_phone = "010-63589698，010-63589586"
    campaign.save()
    owner = factories.submitter()
    image = factories.poster(owner)
    now = timezone.now()
    beijing = factories.channel("北京市科学技术协会")
    show = ActivityType.objects.get(name="科普展览")
    robot = factories.activity(
        owner=owner,
        publish=True,
        title=ROBOT,
        poster=image,
        province_id="440000",
        city_id="440100",
        supports_reservation=True,
        reservation_url=BOOKING_URL,
        is_youth_festival=True,
        start_at=now + datetime.timedelta(days=10),
    )
    others = [
        ("北京青少年机器人编程挑战赛", "110000", beijing, 12, "机器人编程挑战与展示"),
        ("北京天文馆月球科普夜", "110000", beijing, 5, "月球观测与天文讲座"),
        (
            "上海海洋生物科普展",
            "310000",
            factories.channel("上海市科学技术协会"),
            20,
            "海洋生物标本展",
        ),
    ]
    for title, province, channel, days, content in others:
        factories.activity(
            owner=owner,
            publish=True,
            title=title,
            poster=image,
            province_id=province,
            city_id=None,
            channel=channel,
            activity_type=show,
            start_at=now + datetime.timedelta(days=days),
            content=content,
            details=f"<p>{content}。</p>",
            scientists="科普专家团队",
            audience="公众",
        )
    return robot


def blocking_violations(page):
    """axe-core's serious and critical violations on the current page, ready to print."""
    violations = Axe().run(page).response["violations"]
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {"target": node["target"], "summary": node.get("failureSummary", "")}
                for node in violation["nodes"][:5]
            ],
        }
        for violation in violations
        if violation["impact"] in BLOCKING
    ]


def assert_no_sideways_scroll(page):
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


@pytest.mark.browser
@E2E_DB
def test_public_pages_have_no_serious_accessibility_violations(page, live_server, artifacts):
    robot = seed()
    base = live_server.url
    pages = {
        "home": "/",
        "listing": "/activities/?province=440000&youth=1",
        "search": "/search/?q=机器人",
        "detail": robot.relative_url(robot.get_site()),
        "register": "/accounts/register/",
    }
    found = {}
    for viewport in ({"width": 1400, "height": 1000}, PHONE):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            response = page.goto(f"{base}{path}")
            assert response.status == 200, path
            if name == "detail":
                expect(page.get_by_role("link", name="立即预约")).to_be_visible()
            if name in ("listing", "search"):
                expect(page.locator(".activity-card", has_text=ROBOT)).to_be_visible()
            problems = blocking_violations(page)
            if problems:
                found[f"{path} @ {viewport['width']}px"] = problems
                page.screenshot(
                    path=artifacts / f"a11y-{name}-{viewport['width']}.png", full_page=True
                )
    assert not found, "axe-core serious/critical violations:\n" + json.dumps(
        found, ensure_ascii=False, indent=2
    )


@pytest.mark.browser
@E2E_DB
def test_phone_journey_from_hero_search_to_booking(browser, live_server, artifacts):
    seed()
    base = live_server.url
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{base}/")
        assert_no_sideways_scroll(page)
        page.screenshot(path=artifacts / "mobile-home.png", full_page=True)

        # Search from the hero form, not the header one.
        page.locator(".hero__search input[name=q]").fill("机器人")
        page.locator(".hero__search button[type=submit]").click()
        page.wait_for_url("**/search/?q=*")
        cards = page.locator(".activity-card")
        expect(cards.filter(has_text=ROBOT)).to_have_count(1)
        expect(cards.filter(has_text="北京青少年机器人编程挑战赛")).to_have_count(1)
        expect(cards.filter(has_text="上海海洋生物科普展")).to_have_count(0)
        assert_no_sideways_scroll(page)
        page.screenshot(path=artifacts / "mobile-search.png", full_page=True)

        # Narrow to Guangdong with the filter form.
        filters = page.locator("form.filters")
        filters.get_by_label("省份").select_option(label="广东省")
        filters.get_by_role("button", name="筛选").click()
        page.wait_for_url("**province=440000*")
        expect(cards.filter(has_text=ROBOT)).to_have_count(1)
        expect(cards.filter(has_text="北京青少年机器人编程挑战赛")).to_have_count(0)
        expect(page.locator(".chips .chip", has_text="广东省")).to_be_visible()
        assert_no_sideways_scroll(page)
        page.screenshot(path=artifacts / "mobile-filtered.png", full_page=True)

        # Open the activity: the booking button leads to the reservation site.
        cards.filter(has_text=ROBOT).get_by_role("link").tap()
        expect(page.get_by_role("heading", level=1)).to_have_text(ROBOT)
        booking = page.get_by_role("link", name="立即预约")
        expect(booking).to_be_visible()
        expect(booking).to_have_attribute("href", BOOKING_URL)
        assert_no_sideways_scroll(page)
        page.screenshot(path=artifacts / "mobile-detail.png", full_page=True)
    finally:
        context.close()
