"""English names of provinces, activity types and action categories on the English site
(R34): filters, chips, cards, the detail page's facts, the home page's summaries, feeds,
the calendar and the API name them in the visitor's language; a name without an English
one shows in Chinese, marked lang="zh-Hans"; and no cache (whole pages, cards, kept
reference rows and category names, the type filter) serves one language's names to the
other."""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from wagtail.models import Site

from activities.models import ActivityPage, ActivityType, JointActionCategory, SpecialActionCategory
from home.models import CampaignSettings
from tests import factories

pytestmark = pytest.mark.django_db

NAMES = importlib.import_module("activities.migrations.0012_option_english_names")


def english(client):
    client.cookies["django_language"] = "en"


def chinese(client):
    client.cookies.pop("django_language", None)


def shows(html, name):
    """Whether `name` is on the page other than in the channel's name (广东省科学技术协会),
    which is an organization's, the same in every language."""
    return re.search(re.escape(name) + "(?!科学技术协会)", html) is not None


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def activity():
    """A live activity in 广东省 广州市, a 科普讲座, of two joint and one special action
    categories, starting in the campaign's year (so the home page's summary counts it)."""
    year = CampaignSettings.for_site(Site.objects.get(is_default_site=True)).year
    start = timezone.make_aware(datetime.datetime(year, 9, 20, 9, 30))
    page = factories.activity(factories.submitter(), start_at=start)
    page.is_joint_action = page.is_special_action = True
    page.joint_action_categories.set(
        JointActionCategory.objects.filter(name__in=["科普进社区", "应急科普"])
    )
    page.special_action_categories.set(
        SpecialActionCategory.objects.filter(name="农民科学素质提升")
    )
    page.save_revision().publish()
    return ActivityPage.objects.get(pk=page.pk)


def lecture():
    return ActivityType.objects.get(name="科普讲座")


def test_r34_every_seeded_type_and_category_has_an_english_name():
    for model in (ActivityType, JointActionCategory, SpecialActionCategory):
        assert model.objects.exists()
        assert not model.objects.filter(name_en="").exists(), model
    assert lecture().name_en == "Science lecture"
    assert JointActionCategory.objects.get(name="科普进社区").name_en == (
        "Science outreach in communities"
    )


def test_r34_the_data_migration_keeps_an_english_name_set_already():
    ActivityType.objects.filter(name="科普讲座").update(name_en="Popular science talk")
    ActivityType.objects.filter(name="科普展览").update(name_en="")
    NAMES.add_english_names(apps, None)
    assert lecture().name_en == "Popular science talk"
    assert ActivityType.objects.get(name="科普展览").name_en == "Science exhibition"


def test_r34_the_listing_names_provinces_and_types_in_the_visitors_language(client, activity):
    html = get(client, "/activities/", province="440000", type=lecture().pk, mode="offline")
    assert '<option value="440000" selected>广东省</option>' in html
    assert f'<option value="{lecture().pk}" selected>科普讲座</option>' in html
    assert '<p class="activity-card__meta">广东省 · 广州市 · 科普讲座</p>' in html
    assert ">广东省 <span aria-hidden" in html  # the filters' chips
    assert ">线下（含线上线下） <span aria-hidden" in html
    assert "Guangdong" not in html and "Science lecture" not in html

    english(client)
    html = get(client, "/activities/", province="440000", type=lecture().pk, mode="offline")
    assert '<option value="440000" selected>Guangdong</option>' in html
    assert f'<option value="{lecture().pk}" selected>Science lecture</option>' in html
    # The city has no English name: marked Chinese on its own.
    assert (
        '<p class="activity-card__meta">Guangdong · <span lang="zh-Hans">广州市</span>'
        " · Science lecture</p>"
    ) in html
    assert ">Guangdong <span aria-hidden" in html
    assert ">Science lecture <span aria-hidden" in html
    assert ">Offline (including online and offline) <span aria-hidden" in html
    assert not shows(html, "广东省") and "科普讲座" not in html
    # Search results are the same listing.
    assert "Guangdong · " in get(client, "/search/", q="机器人")


def test_r34_the_detail_page_names_its_facts_in_the_visitors_language(client, activity):
    html = get(client, activity.url)
    assert '<span class="badge">科普讲座</span>' in html
    assert "<dd>广东省 广州市</dd>" in html
    assert "<dd>科普讲座</dd>" in html
    assert "<dd>科普进社区、应急科普</dd>" in html
    assert "<dd>农民科学素质提升</dd>" in html
    assert '"name": "广东省 广州市"' in html  # JSON-LD's place

    english(client)
    html = get(client, activity.url)
    assert '<span class="badge">Science lecture</span>' in html
    assert '<dt>Region</dt><dd>Guangdong <span lang="zh-Hans">广州市</span></dd>' in html
    assert "<dt>Activity type</dt><dd>Science lecture</dd>" in html
    assert "<dd>Science outreach in communities, Emergency response science outreach</dd>" in html
    assert "<dd>Improving the science literacy of farmers</dd>" in html
    assert '"name": "Guangdong 广州市"' in html
    for name in ("广东省", "科普讲座", "科普进社区", "农民科学素质提升"):
        assert not shows(html, name), name


def test_r34_the_address_stays_marked_chinese_beside_an_english_province(client):
    page = factories.activity(publish=True, address="天河路1号")
    english(client)
    html = get(client, page.url)
    assert (
        '<dd>Guangdong <span lang="zh-Hans">广州市</span><br><span lang="zh-Hans">天河路1号</span>'
        "</dd>"
    ) in html
    chinese(client)
    assert "<dd>广东省 广州市<br>天河路1号</dd>" in get(client, page.url)


