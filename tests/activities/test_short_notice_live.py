"""R8: submitting less than 7 days ahead is allowed, but the editor warns, and now while the
start is typed or picked: a submitter's first button submits for review, so the warning
shown after saving (ActivityPage.get_warnings) came once the activity was already sent.

The editor loads activities/js/short-notice.js through insert_editor_js, with the message
and the threshold on its <script> tag (CSP: no inline script, no Chinese in the JS)."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.users.models import UserProfile

from activities.constants import SHORT_NOTICE
from tests import factories
from tests.e2e.conftest import E2E_DB, drained, login

from .editor import ADD_URL, EDIT_URL

SCRIPT = "activities/js/short-notice.js"
ZH_MESSAGE = "活动开始时间距今少于7天，审核可能来不及完成。建议在活动举办前一周以上填报。"
EN_MESSAGE = (
    "The activity starts in less than 7 days; review may not finish in time. "
    "The guide advises submitting at least a week ahead."
)
REGION = "#id_start_at-short-notice"


def prefers(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def short_notice_script(response):
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    scripts = [tag for tag in soup.select("script[src]") if SCRIPT in tag["src"]]
    assert len(scripts) == 1, "the editor does not load short-notice.js"
    return scripts[0]


# The editor's markup (Django test client) -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["add", "edit"])
def test_r8_the_activity_editor_loads_the_live_short_notice_warning(client, submitter, view):
    if view == "add":
        url = ADD_URL.format(index=factories.index().pk)
    else:
        url = EDIT_URL.format(pk=factories.activity(owner=submitter).pk)
    before = timezone.now()
    script = short_notice_script(client.get(url))
    assert script["data-short-notice-message"] == ZH_MESSAGE
    assert script["data-short-notice-days"] == "7" == f"{SHORT_NOTICE.days}"
    # The input's value is Beijing time (TIME_ZONE), and so is the script's reading of it.
    assert script["data-time-zone"] == "Asia/Shanghai"
    assert script["data-utc-offset"] == "480"
    # The server's clock, which judges the start when the activity is submitted.
    assert abs(int(script["data-now"]) / 1000 - before.timestamp()) < 60
    assert finders.find(SCRIPT), "the script is not among the static files"
    # The field the script acts on, as the script finds it.
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    assert soup.select_one(
        'form#page-edit-form [data-contentpath="start_at"] input[name="start_at"]#id_start_at'
    )


@pytest.mark.django_db
def test_r8_the_live_warning_follows_the_admin_language(client, submitter):
    prefers(submitter, "en")
    script = short_notice_script(client.get(ADD_URL.format(index=factories.index().pk)))
    assert script["data-short-notice-message"] == EN_MESSAGE


@pytest.mark.django_db
def test_r8_the_script_is_inline_free(client, submitter):
    """django-csp: the data comes as attributes of a script with a src, not inline code."""
    script = short_notice_script(client.get(ADD_URL.format(index=factories.index().pk)))
    assert not script.get_text(strip=True)


# The editor in Chromium -------------------------------------------------------------------


@pytest.fixture
def browser_context_args(browser_context_args):
    # The browser's own clock is in Los Angeles: the start typed is still read as Beijing
    # time, as the server reads it.
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "America/Los_Angeles",
        "viewport": {"width": 1400, "height": 1000},
    }


@pytest.fixture
def editor(context):
    """A browser tab (not `page`: tests/activities/conftest.py's `page` is an activity),
    failing the test on any error of the script."""
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(error))
    with drained(tab):
        yield tab
    assert not [error for error in errors if "short-notice" in (error.stack or "")], errors


def beijing(delta):
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%d %H:%M")


def type_start(tab, text):
    tab.locator("#id_start_at").fill(text)


def open_add_editor(tab, live_server, language=""):
    submitter = factories.submitter(real_name="林晓华")
    if language:
        prefers(submitter, language)
    login(tab, live_server.url, submitter.phone)
    tab.goto(f"{live_server.url}{ADD_URL.format(index=factories.index().pk)}")
    expect(tab.locator("#id_start_at")).to_be_visible()


def expect_warning(tab, message):
    region = tab.locator(REGION)
    expect(region).to_be_visible()
    expect(region).to_have_text(message)
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_attribute("aria-live", "polite")
    # Inside the start's own field, and read out with it.
    expect(tab.locator(f'[data-contentpath="start_at"] {REGION}')).to_have_count(1)
    described = tab.locator("#id_start_at").get_attribute("aria-describedby").split()
    assert "id_start_at-short-notice" in described
    # Wagtail's help text stays linked too.
    assert any(part.endswith("start_at-helptext") for part in described)


def expect_no_warning(tab):
    expect(tab.locator(REGION)).to_have_text("")
    expect(tab.locator(REGION)).to_be_hidden()
    described = tab.locator("#id_start_at").get_attribute("aria-describedby") or ""
    assert "id_start_at-short-notice" not in described.split()


def pick_day(tab, day):
    """Click `day` in Wagtail's date-and-time picker, paging months forward if needed."""
    tab.locator("#id_title").click()  # the picker opens when the box gains the focus
    tab.locator("#id_start_at").click()
    picker = tab.locator(".xdsoft_datetimepicker:visible")
    expect(picker).to_have_count(1)
    cell = picker.locator(
        f"td.xdsoft_date[data-date='{day.day}'][data-month='{day.month - 1}']"
        f"[data-year='{day.year}']"
    )
    for _ in range(3):
        if cell.count():
            break
        picker.locator(".xdsoft_next").first.click()
    cell.first.click()
    tab.keyboard.press("Escape")


@pytest.mark.browser
@E2E_DB
def test_r8_the_editor_warns_while_the_start_is_less_than_7_days_ahead(editor, live_server):
    open_add_editor(editor, live_server)
    expect_no_warning(editor)

    type_start(editor, beijing(datetime.timedelta(days=3)))
    expect_warning(editor, ZH_MESSAGE)

    type_start(editor, beijing(datetime.timedelta(days=10)))
    expect_no_warning(editor)

    # Read in Beijing time, not the browser's: 6 days 20 hours ahead in Beijing is more
    # than 7 days ahead if read as Los Angeles time.
    type_start(editor, beijing(datetime.timedelta(days=6, hours=20)))
    expect_warning(editor, ZH_MESSAGE)
    type_start(editor, beijing(datetime.timedelta(days=7, hours=1)))
    expect_no_warning(editor)

    # A start in the past has the server's own error; an empty or broken value, nothing.
    for text in (beijing(-datetime.timedelta(days=1)), "", "2026-13-45 09:00", "明天上午"):
        type_start(editor, beijing(datetime.timedelta(days=2)))
        expect_warning(editor, ZH_MESSAGE)
        type_start(editor, text)
        expect_no_warning(editor)

    # Typed key by key, as a person does: the warning follows the input event.
    editor.locator("#id_start_at").fill("")
    editor.locator("#id_start_at").press_sequentially(beijing(datetime.timedelta(days=1)))
    expect_warning(editor, ZH_MESSAGE)


@pytest.mark.browser
@E2E_DB
def test_r8_picking_a_day_in_the_calendar_warns_and_unwarns(editor, live_server):
    open_add_editor(editor, live_server)
    type_start(editor, beijing(datetime.timedelta(days=10)))
    expect_no_warning(editor)
    today = timezone.localdate()
    pick_day(editor, today + datetime.timedelta(days=3))
    assert (
        editor.locator("#id_start_at")
        .input_value()
        .startswith(f"{today + datetime.timedelta(days=3):%Y-%m-%d}")
    )
    expect_warning(editor, ZH_MESSAGE)
    pick_day(editor, today + datetime.timedelta(days=10))
    assert (
        editor.locator("#id_start_at")
        .input_value()
        .startswith(f"{today + datetime.timedelta(days=10):%Y-%m-%d}")
    )
    expect_no_warning(editor)


@pytest.mark.browser
@E2E_DB
def test_r8_the_live_warning_is_in_english_for_an_english_admin(editor, live_server):
    open_add_editor(editor, live_server, language="en")
    type_start(editor, beijing(datetime.timedelta(days=3)))
    expect_warning(editor, EN_MESSAGE)
    type_start(editor, beijing(datetime.timedelta(days=10)))
    expect_no_warning(editor)
