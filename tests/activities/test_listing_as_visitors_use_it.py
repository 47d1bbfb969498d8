"""The listing and detail pages as a visitor uses them (R28, R29, R30, R31): a keyword
typed into the filter form is ranked by relevance, a capped search says so, dates given
the wrong way round still find the days between them, an ended activity offers no
booking, and the feeds and page metadata satisfy their readers."""

import datetime
import json
import re
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from tests import factories

from .conftest import titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def youth_and_robots(owner, image):
    """Two activities whose titles hold 青少年 start last; one with it only in its details
    starts first, so date order and relevance order differ."""
    now = timezone.now()
    rows = [
        ("社区科学讲座", 1, "面向青少年的社区讲座"),
        ("青少年机器人挑战赛", 20, "机器人比赛"),
        ("青少年天文观测夜", 30, "观星"),
    ]
    return {
        title: factories.activity(
            owner=owner,
            publish=True,
            title=title,
            poster=image,
            content=content,
            start_at=now + datetime.timedelta(days=days),
            end_at=now + datetime.timedelta(days=days, hours=3),
        )
        for title, days, content in rows
    }


def sort_options(response):
    soup = BeautifulSoup(response.content, "html.parser")
    select = soup.select_one("form.filters select[name=sort]")
    return [(o["value"], o.get_text(strip=True), o.has_attr("selected")) for o in select("option")]


def test_r29_a_keyword_typed_into_the_filter_form_is_ranked_by_relevance(client, youth_and_robots):
    # The form as first served: its order's first option sends no order at all.
    options = sort_options(client.get("/activities/"))
    assert options[0] == ("", "按开始时间", True)
    assert "relevance" not in [value for value, _label, _selected in options]
    # What the browser then sends with a keyword typed: an empty order.
    response = client.get("/activities/", {"q": "青少年", "sort": ""})
    assert titles(response)[-1] == "社区科学讲座"  # a match in the details ranks last
    assert sort_options(response)[0] == ("", "相关度", True)
    # An order chosen on purpose still applies, and stays chosen.
    by_date = client.get("/activities/", {"q": "青少年", "sort": "start"})
    assert titles(by_date)[0] == "社区科学讲座"
    assert ("start", "按开始时间", True) in sort_options(by_date)


def test_r29_a_search_at_its_bound_says_there_may_be_more(client, youth_and_robots, monkeypatch):
    monkeypatch.setattr("activities.listing.MAX_SEARCH_HITS", 2)
    capped = client.get("/search/", {"q": "青少年"}).content.decode()
    assert "至少 2 个活动符合条件，显示最相关的 2 个。" in capped
    below = client.get("/search/", {"q": "挑战赛"}).content.decode()
    assert "共 1 个活动" in below and "至少" not in below


def test_r28_dates_given_the_wrong_way_round_find_the_days_between(client, youth_and_robots):
    today = timezone.localdate()
    early, late = today, today + datetime.timedelta(days=25)
    forward = client.get("/activities/", {"from": early.isoformat(), "to": late.isoformat()})
    backward = client.get("/activities/", {"from": late.isoformat(), "to": early.isoformat()})
    assert titles(backward) == titles(forward) == ["社区科学讲座", "青少年机器人挑战赛"]
    soup = BeautifulSoup(backward.content, "html.parser")
    assert soup.select_one("#id_from")["value"] == early.isoformat()
    chips = {a.get_text(" ", strip=True): a["href"] for a in soup.select(".chips a.chip")}
    # Removing the shown start keeps the shown end, whichever parameter held it.
    [(label, href)] = [(label, href) for label, href in chips.items() if label.startswith("起")]
    assert f"to={late.isoformat()}" in href and "from=" not in href, (label, href)


def test_r28_an_empty_result_suggests_a_way_out(client, youth_and_robots):
    html = client.get("/activities/", {"q": "陨石"}).content.decode()
    assert "请尝试减少或更换关键词，或移除部分筛选条件。" in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("p.empty a")["href"] == "/activities/"


def test_r28_rarer_filters_fold_away_unless_in_use(client, youth_and_robots):
    def more(params):
        soup = BeautifulSoup(client.get("/activities/", params).content, "html.parser")
        return soup.select_one("form.filters details.filters__more")

    assert not more({}).has_attr("open")
    assert not more({"province": "440000", "q": "科普"}).has_attr("open")
    assert more({"mode": "online"}).has_attr("open")
    assert more({"youth": "1"}).has_attr("open")
    assert more({}).select_one("#id_type") is not None


