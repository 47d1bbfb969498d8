"""推优 (R33, R25): the supplementary information form saved twice at once, sent twice, or
saved in two tabs. One nomination per activity, never a 500; a form sent again after its
material changed is refused before anything is stored, so its uploads and new media report
rows are not stored twice, and comes back with what was typed. The first-save collision is
staged deterministically: "another request" files the nomination after this request has
read that there is none and before it saves. On PostgreSQL two real requests also race."""

import threading

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from wagtail.models import PageLogEntry

from activities import nomination_views
from activities.nomination_models import Nomination, NominationReport
from home.concurrency import FINGERPRINT_FIELD

from .nominating import AFTER_END, SUMMARY, complete_nomination, make, png, post_data, url

pytestmark = pytest.mark.django_db

IS_POSTGRES = connection.vendor == "postgresql"
NOT_SAVED = "Not saved: the supplementary information was changed after this form was opened"
ATTACH_AGAIN = "attach again any that are not shown"
NEW_REPORT = {
    "title": "科普日活动再获报道",
    "outlet": "南方日报",
    "url": "https://example.com/news/2",
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def window_open():
    with time_machine.travel(AFTER_END, tick=False):
        yield


def form_fields(response):
    """The nomination form's fields with their values, as the browser posts them."""
    form = BeautifulSoup(response.content, "html.parser").select_one(".nomination-form form")
    data = {}
    for field in form.select("input[name], textarea[name]"):
        name, kind = field["name"], field.get("type")
        if kind == "file" or (kind == "checkbox" and not field.has_attr("checked")):
            continue
        if field.name == "textarea":
            value = field.text.removeprefix("\n")
        else:
            value = field.get("value", "on" if kind == "checkbox" else "")
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}


def opened(client, page):
    response = client.get(url(page))
    assert response.status_code == 200
    return form_fields(response)


def with_new_report(data):
    """The form's empty last report row filled in."""
    row = int(data["reports-TOTAL_FORMS"]) - 1
    return {**data, **{f"reports-{row}-{name}": value for name, value in NEW_REPORT.items()}}


def entries(page, action):
    return PageLogEntry.objects.filter(page=page, action=action).count()


def reports(page):
    return sorted(
        NominationReport.objects.filter(nomination__page=page).values_list("title", flat=True)
    )


@pytest.fixture
def another_request_files_first(monkeypatch, page):
    """Once this request has read that the activity has no nomination (the closed check
    follows that read), another request files one, with its own media report."""
    original = nomination_views.closed_message
    done = []

    def closed_message(page, request, nomination=None):
        if request.method == "POST" and not done:
            done.append(complete_nomination(page))
        return original(page, request, nomination)

    monkeypatch.setattr(nomination_views, "closed_message", closed_message)
    return done


# The first save, twice at once ------------------------------------------------------------


def test_r33_a_first_save_beaten_by_another_is_refused_not_a_server_error(
    client, owner, page, another_request_files_first
):
    client.force_login(owner)
    data = {**opened(client, page), **post_data(lessons=SUMMARY + "这一份")}
    response = client.post(url(page), {**data, "photos": [png("mine.png")]})
    assert another_request_files_first, "the other request did not run"
    assert response.status_code == 200
    body = response.content.decode()
    assert NOT_SAVED in body and ATTACH_AGAIN in body
    # What was typed is kept, beside what the other request stored.
    assert SUMMARY + "这一份" in body and "机器人科普体验日走进校园" in body
    nomination = Nomination.objects.get(page=page)
    assert reports(page) == ["机器人科普体验日"]
    assert nomination.photos.count() == 3 and nomination.lessons == SUMMARY
    assert entries(page, "nominations.edit") + entries(page, "nominations.complete") == 0
    # Saved again from the form as it came back, it is a deliberate overwrite.
    response = client.post(url(page), form_fields(response))
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.lessons == SUMMARY + "这一份"
    assert reports(page) == ["机器人科普体验日", "机器人科普体验日走进校园"]


def test_r33_a_first_save_without_the_fingerprint_still_finds_the_other_nomination(
    client, owner, page, another_request_files_first
):
    """A script, or a form opened before the check, is not refused, and not a 500."""
    client.force_login(owner)
    response = client.post(url(page), post_data())
    assert another_request_files_first
    assert response.status_code in (200, 302)
    assert Nomination.objects.filter(page=page).count() == 1


def test_r33_two_first_saves_of_forms_opened_before_either_store_one(client, owner, page):
    client.force_login(owner)
    data = {**opened(client, page), **post_data()}
    files = {"participants_evidence": png("evidence.png")}
    first = client.post(url(page), {**data, **files, "photos": [png(f"p{i}.png") for i in (1, 2)]})
    assert first.status_code == 200  # two photos: not complete yet, but stored
    second = client.post(url(page), {**data, "photos": [png("p3.png")]})
    assert second.status_code == 200
    assert NOT_SAVED in second.content.decode()
    nomination = Nomination.objects.get(page=page)
    assert reports(page) == ["机器人科普体验日走进校园"]
    assert nomination.photos.count() == 2
    assert entries(page, "nominations.edit") == 1
    # The first form came back on what it stored: with the third photo it completes.
    response = client.post(url(page), {**form_fields(first), "photos": [png("p3.png")]})
    assert response.status_code == 302
    assert reports(page) == ["机器人科普体验日走进校园"]
    assert Nomination.objects.get(page=page).is_complete


# A form sent twice --------------------------------------------------------------------------


