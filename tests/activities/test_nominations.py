"""推优 (R33): the supplementary information's rules at their boundaries, the filing window,
who may file and mark, and the public badge and filter."""

import datetime
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts import roles
from activities.models import ActivityPage
from activities.nomination_forms import NominationForm
from activities.nomination_models import Nomination, video_problems
from home.models import CampaignSettings
from tests import factories
from workflow.takedown import take_down

from .nominating import (
    AFTER_END,
    BEIJING,
    END,
    SUMMARY,
    file_complete,
    make,
    mp4,
    png,
    post_data,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings; the admin follows LANGUAGE_CODE."""
    settings.LANGUAGE_CODE = "en"


# Videos: the 3-minute rule, read from the file ---------------------------------------------


def test_r33_video_of_exactly_three_minutes_with_audio_is_accepted():
    problems, seconds = video_problems(mp4(180))
    assert problems == []
    assert seconds == 180.0


def test_r33_video_of_three_minutes_one_second_is_rejected():
    problems, seconds = video_problems(mp4(181))
    assert seconds == 181.0
    assert "at most 3 minutes" in str(problems[0])
    assert "3:01" in str(problems[0])


def test_r33_png_renamed_mp4_is_not_a_video():
    upload = png("fake.mp4")
    problems, seconds = video_problems(upload)
    assert seconds is None
    assert problems and "not a video" in str(problems[0])


def test_r33_garbage_and_wrong_extension_rejected():
    garbage = SimpleUploadedFile("noise.mp4", b"\x00\x01garbage" * 100)
    assert video_problems(garbage)[0]
    assert "MP4" in str(video_problems(SimpleUploadedFile("clip.txt", b"x"))[0][0])


def test_r33_videos_upload_through_the_form(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = file_complete(client, page, videos=[mp4(180), mp4(181, "long.mp4")])
    nomination = Nomination.objects.get(page=page)
    assert [v.duration for v in nomination.videos.all()] == [180.0]
    assert "long.mp4" in response.content.decode()
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            url(page), {**post_data(), "videos": [mp4(5, f"v{i}.mp4") for i in range(3)]}
        )
    assert nomination.videos.count() == 3
    assert "At most 3 videos" in response.content.decode()


# Photos: 3 to 10, each under the poster rules ---------------------------------------------


@pytest.mark.parametrize(
    ("count", "stored", "complete"), [(2, 2, False), (3, 3, True), (10, 10, True), (11, 10, True)]
)
def test_r33_photo_count_boundaries(client, owner, page, count, stored, complete):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = file_complete(client, page, photos=count)
    nomination = Nomination.objects.get(page=page)
    assert nomination.photos.count() == stored
    assert nomination.is_complete is complete
    body = response.content.decode() if response.status_code == 200 else ""
    if count == 2:
        assert "Upload at least 3 photos" in body
    if count == 11:
        assert "At most 10 photos" in body and "p10.png" in body
    if complete and count != 11:
        assert response.status_code == 302


def test_r33_photos_follow_poster_rules(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(url(page), {**post_data(), "photos": [png("small.png", (599, 800))]})
    assert Nomination.objects.get(page=page).photos.count() == 0
    assert "short side must be at least" in response.content.decode()


# Participants: offline 50, online 100, both 50 -------------------------------------------


@pytest.mark.parametrize(
    ("mode", "count", "ok"),
    [
        ("offline", 49, False),
        ("offline", 50, True),
        ("online", 99, False),
        ("online", 100, True),
        ("both", 49, False),
        ("both", 50, True),
    ],
)
def test_r33_participant_boundaries(owner, mode, count, ok):
    page = make(owner, mode=mode, title=f"参与人数测试{mode}{count}")
    form = NominationForm(post_data(participants=str(count)), instance=Nomination(page=page))
    assert form.is_valid() is ok
    if not ok:
        assert "participants" in form.errors


def test_r33_r34_help_text_says_which_rule_applies_to_both_in_english():
    """R34: the source string is English (zh_Hans comes from locale/), and it says which
    rule an activity both online and offline follows."""
    with translation.override("en"):
        help_text = str(Nomination._meta.get_field("participants").help_text)
    assert not any("\u4e00" <= char <= "\u9fff" for char in help_text)
    assert "both online and offline follow the offline rule (at least 50)" in help_text


def test_r33_summary_length_bounds(owner, page):
    short = NominationForm(post_data(lessons="太短了"), instance=Nomination(page=page))
    # The rule's own words, once: Django's said "确保该变量至少包含 20 字符" (variable).
    with translation.override("zh-hans"):
        assert not short.is_valid() and "lessons" in short.errors
        assert [str(error) for error in short.errors["lessons"]] == [
            "请填写 20 至 2000 个字；当前为 3 个字。"
        ]
    long = NominationForm(post_data(lessons="长" * 2001), instance=Nomination(page=page))
    assert not long.is_valid() and "lessons" in long.errors
    edge = NominationForm(
        post_data(lessons="长" * 2000, highlights="短" * 20), instance=Nomination(page=page)
    )
    assert edge.is_valid(), edge.errors


def test_r33_media_report_required_and_http_only(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = file_complete(client, page, **{"reports-0-url": "ftp://example.com/a"})
    assert "http://" in response.content.decode()
    assert not Nomination.objects.get(page=page).is_complete
    # None at all: the rule's own words, not Django's "Please submit at least 1 form."
    with time_machine.travel(AFTER_END, tick=False):
        response = file_complete(client, page, **{"reports-TOTAL_FORMS": "0"})
    body = response.content.decode()
    assert "Add at least one media report." in body and "at least 1 form" not in body


# A failed submission keeps everything -----------------------------------------------------


def test_r33_failed_submission_keeps_uploads_and_values(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = file_complete(client, page, participants="10", lessons="经验：提前预约很重要")
    assert response.status_code == 200
    body = response.content.decode()
    nomination = Nomination.objects.get(page=page)
    assert nomination.photos.count() == 3
    assert nomination.participants_evidence is not None
    assert not nomination.is_complete
    assert "经验：提前预约很重要" in body
    assert "机器人科普体验日走进校园" in body
    assert 'value="10"' in body
    assert "at least 50 participants" in body
    # The next try only fixes the count: the uploads are already there.
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(url(page), post_data())
    nomination.refresh_from_db()
    assert response.status_code == 302
    assert nomination.is_complete and nomination.submitted_at is not None


# The window: from the end until day 10 after it (Beijing calendar days) -------------------


def test_r33_closed_before_the_end(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(END - datetime.timedelta(minutes=1), tick=False):
        body = client.get(url(page)).content.decode()
        assert "opens when the activity ends" in body and "2026-09-15 13:00" in body
        assert file_complete(client, page).status_code == 403
    assert not Nomination.objects.filter(page=page).exists()


def test_r33_day_10_open_day_11_closed(client, owner, page):
    client.force_login(owner)
    day_10 = datetime.datetime(2026, 9, 25, 23, 59, tzinfo=BEIJING)
    day_11 = datetime.datetime(2026, 9, 26, 0, 1, tzinfo=BEIJING)
    with time_machine.travel(day_10, tick=False):
        # The open form says until when (it said "until the deadline" only).
        body = client.get(url(page)).content.decode()
        assert "until the end of 2026-09-25 (10 days after the activity ended)" in body
        assert file_complete(client, page).status_code == 302
    with time_machine.travel(day_11, tick=False):
        body = client.get(url(page)).content.decode()
        assert "closed at the end of 2026-09-25 (10 days after the activity ended)" in body
        # The summary stays readable to its submitter, without its fields; only it is due
        # within the ten days (the guide's (4)), so the rest of the form stays (R33).
        assert SUMMARY in body and "机器人科普体验日走进校园" in body
        assert 'name="lessons"' not in body
        assert client.post(url(page), post_data(lessons=SUMMARY + "改")).status_code == 302
    assert Nomination.objects.get(page=page).lessons == SUMMARY


def test_r33_site_setting_extends_the_deadline(client, owner, page):
    settings = CampaignSettings.for_site(page.get_site())
    settings.nomination_extra_days = 2
    settings.save()
    client.force_login(owner)
    with time_machine.travel(datetime.datetime(2026, 9, 27, 12, 0, tzinfo=BEIJING), tick=False):
        assert file_complete(client, page).status_code == 302
    with time_machine.travel(datetime.datetime(2026, 9, 28, 0, 1, tzinfo=BEIJING), tick=False):
        response = client.get(url(page))
    assert response.context["summary_closed"]
    # The days the message counts are the campaign's, not always the guide's ten.
    assert "2026-09-27 (12 days after the activity ended)" in response.content.decode()


# Who may file and mark --------------------------------------------------------------------


def test_r33_only_approved_activities(client, owner):
    draft = make(owner, publish=False, title="未审核的活动")
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert "Only approved activities" in client.get(url(draft)).content.decode()
        assert file_complete(client, draft).status_code == 403


def test_r33_another_submitter_or_province_moderator_cannot_file(client, page):
    other = factories.submitter()
    province = factories.user(roles.PROVINCE_MODERATORS, province="440000")
    # Another unit's activity does not exist for a submitter (R2); a moderator is refused.
    for user, status in ((other, 404), (province, 403)):
        client.force_login(user)
        with time_machine.travel(AFTER_END, tick=False):
            assert client.get(url(page)).status_code == status
            assert file_complete(client, page).status_code == status
    assert not Nomination.objects.filter(page=page).exists()


def _complete_nomination(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert file_complete(client, page).status_code == 302
    return Nomination.objects.get(page=page)


def test_r33_only_national_moderators_mark(client, owner, page, national):
    nomination = _complete_nomination(client, owner, page)
    province = factories.user(roles.PROVINCE_MODERATORS, province="440000")
    for user in (owner, province):
        client.force_login(user)
        assert client.get("/admin/nominations/").status_code == 403
        response = client.post(
            "/admin/nominations/", {"selected": [nomination.pk], "action": "recommend"}
        )
        assert response.status_code == 403
        review = client.post(f"{url(page)}review/", {"recommended": "1"})
        assert review.status_code == 403
    nomination.refresh_from_db()
    assert not nomination.recommended
    client.force_login(national)
    listing = client.get("/admin/nominations/?completeness=complete&province=440000")
    assert page.title in listing.content.decode()
    assert (
        page.title not in client.get("/admin/nominations/?completeness=incomplete").content.decode()
    )
    review = client.get(f"{url(page)}review/")
    assert SUMMARY in review.content.decode()
    client.post(f"{url(page)}review/", {"recommended": "1", "note": "案例典型"})
    nomination.refresh_from_db()
    assert nomination.recommended and nomination.recommendation_note == "案例典型"
    assert nomination.marked_by == national


def test_r33_bulk_marking_and_public_badge_and_filter(client, owner, national):
    first = make(owner, title="优秀的机器人活动")
    second = make(owner, title="普通的天文活动")
    incomplete = make(owner, title="材料不全的活动")
    one = _complete_nomination(client, owner, first)
    two = _complete_nomination(client, owner, second)
    with time_machine.travel(AFTER_END, tick=False):
        client.post(url(incomplete), post_data())
    three = Nomination.objects.get(page=incomplete)
    assert not three.is_complete
    client.force_login(national)
    response = client.post(
        "/admin/nominations/",
        {"selected": [one.pk, two.pk, three.pk], "action": "recommend", "note": "批量"},
    )
    assert response.status_code == 302
    assert {n.pk for n in Nomination.objects.filter(recommended=True)} == {one.pk, two.pk}
    client.post("/admin/nominations/", {"selected": [two.pk], "action": "unrecommend"})
    assert list(Nomination.objects.filter(recommended=True)) == [one]

    client.logout()
    assert "badge--recommended" in client.get(first.url).content.decode()
    assert "badge--recommended" not in client.get(second.url).content.decode()
    listing = client.get(factories.index().url, {"recommended": "1"}).content.decode()
    assert "优秀的机器人活动" in listing and "普通的天文活动" not in listing
    assert "badge--recommended" in listing
    full = client.get(factories.index().url).content.decode()
    assert "普通的天文活动" in full


def test_r25_r33_bulk_marking_keeps_earlier_notes_and_shows_in_each_history(
    client, owner, national
):
    """Found by an audit: a bulk mark replaced the note, marker and time of an activity
    already recommended one by one (a blank bulk note wiped it), and Wagtail's history of
    each activity but one lacked the entry: all shared the request's log uuid."""
    from wagtail.models import PageLogEntry

    first = make(owner, title="单独推优的活动")
    second = make(owner, title="批量推优的活动")
    one = _complete_nomination(client, owner, first)
    two = _complete_nomination(client, owner, second)
    client.force_login(national)
    client.post(f"/admin/nominations/{first.pk}/review/", {"recommended": "1", "note": "单项推优"})
    one.refresh_from_db()
    assert one.recommended and one.recommendation_note == "单项推优"
    response = client.post(
        "/admin/nominations/",
        {"selected": [one.pk, two.pk], "action": "recommend", "note": "批量"},
        follow=True,
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.recommendation_note == "单项推优" and two.recommendation_note == "批量"
    assert "1 nomination was already so marked and was left as it was." in (
        response.content.decode()
    )
    for page, note in ((first, "单项推优"), (second, "批量")):
        assert PageLogEntry.objects.filter(page=page, action="nominations.recommend").exists()
        history = client.get(f"/admin/pages/{page.pk}/history/").content.decode()
        assert note in history, page.title


def test_r33_my_activities_links_to_the_form(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        body = client.get("/admin/my-activities/").content.decode()
    assert url(page) in body


def test_r33_marking_shows_at_once_where_it_was_seen_before(client, owner, national):
    """Marking is one UPDATE (no save signal): the listing's kept counts, cards and search
    results of the filter must still change at once."""
    first = make(owner, title="优秀的机器人活动")
    one = _complete_nomination(client, owner, first)
    client.logout()
    index = factories.index().url
    # Seen (and kept) before the marking: nothing recommended yet.
    assert "优秀的机器人活动" not in client.get(index, {"recommended": "1"}).content.decode()
    search = {"q": "机器人", "recommended": "1"}
    assert first.url not in client.get("/search/", search).content.decode()
    assert "badge--recommended" not in client.get(index).content.decode()
    assert "badge--recommended" not in client.get(first.url).content.decode()

    client.force_login(national)
    client.post("/admin/nominations/", {"selected": [one.pk], "action": "recommend"})
    client.logout()
    listing = client.get(index, {"recommended": "1"}).content.decode()
    assert "优秀的机器人活动" in listing and "badge--recommended" in listing
    assert first.url in client.get("/search/", search).content.decode()
    assert "badge--recommended" in client.get(index).content.decode()
    assert "badge--recommended" in client.get(first.url).content.decode()

    client.force_login(national)
    client.post("/admin/nominations/", {"selected": [one.pk], "action": "unrecommend"})
    client.logout()
    assert "优秀的机器人活动" not in client.get(index, {"recommended": "1"}).content.decode()
    assert first.url not in client.get("/search/", search).content.decode()
    assert "badge--recommended" not in client.get(index).content.decode()


def test_r33_a_taken_down_activity_is_not_recommended(client, owner, national):
    """R18/R33: only approved, listed activities are recommended; a complete nomination
    whose activity was taken down is refused, in bulk and one by one."""
    page = make(owner, title="已下架的机器人活动")
    nomination = _complete_nomination(client, owner, page)
    take_down(ActivityPage.objects.get(pk=page.pk), national, "含商业推广内容")
    client.force_login(national)
    client.post("/admin/nominations/", {"selected": [nomination.pk], "action": "recommend"})
    nomination.refresh_from_db()
    assert not nomination.recommended
    response = client.post(f"{url(page)}review/", {"recommended": "1"})
    assert response.status_code == 200
    assert "listed activities" in response.content.decode()
    nomination.refresh_from_db()
    assert not nomination.recommended
    # The list says so (found by an audit: it read as any other nomination).
    row = re.search(
        r"<tr>(?:(?!</tr>).)*已下架的机器人活动(?:(?!</tr>).)*</tr>",
        client.get("/admin/nominations/").content.decode(),
        re.S,
    ).group(0)
    assert "Taken down" in row


@pytest.mark.parametrize("selected", ["abc", "-1", "1.5", "99999999999999999999", "１２"])
def test_r33_forged_selection_is_ignored_not_a_server_error(client, owner, national, selected):
    nomination = _complete_nomination(client, owner, make(owner))
    client.force_login(national)
    response = client.post(
        "/admin/nominations/", {"selected": [selected, nomination.pk], "action": "recommend"}
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.recommended


@pytest.mark.parametrize("suffix", ["", "review/"])
def test_r33_impossible_ids_in_urls_are_not_found(client, national, suffix):
    client.force_login(national)
    for page_id in ("99999999999999999999", "2147483648", "0"):
        assert client.get(f"/admin/nominations/{page_id}/{suffix}").status_code == 404