def test_r28_filtered_listings_are_not_indexed_and_pages_are_named(client, owner, image):
    for number in range(21):
        factories.activity(owner=owner, publish=True, title=f"活动{number:02d}", poster=image)

    def head(params):
        soup = BeautifulSoup(client.get("/activities/", params).content, "html.parser")
        robots = soup.select_one("meta[name=robots]")
        return soup.title.get_text(), robots["content"] if robots else None

    title, robots = head({})
    assert robots is None and "第" not in title
    assert head({"province": "440000"})[1] == "noindex, follow"
    title, robots = head({"page": "2"})
    assert "第 2 页" in title and robots is None


def test_r30_an_ended_activity_offers_no_booking_or_calendar(client, owner, image):
    now = timezone.now()
    fields = {"supports_reservation": True, "reservation_url": "https://book.example.cn/x"}
    ended = factories.activity(
        owner=owner,
        publish=True,
        poster=image,
        start_at=now - datetime.timedelta(days=2),
        end_at=now - datetime.timedelta(days=1),
        **fields,
    )
    coming = factories.activity(owner=owner, publish=True, poster=image, **fields)
    html = client.get(ended.url).content.decode()
    assert "活动已结束。" in html
    assert "book.example.cn" not in html and "calendar.ics" not in html
    html = client.get(coming.url).content.decode()
    assert "book.example.cn" in html and f"/activities/{coming.pk}/calendar.ics" in html
    assert "活动已结束。" not in html


def json_ld(client, page):
    html = client.get(page.url).content.decode()
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found[1])


def test_r30_event_metadata_places_online_activities_online(client, owner, image):
    online = factories.activity(owner=owner, publish=True, poster=image, mode="online")
    both = factories.activity(owner=owner, publish=True, poster=image, mode="both")
    offline = factories.activity(owner=owner, publish=True, poster=image, mode="offline")
    assert json_ld(client, online)["location"]["@type"] == "VirtualLocation"
    assert json_ld(client, online)["location"]["url"].endswith(online.url)
    assert [place["@type"] for place in json_ld(client, both)["location"]] == [
        "Place",
        "VirtualLocation",
    ]
    assert json_ld(client, offline)["location"]["@type"] == "Place"


def test_r30_a_booking_does_not_claim_the_activity_is_free(client, owner, image):
    page = factories.activity(
        owner=owner,
        publish=True,
        poster=image,
        supports_reservation=True,
        reservation_url="https://book.example.cn/x",
    )
    assert json_ld(client, page)["offers"] == {
        "@type": "Offer",
        "url": "https://book.example.cn/x",
    }


def test_r31_the_atom_feed_names_its_author(client, owner, image):
    factories.activity(owner=owner, publish=True, poster=image)
    feed = ET.fromstring(client.get("/activities/feed/atom/").content)  # noqa: S314
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.find(f"{atom}author/{atom}name").text == "全国科普日活动平台"


def test_r28_an_activity_ending_at_midnight_is_not_on_the_next_day(client, owner, image):
    """Found by a clock audit: 20:00-24:00 on 7 December was listed under 8 December."""
    from zoneinfo import ZoneInfo

    beijing = ZoneInfo("Asia/Shanghai")
    midnight = datetime.datetime(2026, 12, 8, 0, 0, tzinfo=beijing)
    evening = factories.activity(
        owner=owner,
        publish=True,
        poster=image,
        title="星空晚会",
        start_at=midnight - datetime.timedelta(hours=4),
        end_at=midnight,
    )
    instant = factories.activity(
        owner=owner,
        publish=True,
        poster=image,
        title="零点倒计时",
        start_at=midnight,
        end_at=midnight,
    )

    def on(day):
        return set(titles(client.get("/activities/", {"from": day, "to": day})))

    assert on("2026-12-07") == {evening.title}
    assert on("2026-12-08") == {instant.title}
    assert evening.title in titles(client.get("/activities/", {"from": "2026-12-07"}))


def test_r30_each_contact_number_is_its_own_link(client, owner, image):
    """Found by a submitter's audit: "010-58881234，13912345678", as the field's help writes
    two numbers, was one link dialling the landline for both."""
    page = factories.activity(
        owner=owner, publish=True, poster=image, contact_phone="010-58881234，13912345678"
    )
    soup = BeautifulSoup(client.get(page.url).content, "html.parser")
    contact = soup.find("dt", string="联系方式").find_next_sibling("dd")
    links = contact.select("a[href^='tel:']")
    assert [a.get_text() for a in links] == ["010-58881234", "13912345678"]
    assert links[1]["href"].endswith("13912345678") and "13912345678" not in links[0]["href"]