def test_r33_a_resent_form_stores_its_reports_and_photos_once(client, owner, page):
    complete_nomination(page)
    client.force_login(owner)
    data = with_new_report(opened(client, page))
    first = client.post(url(page), {**data, "photos": [png("extra.png")]})
    assert first.status_code == 302
    second = client.post(url(page), {**data, "photos": [png("extra.png")]})
    assert second.status_code == 200
    body = second.content.decode()
    assert NOT_SAVED in body and ATTACH_AGAIN in body
    assert reports(page) == ["机器人科普体验日", "科普日活动再获报道"]
    assert Nomination.objects.get(page=page).photos.count() == 4
    assert entries(page, "nominations.edit") == 1
    # The form comes back with the report as a stored row, not as a new one to add again.
    again = form_fields(second)
    assert again["reports-INITIAL_FORMS"] == "2" and again["reports-TOTAL_FORMS"] == "3"
    assert again["reports-1-title"] == NEW_REPORT["title"] and again["reports-1-id"]
    assert again["reports-2-title"] == ""
    assert client.post(url(page), again).status_code == 302
    assert reports(page) == ["机器人科普体验日", "科普日活动再获报道"]
    assert Nomination.objects.get(page=page).photos.count() == 4


def test_r33_a_refused_form_keeps_typed_rows_and_removals(client, owner, page):
    nomination = complete_nomination(page)
    client.force_login(owner)
    data = opened(client, page)
    # Another tab adds a photo and a report meanwhile.
    other = with_new_report(opened(client, page))
    assert client.post(url(page), {**other, "photos": [png("other.png")]}).status_code == 302
    photo = nomination.photos.first()
    mine = {
        **data,
        "reports-0-title": "改过的标题",
        "reports-1-title": "另一家媒体的报道",
        "reports-1-outlet": "羊城晚报",
        "reports-1-url": "https://example.com/news/3",
        "delete_photo": str(photo.pk),
    }
    response = client.post(url(page), mine)
    assert response.status_code == 200
    body = response.content.decode()
    assert NOT_SAVED in body and ATTACH_AGAIN not in body
    assert reports(page) == ["机器人科普体验日", "科普日活动再获报道"]
    again = form_fields(response)
    # Stored rows first (what was typed into them kept), then the typed new row.
    assert again["reports-INITIAL_FORMS"] == "2"
    assert [again[f"reports-{row}-title"] for row in range(4)] == [
        "改过的标题",
        "科普日活动再获报道",
        "另一家媒体的报道",
        "",
    ]
    assert again["delete_photo"] == str(photo.pk)
    assert client.post(url(page), again).status_code == 302
    assert reports(page) == ["另一家媒体的报道", "改过的标题", "科普日活动再获报道"]
    assert not nomination.photos.filter(pk=photo.pk).exists()


def test_r33_an_invalid_form_sent_again_does_not_store_its_uploads_twice(client, owner, page):
    client.force_login(owner)
    data = {**opened(client, page), **post_data(participants="10")}
    first = client.post(url(page), {**data, "photos": [png(f"p{i}.png") for i in range(3)]})
    assert first.status_code == 200 and "at least 50 participants" in first.content.decode()
    assert Nomination.objects.get(page=page).photos.count() == 3
    resent = client.post(url(page), {**data, "photos": [png(f"p{i}.png") for i in range(3)]})
    assert resent.status_code == 200 and NOT_SAVED in resent.content.decode()
    assert Nomination.objects.get(page=page).photos.count() == 3
    # The form that came back carries what is stored now: correcting it saves.
    corrected = {**form_fields(first), "participants": "120"}
    assert corrected[FINGERPRINT_FIELD] != data[FINGERPRINT_FIELD]
    response = client.post(url(page), {**corrected, "participants_evidence": png("e.png")})
    assert response.status_code == 302
    assert reports(page) == ["机器人科普体验日走进校园"]


# Ordinary saves still work --------------------------------------------------------------------


def test_r33_a_second_save_of_a_freshly_opened_form_is_stored(client, owner, page):
    complete_nomination(page)
    client.force_login(owner)
    data = opened(client, page)
    assert client.post(url(page), {**data, "lessons": SUMMARY + "一"}).status_code == 302
    data = opened(client, page)
    assert client.post(url(page), {**data, "lessons": SUMMARY + "二"}).status_code == 302
    assert Nomination.objects.get(page=page).lessons == SUMMARY + "二"
    assert entries(page, "nominations.edit") == 2


def test_r33_a_moderators_marking_does_not_make_the_form_stale(client, owner, page):
    nomination = complete_nomination(page)
    client.force_login(owner)
    data = opened(client, page)
    Nomination.objects.filter(pk=nomination.pk).update(recommendation_note="看过")
    assert client.post(url(page), {**data, "lessons": SUMMARY + "一"}).status_code == 302


# Two real requests at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL: parallel writers, row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("with_fingerprint", [True, False])
def test_r33_two_first_saves_at_once_make_one_nomination(owner, with_fingerprint):
    # Not the `page` fixture: pytest-playwright parametrizes tests that ask for one by
    # that name, which orders this transactional test before ordinary ones, and its flush
    # then empties the database they need.
    page = make(owner)
    clients = [Client(), Client()]
    for each in clients:
        each.force_login(owner)
    data = post_data()
    if with_fingerprint:
        data = {**opened(clients[0], page), **data}
    barrier = threading.Barrier(2, timeout=60)
    results = [None, None]

    def save(position):
        try:
            barrier.wait()
            results[position] = clients[position].post(url(page), data).status_code
        except Exception as error:  # reported by the assertion below
            results[position] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(position,)) for position in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(status in (200, 302) for status in results), results
    assert Nomination.objects.filter(page=page).count() == 1
    if with_fingerprint:
        assert reports(page) == ["机器人科普体验日走进校园"]
        assert sorted(results) == [200, 200]  # not complete (no photos); the later refused
