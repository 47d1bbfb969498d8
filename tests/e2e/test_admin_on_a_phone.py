"""The activity editor on a phone (R8): the date-and-time picker stays inside a 360 px
screen, so a submitter can pick the start and its hour. Wagtail's picker, 415 px wide with
the hours beside the calendar, lost both edges off screen."""

import pytest
from playwright.sync_api import expect

from tests import factories

from .conftest import E2E_DB, login


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.mark.browser
@E2E_DB
def test_r8_the_start_can_be_picked_on_a_phone(page, live_server, campaign_window):
    submitter = factories.submitter(real_name="林晓华")
    activity = factories.activity(owner=submitter, title="手机上编辑的活动")
    login(page, live_server.url, submitter.phone)
    page.goto(f"{live_server.url}/admin/pages/{activity.pk}/edit/")
    start = page.locator("#id_start_at")
    start.scroll_into_view_if_needed()
    start.click()
    picker = page.locator(".xdsoft_datetimepicker:visible")
    expect(picker).to_have_count(1)
    box = picker.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    # The hour beside the chosen one, which the list shows whatever the time of day (it
    # scrolls to the chosen hour; one out of its view sits under the calendar).
    current = int(picker.locator(".xdsoft_time.xdsoft_current").get_attribute("data-hour"))
    # Towards the middle of the day: 00:00, at the list's top edge, sits under its scroll
    # button (the test failed between 00:00 and 01:00 Beijing time).
    hour = current + 1 if current < 12 else current - 1
    picker.locator(f'.xdsoft_time[data-hour="{hour}"]').click()
    expect(start).to_have_value(f"{start.input_value()[:10]} {hour:02d}:00")


@pytest.mark.browser
@E2E_DB
def test_r8_a_mistyped_start_is_left_as_typed_for_the_form_to_refuse(
    page, live_server, campaign_window
):
    """Found by an audit: the picker replaced "2026-12-30 25:00" with the current time
    (and "20261230" with "NaN-NaN-NaN NaN:NaN") when the box lost the focus, so a draft
    kept a start nobody typed."""
    submitter = factories.submitter(real_name="林晓华")
    activity = factories.activity(owner=submitter, title="手机上编辑的活动")
    login(page, live_server.url, submitter.phone)
    page.goto(f"{live_server.url}/admin/pages/{activity.pk}/edit/")
    start = page.locator("#id_start_at")
    for typed in ("2026-12-30 25:00", "20261230"):
        start.fill(typed)
        # Leaving the box, as a tap elsewhere does (the open picker covers the fields
        # around it on a phone, so not by clicking one).
        start.blur()
        expect(start).to_have_value(typed)
