"""The public filter form in a browser (R28, R29), found by a visitor audit: a keyword
typed into the form was sorted by date, a shared address carried every empty field, the
results began below a phone's first screen, and Back showed filters the page had not
applied (the next "Apply" applied them unseen). static/js/listing-filters.js."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from .conftest import E2E_DB
from .test_public_site import PHONE, ROBOT, seed


def query_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)


@pytest.mark.browser
@E2E_DB
def test_r28_the_form_sends_only_what_was_chosen_and_back_shows_what_was_applied(page, live_server):
    seed()
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/activities/")
    form = page.locator("form.filters")
    # Wide screen: the rarer filters are shown.
    expect(form.locator("#id_type")).to_be_visible()
    form.locator("#id_q").fill("机器人")
    form.get_by_label("省份").select_option(label="广东省")
    form.get_by_role("button", name="筛选").click()
    page.wait_for_url("**province=440000*")
    assert query_of(page.url) == {"q": ["机器人"], "province": ["440000"]}
    # Sorted by relevance, as the order menu now says.
    expect(form.locator("#id_sort")).to_have_value("")
    expect(form.locator("#id_sort option:checked")).to_have_text("相关度")
    expect(page.locator(".activity-card").first).to_contain_text(ROBOT)

    # Choose Beijing without applying it, leave, come back.
    form.get_by_label("省份").select_option(label="北京市")
    page.locator(".activity-card a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROBOT)
    page.go_back()
    page.wait_for_url("**province=440000*")
    expect(page.locator("form.filters #id_province")).to_have_value("440000")
    expect(page.locator("form.filters #id_q")).to_have_value("机器人")


@pytest.mark.browser
@E2E_DB
def test_r28_on_a_phone_the_results_begin_on_the_first_screen(page, live_server):
    seed()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/activities/")
    more = page.locator("form.filters details.filters__more")
    expect(more).not_to_have_attribute("open", "")
    expect(page.locator("#id_type")).to_be_hidden()
    top = page.locator(".activity-card").first.bounding_box()["y"]
    assert top < PHONE["height"], f"the first result starts at {top}px"
    # The folded filters open on a tap, and stay open while one is in use.
    more.locator("summary").click()
    page.locator("#id_mode").select_option("online")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**mode=online*")
    expect(page.locator("#id_mode")).to_be_visible()
