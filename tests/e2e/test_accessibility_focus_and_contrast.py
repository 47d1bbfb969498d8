"""Keyboard focus, non-text contrast and small fixes found by an accessibility audit:

- an activity card showed no focus: the card's overflow: hidden clipped the ring of the
  link that fills it (the card now draws the ring);
- the amber focus ring was 1.78:1 on white and text fields' borders 1.33:1 (WCAG 1.4.11);
- at 320px the listing's date fields, two to a row, cut off the year;
- arrowing through 省份 fired one request per province, and whichever answer came last
  filled the city list: 湖南's cities under 广东省;
- the login page's "Register" link was told apart by colour only; the name and email
  fields lacked autocomplete tokens (WCAG 1.3.5); the home page had two unnamed search
  landmarks."""

import contextlib
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests import factories

from .conftest import E2E_DB, login
from .test_public_site import seed

HUNAN, GUANGDONG = "430000", "440000"


def luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rgb(css_colour):
    """A computed colour, "rgb(8, 63, 120)" or "rgba(…)", as three numbers."""
    values = re.findall(r"[\d.]+", css_colour)
    assert len(values) >= 3, css_colour
    return tuple(float(value) for value in values[:3])


WHITE = (255, 255, 255)


def tab_until(page, selector, limit=80):
    """Presses Tab until the focused element matches (or is inside) `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(selector) => !!(document.activeElement && document.activeElement.closest(selector))",
            selector,
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.browser
@E2E_DB
def test_the_first_activity_card_shows_a_contrasting_ring_when_tabbed_to(page, live_server):
    seed()
    page.goto(f"{live_server.url}/activities/")
    tab_until(page, ".activity-card")
    card = page.locator(".activity-card").first
    assert card.evaluate("(card) => card.contains(document.activeElement)")
    style = card.evaluate(
        """(card) => {
            const s = getComputedStyle(card);
            const width = parseFloat(s.outlineWidth);
            return {style: s.outlineStyle, width, colour: s.outlineColor};
        }"""
    )
    assert style["style"] != "none" and style["width"] >= 2, style
    assert contrast(rgb(style["colour"]), WHITE) >= 3, style
    # The link's own ring, clipped by the card, is not what shows.
    link = card.locator("a.activity-card__link")
    assert link.evaluate("(a) => getComputedStyle(a).outlineStyle") == "none"


@pytest.mark.browser
@E2E_DB
def test_a_header_links_focus_ring_contrasts_with_white(page, live_server):
    page.goto(f"{live_server.url}/activities/")
    tab_until(page, ".site-nav a")
    colour = page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")
    style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert style != "none"
    assert contrast(rgb(colour), WHITE) >= 3, colour
    # On the dark footer the ring stays amber, which contrasts there.
    tab_until(page, ".site-footer a")
    footer = page.evaluate(
        """() => ({
            ring: getComputedStyle(document.activeElement).outlineColor,
            bg: getComputedStyle(document.querySelector(".site-footer")).backgroundColor,
        })"""
    )
    assert contrast(rgb(footer["ring"]), rgb(footer["bg"])) >= 3, footer


@pytest.mark.browser
@E2E_DB
def test_text_fields_and_lists_have_borders_that_contrast_with_white(page, live_server):
    page.goto(f"{live_server.url}/activities/")
    for selector in ("#site-search-q", "form.filters #id_q", "form.filters #id_province"):
        colour = page.locator(selector).evaluate("(e) => getComputedStyle(e).borderTopColor")
        assert contrast(rgb(colour), WHITE) >= 3, (selector, colour)


def date_field_edges(page, ids):
    """The right edges of each date input's year field and of the box that shows (and
    clips) its fields. They live in Chromium's user-agent shadow root, out of a page
    script's reach (the input's scrollWidth never counts them), so through DevTools."""
    session = page.context.new_cdp_session(page)
    root = session.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    found = {}

    def walk(node, owner=None):
        attributes = node.get("attributes", [])
        named = dict(zip(attributes[::2], attributes[1::2], strict=True))
        owner = named.get("id") if named.get("id") in ids else owner
        part = named.get("pseudo")
        if owner and part in ("-webkit-datetime-edit", "-webkit-datetime-edit-year-field"):
            box = session.send("DOM.getBoxModel", {"backendNodeId": node["backendNodeId"]})
            found.setdefault(owner, {})[part] = box["model"]["border"][2]  # top-right x
        for child in node.get("children", []) + node.get("shadowRoots", []):
            walk(child, owner)

    walk(root)
    session.detach()
    return found


@pytest.mark.browser
@E2E_DB
def test_at_320px_the_date_filters_show_their_whole_date(page, live_server):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/activities/?from=2026-09-20&to=2026-09-30")
    for selector in ("#id_from", "#id_to"):
        expect(page.locator(selector)).to_be_visible()
    edges = date_field_edges(page, ("id_from", "id_to"))
    assert set(edges) == {"id_from", "id_to"}, edges
    for field, parts in edges.items():
        year, shown = parts["-webkit-datetime-edit-year-field"], parts["-webkit-datetime-edit"]
        assert year <= shown + 0.5, f"{field}: the year ends at {year}px, the box at {shown}px"


@pytest.mark.browser
@E2E_DB
def test_r7_a_late_answer_for_an_earlier_province_does_not_fill_the_city_list(
    page, live_server, campaign_window
):
    submitter = factories.submitter(real_name="林晓华")
    activity = factories.activity(owner=submitter, title="省份切换的城市列表")
    login(page, live_server.url, submitter.phone)
    held = []
    # Hold every answer about 湖南 until 广东's cities are shown: it then arrives last.
    # (A bound list.append is refused as a route handler.)
    page.route(re.compile(rf"/organizations/regions/\?parent={HUNAN}"), lambda r: held.append(r))
    page.goto(f"{live_server.url}/admin/pages/{activity.pk}/edit/")
    city = page.locator("#id_city")
    province = page.locator("#id_province")
    province.select_option(HUNAN)
    province.select_option(GUANGDONG)
    expect(city.locator("option", has_text="广州市")).to_have_count(1)
    assert held, "the 湖南 request was never made"
    for route in held:
        with contextlib.suppress(PlaywrightError):  # the script already cancelled it
            route.continue_()
    # Let the released answers arrive and any script act on them.
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    expect(province).to_have_value(GUANGDONG)
    expect(city.locator("option", has_text="广州市")).to_have_count(1)
    expect(city.locator("option", has_text="长沙市")).to_have_count(0)


@pytest.mark.browser
@E2E_DB
def test_the_login_pages_register_link_is_underlined(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    link = page.locator(".login-register a")
    expect(link).to_be_visible()
    assert "underline" in link.evaluate("(a) => getComputedStyle(a).textDecorationLine")


@pytest.mark.django_db
def test_registration_names_its_name_and_email_fields_for_autofill(client):
    html = client.get(reverse("accounts:register")).content.decode()
    assert re.search(r'<input[^>]*autocomplete="name"[^>]*id="id_real_name"', html), html
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*id="id_email"', html)


@pytest.mark.django_db
def test_the_account_name_and_email_form_names_its_fields_for_autofill():
    from accounts.views import RealNameEmailForm

    form = RealNameEmailForm(instance=factories.submitter(real_name="林晓华"))
    assert form.fields["real_name"].widget.attrs.get("autocomplete") == "name"
    assert form.fields["email"].widget.attrs.get("autocomplete") == "email"
    assert 'autocomplete="name"' in str(form["real_name"])


@pytest.mark.django_db
def test_the_login_page_underlines_register_and_the_home_page_names_its_second_search(client):
    login_page = client.get("/admin/login/").content.decode()
    assert re.search(r'<a class="w-underline" href="/accounts/register/', login_page)
    home = client.get("/").content.decode()
    searches = re.findall(r"<form[^>]*role=\"search\"[^>]*>", home)
    assert len(searches) == 2, searches
    labels = [re.search(r'aria-label="([^"]*)"', form) for form in searches]
    hero = next(form for form in searches if "hero__search" in form)
    assert 'aria-label="' in hero, hero
    assert len({label.group(1) if label else None for label in labels}) == 2
