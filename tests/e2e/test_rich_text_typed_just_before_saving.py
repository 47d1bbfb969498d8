"""R13 (活动详情 is rich text): words typed just before pressing save reach the draft.
Draftail writes the editor into its hidden input 250 ms after the last keystroke; a save
sent sooner carried the text as it was before, and the last words were lost without a
word (found by an audit of a ministry submitter who typed and clicked at once)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import ActivityPage
from tests import factories
from tests.activities.editor import EDIT_URL

from .conftest import E2E_DB, login

LAST_WORDS = "最后补充一句话"


def type_last_words(page, live_server):
    """A submitter's draft opened in the editor, LAST_WORDS typed at the end of 活动详情."""
    submitter = factories.submitter(real_name="林晓华")
    activity = factories.activity(
        owner=submitter, start_at=timezone.now() + datetime.timedelta(days=20)
    )
    login(page, live_server.url, submitter.phone)
    page.goto(f"{live_server.url}{EDIT_URL.format(pk=activity.pk)}")
    page.get_by_role("tab", name="活动内容").click()
    page.locator("[data-contentpath=details] .public-DraftEditor-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(LAST_WORDS)
    return activity


@pytest.mark.browser
@E2E_DB
def test_r13_words_typed_right_before_saving_are_saved(page, live_server, campaign_window):
    activity = type_last_words(page, live_server)
    # At once, as a quick hand does: well within Draftail's 250 ms.
    page.evaluate("document.querySelector('footer button.action-save').click()")
    expect(page.locator(".messages .success")).to_be_visible(timeout=15_000)
    draft = ActivityPage.objects.get(pk=activity.pk).get_latest_revision_as_object()
    assert LAST_WORDS in draft.details


@pytest.mark.browser
@E2E_DB
def test_r13_r23_words_typed_right_before_submitting_go_to_review(
    page, live_server, campaign_window
):
    """The held form is sent again with the button pressed: a submission stays one."""
    activity = type_last_words(page, live_server)
    page.evaluate("document.querySelector('footer button[name=action-submit]').click()")
    expect(page.locator(".messages .success")).to_be_visible(timeout=15_000)
    stored = ActivityPage.objects.get(pk=activity.pk)
    assert stored.workflow_in_progress
    assert LAST_WORDS in stored.get_latest_revision_as_object().details
