"""What a visitor reads about an activity is complete and safe (R27, R30, R31, R34): its
joint and special action categories, dates in the page's language, feed summaries that are
text rather than markup, rich-text links only to public pages, and API parameters that are
honoured or refused, never silently ignored."""

import datetime
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.utils import timezone

from activities.models import ActivityPage, JointActionCategory, SpecialActionCategory
from tests import factories
from workflow.takedown import take_down

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def live(**fields):
    return factories.activity(publish=True, **fields)


def test_the_detail_page_names_the_joint_and_special_action_categories(client):
    page = factories.activity(title="联合行动的活动")
    page.is_joint_action = True
    page.is_special_action = True
    page.joint_action_categories.set(JointActionCategory.objects.all()[:2])
    page.special_action_categories.set(SpecialActionCategory.objects.all()[:1])
    page.save_revision().publish()
    html = client.get(ActivityPage.objects.get(pk=page.pk).url).content.decode()
    for category in [*JointActionCategory.objects.all()[:2], SpecialActionCategory.objects.first()]:
        assert category.name in html


def test_the_activity_time_follows_the_page_language(client):
    start = timezone.make_aware(datetime.datetime(2026, 9, 20, 9, 30))
    page = live(start_at=start, end_at=start + datetime.timedelta(hours=4))
    chinese = client.get(page.url).content.decode()
    assert "2026年9月20日 09:30" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(page.url).content.decode()
    assert "2026年" not in english
    assert "Sep 20, 2026 09:30" in english


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_feed_summaries_are_text_not_markup(client, feed):
    live(address="文三路1号 <img src=x onerror=alert(2)>", content="内容 <b>加粗</b> & 其他")
    body = client.get(f"/activities/feed/{feed}/").content
    root = ET.fromstring(body)  # noqa: S314 - our own feed
    if feed == "rss":
        summary = root.find("channel/item/description").text
    else:
        summary = root.find(f"{ATOM}entry/{ATOM}summary").text
    # The element's text is HTML to a feed reader: what was typed arrives escaped.
    assert "<img" not in summary
    assert "&lt;img src=x onerror=alert(2)&gt;" in summary
    assert "<br>" in summary  # one line per fact


def test_rich_text_links_only_to_public_pages(client):
    draft = factories.activity(title="未公开的草稿活动")
    withdrawn = live(title="已下架的活动")
    take_down(withdrawn, factories.user(None, is_superuser=True), "海报不合格")
    public = live(title="公开的活动")
    details = "".join(
        f'<p><a linktype="page" id="{pk}">链接{pk}</a></p>'
        for pk in (draft.pk, withdrawn.pk, public.pk, 1, 999999)
    )
    page = live(title="带链接的活动", details=details)
    html = client.get(page.url).content.decode()
    public_url = ActivityPage.objects.get(pk=public.pk).url
    assert f'href="{public_url}"' in html
    assert ActivityPage.objects.get(pk=draft.pk).slug not in html
    assert ActivityPage.objects.get(pk=withdrawn.pk).slug not in html
    assert 'href="None"' not in html
    for pk in (draft.pk, withdrawn.pk, 1, 999999):
        assert f"链接{pk}" in html  # the text stays, without a link


def test_the_api_takes_wagtails_search_parameter_and_refuses_its_order(client):
    live(title="青少年机器人体验日")
    live(title="天文观测之夜")
    found = client.get("/api/v2/activities/", {"search": "天文"}).json()
    assert [item["title"] for item in found["items"]] == ["天文观测之夜"]
    refused = client.get("/api/v2/activities/", {"order": "title"})
    assert refused.status_code == 400
    assert "sort" in refused.json()["message"]


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_a_feed_entry_keeps_its_id_when_the_slug_changes(client, feed):
    page = live(title="改名前的活动")

    def entry_id():
        root = ET.fromstring(client.get(f"/activities/feed/{feed}/").content)  # noqa: S314
        if feed == "rss":
            return root.find("channel/item/guid").text
        return root.find(f"{ATOM}entry/{ATOM}id").text

    before = entry_id()
    page = ActivityPage.objects.get(pk=page.pk)
    page.title = page.slug = "改名后的活动"
    page.save_revision().publish()
    assert entry_id() == before
    assert str(page.pk) in before


def _lang_of(html, tag_start):
    """The lang attribute of the first element whose markup starts with `tag_start`."""
    import re

    match = re.search(re.escape(tag_start) + r'[^>]*?(?: lang="([^"]+)")?>', html)
    assert match, tag_start
    return match.group(1)


def test_r34_chinese_content_on_english_pages_is_marked_as_chinese(client):
    """WCAG 3.1.2: on /en/ pages what units typed in Chinese carries lang="zh-Hans", so a
    screen reader reads it in a Chinese voice; the interface around it stays English, and
    content typed in English, or any content on Chinese pages, carries no mark."""
    chinese = live(title="深圳机器人科普开放日", audience="中小学生", content="参观实验室")
    english = live(title="Robotics Open Day", audience="Families", content="Lab tours")

    client.cookies["django_language"] = "en"
    html = client.get(chinese.url).content.decode()
    assert _lang_of(html, "<h1") == "zh-Hans"
    assert '<dd lang="zh-Hans">中小学生</dd>' in html
    assert "<dt>Audience</dt>" in html
    assert '<div class="richtext" lang="zh-Hans">' in html
    html = client.get(english.url).content.decode()
    assert _lang_of(html, "<h1") is None
    assert "<dd>Families</dd>" in html

    cards = client.get("/activities/").content.decode()
    assert '<h2 class="activity-card__title" lang="zh-Hans">深圳机器人科普开放日</h2>' in cards
    assert '<h2 class="activity-card__title">Robotics Open Day</h2>' in cards
    home = client.get("/").content.decode()
    assert 'class="activity-card__title" lang="zh-Hans">深圳机器人科普开放日' in home

    del client.cookies["django_language"]
    html = client.get(chinese.url).content.decode()
    assert 'lang="zh-Hans"' not in html.split("<body", 1)[1]
    cards = client.get("/activities/").content.decode()
    assert '<h2 class="activity-card__title">深圳机器人科普开放日</h2>' in cards
