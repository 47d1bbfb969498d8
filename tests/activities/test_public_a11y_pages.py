"""Accessibility and wording of the public activity pages (R28, R30): posters described by
the activity rather than by an upload's file name, one page description, dates in the
reader's language, a named QR code, a booking link that says it opens a new window and
date filters whose labels make sense alone.

Text is checked in English; Chinese pages on their structure (tests/activities/test_cards.py
checks a Chinese card date)."""

import datetime

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.conf import settings
from django.utils import translation

from activities.cards import card
from activities.models import ActivityPage
from tests import factories

pytestmark = pytest.mark.django_db

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=BEIJING)
START = datetime.datetime(2026, 12, 19, 9, 30, tzinfo=BEIJING)
FILE_NAME_TITLE = "微信图片_20260812093011"
BOOKING_URL = "https://example.com/book"


def _soup(html):
    return BeautifulSoup(str(html), "html.parser")


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _detail(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return _soup(response.content.decode())


def _activity(owner, start=START, end=None, **fields):
    with time_machine.travel(NOW, tick=False):
        return factories.activity(
            owner,
            publish=True,
            start_at=start,
            end_at=end or start + datetime.timedelta(hours=4),
            **fields,
        )


def _card_when(page, language, moment=NOW):
    with time_machine.travel(moment, tick=False), translation.override(language):
        item = _soup(card(ActivityPage.objects.get(pk=page.pk))).select_one("li")
    return item.select_one(".activity-card__meta")


@pytest.fixture
def named_by_file(owner):
    return factories.poster(owner, title=FILE_NAME_TITLE)


# 1. Posters ------------------------------------------------------------------------------


def test_a_cards_poster_is_decorative_and_its_link_is_named_by_the_title(owner, named_by_file):
    page = _activity(owner, poster=named_by_file, title="天文观测之夜")
    item = _soup(card(ActivityPage.objects.get(pk=page.pk))).select_one("li.activity-card")
    img = item.select_one(".activity-card__poster img")
    assert img["alt"] == ""
    assert FILE_NAME_TITLE not in str(item)
    link = item.select_one("a.activity-card__link")
    assert "天文观测之夜" in link.select_one(".activity-card__title").get_text()


def test_the_detail_pages_poster_is_described_by_the_activity(client, owner, named_by_file):
    page = _activity(owner, poster=named_by_file, title="天文观测之夜")
    img = _detail(client, page).select_one(".activity__poster img")
    assert "天文观测之夜" in img["alt"] and FILE_NAME_TITLE not in img["alt"]
    img = _detail(_english(client), page).select_one(".activity__poster img")
    assert img["alt"] == "Poster of 天文观测之夜"


# 2. One description ----------------------------------------------------------------------


def _descriptions(soup):
    return (
        [meta["content"] for meta in soup.select('meta[name="description"]')],
        [meta["content"] for meta in soup.select('meta[property="og:description"]')],
    )


def test_the_search_description_is_the_one_description(client, owner):
    summary = "面向中小学生的机器人日"
    page = _activity(owner, content="机器人展示、编程体验", search_description=summary)
    assert _descriptions(_detail(client, page)) == ([summary], [summary])


def test_without_one_the_content_describes_the_page_shortened(client, owner):
    content = "机器人展示" * 60
    page = _activity(owner, content=content)
    described, shared = _descriptions(_detail(client, page))
    assert described == shared and len(described) == 1
    # Django's Chinese catalogue ends a shortened text with "..." rather than "…".
    shortened = described[0].rstrip(".…")
    assert len(described[0]) == 150 and len(shortened) < 150
    assert content.startswith(shortened)


# 5. Dates --------------------------------------------------------------------------------


def test_a_cards_date_is_in_english_with_one_day_for_a_same_day_activity(owner):
    page = _activity(owner)
    when = _card_when(page, "en")
    assert when.get_text() == "Dec 19, 09:30–13:30"
    assert [time["datetime"] for time in when.select("time")] == [
        "2026-12-19T09:30:00+08:00",
        "2026-12-19T13:30:00+08:00",
    ]


def test_a_cards_date_shows_the_year_when_not_this_one_or_two_years_apart(owner):
    later = _activity(
        owner,
        start=datetime.datetime(2027, 1, 2, 9, 30, tzinfo=BEIJING),
        end=datetime.datetime(2027, 1, 3, 17, 0, tzinfo=BEIJING),
    )
    assert _card_when(later, "en").get_text() == "Jan 2, 2027, 09:30 – Jan 3, 2027, 17:00"
    new_year = _activity(
        owner,
        start=datetime.datetime(2026, 12, 31, 20, 0, tzinfo=BEIJING),
        end=datetime.datetime(2027, 1, 1, 1, 0, tzinfo=BEIJING),
    )
    assert _card_when(new_year, "en").get_text() == "Dec 31, 2026, 20:00 – Jan 1, 2027, 01:00"
    over_days = _activity(owner, end=START + datetime.timedelta(days=2, hours=4))
    assert _card_when(over_days, "en").get_text() == "Dec 19, 09:30 – Dec 21, 13:30"


def test_a_cards_date_follows_the_language(owner):
    page = _activity(owner)
    chinese = _card_when(page, "zh-hans").get_text()
    assert chinese != _card_when(page, "en").get_text()
    assert "2026-12-19" not in chinese and "12-19" not in chinese
    assert chinese.endswith("09:30–13:30")


def test_kept_cards_follow_the_language_and_the_year(client, owner):
    """Cards are kept in memory: the language and the current year are in their keys."""
    page = _activity(owner, start=datetime.datetime(2027, 1, 10, 9, 30, tzinfo=BEIJING))

    def when():
        for item in _soup(client.get("/activities/").content.decode()).select("li"):
            if item.select_one("a")["href"] == page.url:
                return item.select_one(".activity-card__meta").get_text()
        raise AssertionError("no card")

    with time_machine.travel(NOW, tick=False):
        chinese = when()
        _english(client)
        assert when() == "Jan 10, 2027, 09:30–13:30"
    with time_machine.travel(datetime.datetime(2027, 1, 2, 10, tzinfo=BEIJING), tick=False):
        assert when() == "Jan 10, 09:30–13:30"
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        assert when() != chinese and when().endswith("09:30–13:30")


def _activity_time(soup):
    for term in soup.select(".facts dt"):
        if term.get_text() in ("Activity time", "活动时间"):
            return term.find_next_sibling("dd")
    raise AssertionError("no activity time")


def test_the_detail_page_shows_a_same_day_activity_on_one_date(client, owner):
    page = _activity(owner)
    when = _activity_time(_detail(_english(client), page))
    assert when.get_text() == "Dec 19, 2026 09:30–13:30"
    assert [time["datetime"] for time in when.select("time")] == [
        "2026-12-19T09:30:00+08:00",
        "2026-12-19T13:30:00+08:00",
    ]
    chinese = _activity_time(_detail(client.__class__(), page)).get_text()
    assert chinese.count("2026") == 1 and chinese.endswith("09:30–13:30")


def test_the_detail_page_shows_both_dates_of_a_longer_activity(client, owner):
    page = _activity(owner, end=START + datetime.timedelta(days=1, hours=4))
    when = _activity_time(_detail(_english(client), page))
    assert when.get_text() == "Dec 19, 2026 09:30 – Dec 20, 2026 13:30"


# 8, 9. QR code and booking link ------------------------------------------------------------


def test_the_qr_code_is_one_named_image(client, owner):
    page = _activity(owner)
    share = _detail(_english(client), page).select_one(".share__qr")
    assert share["role"] == "img"
    assert share["aria-label"] == "QR code to open this activity on a phone"
    assert share.find("svg") is not None


def test_the_booking_link_says_it_opens_a_new_window(client, owner):
    page = _activity(owner, supports_reservation=True, reservation_url=BOOKING_URL)
    link = _detail(_english(client), page).select_one(f'a[href="{BOOKING_URL}"]')
    assert link["target"] == "_blank" and "noopener" in link["rel"]
    assert " ".join(link.get_text().split()) == "Book a place (opens in a new window)"
    assert link.select_one(".visually-hidden").get_text().strip() == "(opens in a new window)"


# 7. Date filters ---------------------------------------------------------------------------


def test_the_listings_date_filters_have_labels_that_make_sense_alone(client):
    soup = _soup(_english(client).get("/activities/").content.decode())
    labels = {
        field: soup.select_one(f'label[for="id_{field}"]').get_text() for field in ("from", "to")
    }
    assert labels == {"from": "From date", "to": "To date"}
    assert soup.select_one("#id_from")["name"] == "from"


# Headings in the details ------------------------------------------------------------------


def test_headings_in_the_details_sit_under_the_details_heading(client, owner):
    """The editor's 二级标题 became an <h2> beside 活动详情 (itself an <h2>), breaking the
    page's outline; the details' headings are one level lower on the public page."""
    page = _activity(
        owner,
        details='<h2 data-block-key="a1">活动亮点</h2><p>正文</p><h3>细节</h3><h4>更细</h4>',
    )
    soup = _detail(client, page)
    body = soup.select_one(".activity__body .richtext")
    assert [tag.name for tag in body.find_all(["h2", "h3", "h4", "h5"])] == ["h3", "h4", "h5"]
    assert body.find("h3").get_text() == "活动亮点"
    levels = [
        int(tag.name[1]) for tag in soup.select("main h1, main h2, main h3, main h4, main h5")
    ]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
