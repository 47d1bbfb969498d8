"""R11 in the editor: a yes/no flag's follow-ups (categories, partner rows, the booking
link) show only while the flag is ticked, as the guide asks ("如纳入请选择'是'并勾选…").
Found by an audit: they were always shown, so a unit ticked categories or typed a link
under a "no", and the save dropped them without a word (a "no" keeps none of them)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.forms import FOLLOW_UPS
from activities.models import ActivityPage, JointActionCategory
from tests import factories
from tests.activities.editor import ADD_URL, EDIT_URL

from .conftest import E2E_DB, login


def follow_up(tab, name):
    """The wrapper the script shows and hides for a follow-up field or row panel."""
    field = tab.locator(f'[data-contentpath="{name}"]')
    if field.count():
        return field.locator("xpath=ancestor-or-self::*[@data-field-wrapper][1]")
    return tab.locator(f"#id_{name}-FORMS").locator(
        "xpath=ancestor::*[contains(@class, 'w-panel__wrapper')][1]"
    )


@pytest.mark.browser
@E2E_DB
def test_r11_follow_ups_show_only_under_yes(page, live_server, campaign_window):
    submitter = factories.submitter(real_name="林晓华")
    login(page, live_server.url, submitter.phone)
    page.goto(f"{live_server.url}{ADD_URL.format(index=factories.index().pk)}")
    for flag, name in FOLLOW_UPS.items():
        checkbox = page.locator(f"#id_{flag}")
        expect(checkbox).not_to_be_checked()
        expect(follow_up(page, name)).to_be_hidden()
        checkbox.check()
        expect(follow_up(page, name)).to_be_visible()
        expect(checkbox).to_have_attribute("aria-expanded", "true")
        checkbox.uncheck()
        expect(follow_up(page, name)).to_be_hidden()


@pytest.mark.browser
@E2E_DB
def test_r11_an_activity_with_yes_shows_its_follow_ups_when_opened(
    page, live_server, campaign_window
):
    submitter = factories.submitter(real_name="林晓华")
    activity = factories.activity(
        owner=submitter,
        start_at=timezone.now() + datetime.timedelta(days=20),
        supports_reservation=True,
        reservation_url="https://example.com/book",
    )
    ActivityPage.objects.filter(pk=activity.pk).update(is_joint_action=True)
    activity.refresh_from_db()
    activity.joint_action_categories.set(JointActionCategory.objects.all()[:1])
    activity.save_revision()
    login(page, live_server.url, submitter.phone)
    page.goto(f"{live_server.url}{EDIT_URL.format(pk=activity.pk)}")
    expect(follow_up(page, "reservation_url")).to_be_visible()
    expect(page.locator("#id_reservation_url")).to_have_value("https://example.com/book")
    expect(follow_up(page, "joint_action_categories")).to_be_visible()
    expect(follow_up(page, "special_action_categories")).to_be_hidden()
