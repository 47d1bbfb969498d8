"""推优 (R33): the guide's 10 days are for item (4), the activity summary, only. After them
the summary is locked, while media reports, photos, videos, participants and the evidence
photo can still be filed, until the national moderators recommend the activity."""

import datetime

import pytest
import time_machine

from activities.nomination_models import Nomination

from .nominating import (
    AFTER_END,
    BEIJING,
    SUMMARY,
    file_complete,
    png,
    post_data,
    stored_post_data,
    url,
)

pytestmark = pytest.mark.django_db

DAY_12 = datetime.datetime(2026, 9, 27, 10, 0, tzinfo=BEIJING)
LOCKED = "The activity summary closed at the end of 2026-09-25"
NOT_FILED = "The summary was not filed in time"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


# The form's one empty report row: no media report published yet.
NO_REPORT = {"reports-0-title": "", "reports-0-outlet": "", "reports-0-url": ""}


def test_r33_summary_filed_in_time_then_a_day_12_media_report_completes_it(
    client, owner, page, national
):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        # Everything but the media report: the summary is stored, not lost with the form.
        response = file_complete(client, page, **NO_REPORT)
        assert response.status_code == 200
        assert "Add at least one media report." in response.content.decode()
    nomination = Nomination.objects.get(page=page)
    assert nomination.lessons == SUMMARY and not nomination.is_complete
    with time_machine.travel(DAY_12, tick=False):
        body = client.get(url(page)).content.decode()
        assert LOCKED in body and NOT_FILED not in body
        assert 'name="lessons"' not in body and SUMMARY in body
        response = client.post(url(page), post_data())
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.is_complete
    assert list(nomination.reports.values_list("title", flat=True)) == ["机器人科普体验日走进校园"]
    # And it can be recommended.
    client.force_login(national)
    review = client.post(f"{url(page)}review/", {"recommended": "1", "note": ""})
    assert review.status_code == 302
    nomination.refresh_from_db()
    assert nomination.recommended


def test_r33_after_the_window_photos_videos_participants_and_evidence_can_change(
    client, owner, page
):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert file_complete(client, page, photos=1, participants="").status_code == 200
    nomination = Nomination.objects.get(page=page)
    assert nomination.participants is None and nomination.photos.count() == 1
    with time_machine.travel(DAY_12, tick=False):
        data = stored_post_data(nomination, participants="80")
        response = client.post(
            url(page),
            {
                **data,
                "photos": [png("late1.png"), png("late2.png")],
                "participants_evidence": png(),
            },
        )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.participants == 80 and nomination.photos.count() == 3
    assert nomination.is_complete


def test_r33_a_forged_summary_after_the_window_changes_nothing(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert file_complete(client, page).status_code == 302
    nomination = Nomination.objects.get(page=page)
    with time_machine.travel(DAY_12, tick=False):
        response = client.post(
            url(page),
            stored_post_data(nomination, lessons="迟到的修改：" + SUMMARY, basic_facts=""),
            follow=True,
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The activity summary was not changed" in body and LOCKED in body
    nomination.refresh_from_db()
    assert nomination.lessons == SUMMARY and nomination.basic_facts == SUMMARY
    assert nomination.is_complete


def test_r33_a_summary_not_filed_in_time_keeps_the_nomination_incomplete(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(DAY_12, tick=False):
        body = client.get(url(page)).content.decode()
        assert LOCKED in body and NOT_FILED in body
        # Material is still accepted; the summary sent with it is not.
        response = file_complete(client, page)
    assert response.status_code == 200
    assert NOT_FILED in response.content.decode()
    nomination = Nomination.objects.get(page=page)
    assert nomination.photos.count() == 3 and nomination.reports.count() == 1
    assert nomination.lessons == "" and not nomination.is_complete


def test_r33_until_day_10_the_summary_changes_and_from_day_11_it_does_not(client, owner, page):
    client.force_login(owner)
    day_10 = datetime.datetime(2026, 9, 25, 23, 59, tzinfo=BEIJING)
    day_11 = datetime.datetime(2026, 9, 26, 0, 1, tzinfo=BEIJING)
    with time_machine.travel(AFTER_END, tick=False):
        assert file_complete(client, page).status_code == 302
    nomination = Nomination.objects.get(page=page)
    with time_machine.travel(day_10, tick=False):
        body = client.get(url(page)).content.decode()
        assert 'name="lessons"' in body and LOCKED not in body
        data = stored_post_data(nomination, lessons=SUMMARY + "改")
        assert client.post(url(page), data).status_code == 302
    nomination.refresh_from_db()
    assert nomination.lessons == SUMMARY + "改" and nomination.is_complete
    with time_machine.travel(day_11, tick=False):
        data = stored_post_data(nomination, lessons=SUMMARY + "再改", participants="150")
        assert client.post(url(page), data).status_code == 302
    nomination.refresh_from_db()
    assert nomination.lessons == SUMMARY + "改" and nomination.participants == 150
