"""The activity card built in Python (activities/cards.py, #8) and poster renditions read
without a cache write per use (activities/renditions.py): same facts and escaping as the
template they replace (R28, R29)."""

import datetime
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.utils import timezone, translation
from wagtail.images.models import Image, Rendition

from activities import renditions
from activities.cards import card, memory
from activities.models import ActivityPage
from tests import factories

pytestmark = pytest.mark.django_db


def _watching(method):
    """The rendition cache's `method`, working as usual and recording its calls."""
    backend = Rendition.cache_backend
    return mock.patch.object(backend, method, wraps=getattr(backend, method))


def _soup(html):
    return BeautifulSoup(str(html), "html.parser")


def test_card_shows_the_facts_in_beijing_time_and_escapes_the_title(owner, image):
    start = timezone.now() + datetime.timedelta(days=3)
    start = start.replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 in Beijing
    page = factories.activity(
        owner,
        publish=True,
        poster=image,
        title="<b>机器人</b> & 编程",
        start_at=start,
        end_at=start + datetime.timedelta(hours=2),
    )
    with translation.override("zh-hans"):
        soup = _soup(card(ActivityPage.objects.get(pk=page.pk), heading="h2"))
    item = soup.select_one("li.activity-card")
    assert item.select_one("a.activity-card__link")["href"] == page.url
    title = item.select_one("h2.activity-card__title")
    assert title.get_text() == "<b>机器人</b> & 编程" and not title.find("b")
    time = item.select_one("time")
    beijing = timezone.localtime(start, datetime.timezone(datetime.timedelta(hours=8)))
    assert (
        time.get_text().endswith("09:30") and f"{beijing.month}月{beijing.day}日" in time.get_text()
    )
    assert time["datetime"].endswith("+08:00")
    assert "11:30" in item.select_one(".activity-card__meta").get_text()
    assert "广东省" in item.get_text() and "广州市" in item.get_text()
    badges = [badge.get_text() for badge in item.select(".badge")]
    assert badges == ["未开始", "线下"]
    img = item.select_one(".activity-card__poster img")
    # The heading names the activity; the image's title is often only a file name.
    assert img["src"].endswith(".webp") and img["alt"] == ""
    assert img["loading"] == "lazy" and int(img["width"]) <= 300


def test_card_highlights_search_words_and_refuses_other_headings(owner, image):
    page = factories.activity(owner, publish=True, poster=image, title="青少年机器人大赛")
    soup = _soup(card(page, heading="script", search_query="机器人"))
    assert soup.select_one("h3.activity-card__title mark").get_text() == "机器人"
    assert not soup.select("script")


def test_card_without_a_readable_poster_has_no_image(owner, image):
    page = factories.activity(owner, publish=True, poster=image)
    image.file.storage.delete(image.file.name)
    Rendition.objects.all().delete()
    cache.clear()
    soup = _soup(card(ActivityPage.objects.get(pk=page.pk)))
    assert soup.select_one(".activity-card__poster").find("img") is None


def test_existing_renditions_are_read_without_writing_the_cache(owner, image):
    """Wagtail's get_rendition writes the cache on every call; a page of twenty cards
    wrote twenty entries per request. Only a missing rendition is generated (once)."""
    first = renditions.rendition(image, renditions.CARD)
    assert Rendition.objects.filter(image=image, filter_spec=renditions.CARD).count() == 1
    with mock.patch.object(Rendition.cache_backend, "set") as written:
        again = renditions.rendition(image, renditions.CARD)
    assert again.pk == first.pk and not written.called
    assert Rendition.objects.filter(image=image).count() == 1


def test_a_rendition_from_the_database_is_cached_once(owner, image):
    made = renditions.rendition(image, renditions.SHARE)
    cache.clear()
    fresh = Image.objects.get(pk=image.pk)
    with _watching("set") as written:
        first = renditions.rendition(fresh, renditions.SHARE)
        second = renditions.rendition(fresh, renditions.SHARE)
    assert first.pk == second.pk == made.pk
    assert written.call_count == 1
    assert first.image is fresh


def test_listing_and_home_render_the_same_cards(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image, title="天文观测之夜")
    for url, heading in (("/activities/", "h2"), ("/", "h3")):
        soup = _soup(client.get(url).content.decode())
        titles = [h.get_text() for h in soup.select(f"li.activity-card {heading}")]
        assert page.title in titles, url


def test_listing_cards_take_renditions_from_the_prefetched_rows(client, owner, image):
    """The card query prefetches the card renditions (listing.with_card_data): a listing
    page then reads none of them from the cache. Prefetch's `to_attr` was missed once,
    which cost a cache round trip per card on every request (#8)."""
    for number in range(3):
        factories.activity(owner, publish=True, poster=image, title=f"海洋科普展{number}")
    assert client.get("/activities/").status_code == 200  # generates the rendition once
    memory.clear()  # the cards are built again, from the rows
    with _watching("get") as read:
        response = client.get("/activities/", HTTP_COOKIE="sessionid=none")
    soup = _soup(response.content.decode())
    assert len(soup.select("li.activity-card .activity-card__poster img")) == 3
    rendition_reads = [
        call for call in read.call_args_list if str(call.args[0]).startswith("wagtail-rendition-")
    ]
    assert rendition_reads == []


def test_a_rendition_is_looked_up_once_per_image_object(owner, image):
    """The detail page shows its share image in og:image and in the JSON-LD: one lookup."""
    renditions.rendition(image, renditions.SHARE)  # generated and cached
    renditions.rendition(image, renditions.CARD)
    fresh = Image.objects.get(pk=image.pk)

    def rendition_reads(read):  # the same cache also holds the page-cache versions
        return sum("wagtail-rendition" in str(call) for call in read.call_args_list)

    with _watching("get") as read:
        first = renditions.rendition(fresh, renditions.SHARE)
        second = renditions.rendition(fresh, renditions.SHARE)
        renditions.rendition(fresh, renditions.CARD)
    assert first is second
    assert rendition_reads(read) == 2  # SHARE once, CARD once
