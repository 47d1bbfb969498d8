"""HEAD is answered wherever GET is (link checkers, crawlers and monitors send it): /search/
and the calendars were GET-only and answered 405. The language switch answers HEAD with
the redirect a GET gets but switches nothing (R34)."""

import pytest
from django.conf import settings

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    return factories.activity(publish=True)


def test_public_views_answer_head_like_get(client, live):
    """R29, R30, R31: HEAD has GET's status and headers, and no body."""
    for url in (
        "/search/?q=机器人",
        "/search/",
        "/activities/calendar.ics",
        f"/activities/{live.pk}/calendar.ics",
    ):
        got = client.get(url)
        head = client.head(url)
        assert (head.status_code, got.status_code) == (200, 200), url
        assert head["Content-Type"] == got["Content-Type"], url
        assert head.content == b"", url
    assert client.head(f"/activities/{live.pk + 1000}/calendar.ics").status_code == 404
    # Still read-only views.
    assert client.post("/search/").status_code == 405
    assert client.post("/activities/calendar.ics").status_code == 405


def test_r34_language_switch_answers_head_without_switching(client):
    """R34: HEAD gets the redirect a GET gets, without the cookie: a link checker following
    the footer's links must not switch anyone's language."""
    head = client.head("/language/en/", {"next": "/activities/"})
    assert head.status_code == 302 and head["Location"] == "/activities/"
    assert settings.LANGUAGE_COOKIE_NAME not in head.cookies
    assert client.get("/activities/")["Content-Language"] == "zh-hans"

    got = client.get("/language/en/", {"next": "/activities/"})
    assert got.status_code == 302 and got["Location"] == "/activities/"
    assert got.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get("/activities/")["Content-Language"] == "en"
    assert client.head("/language/xx/").status_code == 404
    assert client.post("/language/en/").status_code == 405
