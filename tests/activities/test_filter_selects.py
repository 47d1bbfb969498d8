"""The listing's filter selects (R28), rendered once per set of choices and selected value
(activities/templatetags/listing_tags.py, #8): what is kept must still follow the
language, the selection and the choices."""

import re

import pytest

from activities.models import ActivityType
from activities.templatetags import listing_tags

pytestmark = pytest.mark.django_db


def select(html, name):
    return re.search(rf'<select name="{name}" id="id_{name}">.*?</select>', html, re.S)[0]


def selected(html, name):
    return re.findall(r'<option value="([^"]*)" selected>', select(html, name))


def test_a_select_shows_the_visitors_choice_and_language(client, settings):
    listing = "/activities/"
    chinese = client.get(listing, {"mode": "online"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(listing, {"mode": "online"})
    assert "Online" in select(english.content.decode(), "mode")
    assert "线上" in select(chinese.content.decode(), "mode")
    assert selected(english.content.decode(), "mode") == ["online"]
    other = client.get(listing, {"mode": "offline"})
    assert selected(other.content.decode(), "mode") == ["offline"]
    assert selected(other.content.decode(), "province") == [""]
    province = client.get(listing, {"province": "440000"}).content.decode()
    assert selected(province, "province") == ["440000"]


def test_a_renamed_or_new_type_shows_at_once(client):
    before = select(client.get("/activities/").content.decode(), "type")
    kind = ActivityType.objects.get(name="科普讲座")
    kind.name = "科普大讲堂"
    kind.save()
    ActivityType.objects.create(name="科学之夜", sort_order=99)
    after = select(client.get("/activities/").content.decode(), "type")
    assert "科普讲座" in before and "科普讲座" not in after
    assert "科普大讲堂" in after and "科学之夜" in after


def test_what_a_visitor_types_is_never_written_into_the_select(client):
    hostile = '"><script>alert(1)</script>'
    html = client.get("/activities/", {"province": hostile, "type": hostile}).content.decode()
    assert "<script>alert(1)" not in html
    assert selected(html, "province") == [] and selected(html, "type") == []


def test_selects_are_kept_in_a_bounded_memory(client):
    listing_tags._select.cache_clear()
    for code in range(300):
        client.get("/activities/", {"province": str(code)})
    assert listing_tags._select.cache_info().currsize <= 256
    first = client.get("/activities/", {"mode": "online"}).content.decode()
    hits = listing_tags._select.cache_info().hits
    second = client.get("/activities/", {"mode": "online"}).content.decode()
    assert listing_tags._select.cache_info().hits == hits + 5
    assert select(first, "mode") == select(second, "mode")