def test_r34_the_home_page_summaries_follow_the_visitors_language(client, activity):
    html = get(client, "/")
    assert re.search(r'province=440000[^"]*">广东省</a>', html)
    assert "<span>科普讲座</span>" in html
    english(client)
    html = get(client, "/")
    assert re.search(r'province=440000[^"]*">Guangdong</a>', html)
    assert "<span>Science lecture</span>" in html
    assert not shows(html, "广东省") and "科普讲座" not in html


def test_r34_feeds_calendar_and_api_follow_the_visitors_language(client, activity):
    english(client)
    assert "Place: Guangdong 广州市" in get(client, "/activities/feed/rss/")
    assert "LOCATION:Guangdong 广州市" in get(client, f"/activities/{activity.pk}/calendar.ics")
    item = client.get("/api/v2/activities/").json()["items"][0]
    assert item["province"] == {"code": "440000", "name": "Guangdong"}
    assert item["city"] == {"code": "440100", "name": "广州市"}
    assert item["activity_type"] == {"id": lecture().pk, "name": "Science lecture"}
    chinese(client)
    assert "广东省 广州市" in get(client, "/activities/feed/rss/")
    item = client.get("/api/v2/activities/").json()["items"][0]
    assert item["province"]["name"] == "广东省"
    assert item["activity_type"]["name"] == "科普讲座"


def test_r34_without_an_english_name_the_chinese_one_shows_marked_as_chinese(client, activity):
    """A type an administrator added without an English name, and a category whose
    English name was cleared: the Chinese names show, each marked on its own."""
    night = ActivityType.objects.create(name="科学之夜", sort_order=99)
    JointActionCategory.objects.filter(name="应急科普").update(name_en="")
    page = factories.activity(publish=True, title="Robotics night", activity_type=night)
    page.is_joint_action = True
    page.joint_action_categories.set(
        JointActionCategory.objects.filter(name__in=["科普进社区", "应急科普"])
    )
    page.save_revision().publish()
    page = ActivityPage.objects.get(pk=page.pk)
    english(client)
    html = get(client, page.url)
    assert '<span class="badge" lang="zh-Hans">科学之夜</span>' in html
    assert '<dt>Activity type</dt><dd lang="zh-Hans">科学之夜</dd>' in html
    assert '<dd>Science outreach in communities, <span lang="zh-Hans">应急科普</span></dd>' in html
    listing = get(client, "/activities/", type=night.pk)
    assert f'<option value="{night.pk}" selected>科学之夜</option>' in listing
    assert 'Guangdong · <span lang="zh-Hans">广州市 · 科学之夜</span></p>' in listing
    assert '<span lang="zh-Hans">科学之夜</span>' in get(client, "/")


@pytest.mark.parametrize("page_cache", [False, True], ids=["in-process caches", "page cache"])
def test_r34_no_cache_serves_one_languages_names_to_the_other(
    client, settings, activity, page_cache
):
    """Each page read in Chinese, in English, then in Chinese and English again: with the
    page cache off, the kept cards, reference rows, category names, type filter and home
    summaries are reused; with it on, the second round is answered from stored pages."""
    settings.PAGE_CACHE_SECONDS = 300 if page_cache else 0
    urls = [
        "/",
        "/activities/",
        f"/activities/?type={lecture().pk}&province=440000",
        "/search/?q=机器人",
        activity.url,
        "/api/v2/activities/",
        "/activities/feed/rss/",
    ]
    names = {
        "zh": ("广东省", "科普讲座"),
        "en": ("Guangdong", "Science lecture"),
    }
    detail = {"zh": "科普进社区", "en": "Science outreach in communities"}
    for round_ in range(2):
        for language in ("zh", "en", "zh", "en"):
            (english if language == "en" else chinese)(client)
            other = "zh" if language == "en" else "en"
            for url in urls:
                response = client.get(url)
                html = response.content.decode()
                if url.startswith("/api/"):
                    html = str(response.json())
                # The feed names the place, not the type.
                shown = 1 if "feed" in url else 2
                for name in names[language][:shown]:
                    assert shows(html, name), (language, url, name)
                for name in names[other]:
                    assert not shows(html, name), (language, url, name)
                if url == activity.url:
                    assert detail[language] in html and detail[other] not in html
                if page_cache and round_ == 1:
                    assert response.headers["X-Page-Cache"] == "hit", url


@pytest.mark.parametrize("page_cache", [False, True], ids=["in-process caches", "page cache"])
def test_r34_a_changed_english_name_shows_at_once(client, settings, activity, page_cache):
    settings.PAGE_CACHE_SECONDS = 300 if page_cache else 0
    english(client)
    for url in ("/", "/activities/", activity.url):
        assert "Science lecture" in get(client, url)
    kind = lecture()
    kind.name_en = "Popular science talk"
    kind.save()
    category = JointActionCategory.objects.get(name="科普进社区")
    category.name_en = "Science in the neighbourhood"
    category.save()
    for url in ("/", "/activities/", activity.url):
        html = get(client, url)
        assert "Popular science talk" in html and "Science lecture" not in html, url
    assert "Science in the neighbourhood" in get(client, activity.url)


def test_r34_the_option_lists_edit_their_english_name(admin_client):
    kind = lecture()
    html = admin_client.get(f"/admin/snippets/activities/activitytype/edit/{kind.pk}/")
    assert html.status_code == 200
    assert 'name="name_en"' in html.content.decode()
    assert "Science lecture" in html.content.decode()
    for model in ("jointactioncategory", "specialactioncategory"):
        category = apps.get_model("activities", model).objects.first()
        response = admin_client.get(f"/admin/snippets/activities/{model}/edit/{category.pk}/")
        assert 'name="name_en"' in response.content.decode()
