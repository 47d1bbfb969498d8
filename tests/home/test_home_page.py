"""The home page (R27, #8): the campaign settings, the activity index and the activity
types are kept under the site version, so a second view reads only the upcoming cards;
whatever changes them shows at once (page cache off)."""

import re

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from activities.models import ActivityIndexPage, ActivityType
from home.models import CampaignSettings
from tests import factories

pytestmark = pytest.mark.django_db


def _home(client):
    response = client.get("/")
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_R27_a_second_view_reads_only_the_upcoming_activities(client):
    factories.activity(factories.submitter(), publish=True)
    first = str(_home(client))
    assert str(_home(client)) == first
    with CaptureQueriesContext(connection) as queries:
        assert str(_home(client)) == first
    sqls = [query["sql"] for query in queries.captured_queries]
    # Ongoing, then upcoming: one query per segment of the order.
    assert 1 <= len(sqls) <= 2, sqls
    for table in ("home_campaignsettings", "activities_activityindexpage", "wagtailcore_site"):
        assert not any(table in sql for sql in sqls), table
    assert not any('FROM "activities_activitytype"' in sql for sql in sqls)


def test_R27_a_changed_campaign_theme_shows_at_once(client):
    _home(client)
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.theme = "走近科学，共筑未来"
    campaign.save()
    assert _home(client).select_one(".hero__title").get_text(strip=True) == "走近科学，共筑未来"


def test_R27_activity_types_and_the_index_show_changes_at_once(client):
    before = _home(client).get_text()
    kind = ActivityType.objects.create(name="天文观测夜", sort_order=99, is_active=True)
    assert "天文观测夜" not in before and "天文观测夜" in _home(client).get_text()
    kind.is_active = False
    kind.save()
    assert "天文观测夜" not in _home(client).get_text()
    index = ActivityIndexPage.objects.get()
    index.slug = "all-activities"
    index.save_revision().publish()
    hrefs = [a["href"] for a in _home(client).select("a[href]")]
    assert "/all-activities/" in hrefs, hrefs


def test_R32_the_public_summary_counts_the_campaigns_year(client):
    """The summary counted every live activity of every year under the year's heading. It
    counts those of the year (Beijing time): ones held within it, as its links list them
    (an activity spanning New Year counts in both years: the next test)."""
    import datetime

    from activities.stats import approved_activities

    owner = factories.submitter()
    beijing = datetime.timezone(datetime.timedelta(hours=8))
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.year = 2025
    campaign.save()
    for title, start in (
        ("上一年的科普活动", datetime.datetime(2024, 12, 31, 22, 0, tzinfo=beijing)),
        ("本年度第一个活动", datetime.datetime(2025, 1, 1, 0, 0, tzinfo=beijing)),
        ("本年度第二个活动", datetime.datetime(2025, 9, 20, 9, 0, tzinfo=beijing)),
    ):
        end = start + datetime.timedelta(hours=1)
        factories.activity(owner, publish=True, title=title, start_at=start, end_at=end)
    home = _home(client)
    assert "2025" in home.select_one(".stats h2").get_text()
    total = home.select_one(".stats__total").get_text()
    assert [int(number) for number in re.findall(r"\d+", total)] == [2], total
    assert approved_activities(2025).count() == 2
    guangdong = home.select_one('.stats__table a[href*="province=440000"]')
    assert guangdong.find_parent("tr").select("td")[1].get_text() == "2"
    assert "from=2025-01-01" in guangdong["href"] and "to=2025-12-31" in guangdong["href"]
    lecture = home.select_one(".type-links a")
    assert "from=2025-01-01" in lecture["href"]


def test_R30_home_and_listing_describe_themselves_for_sharing(client):
    """A link to the home page or the listing shared in WeChat showed no title or summary."""
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.theme = "科技创新 强国有我"
    campaign.save()
    home = _home(client)
    assert len(home.select('meta[name="description"]')) == 1
    assert str(campaign.year) in home.select_one('meta[name="description"]')["content"]
    assert home.select_one('meta[property="og:title"]')["content"] == "科技创新 强国有我"
    listing = BeautifulSoup(client.get("/activities/").content.decode(), "html.parser")
    assert len(listing.select('meta[name="description"]')) <= 1
    assert listing.select_one('meta[property="og:title"]')["content"] == (
        ActivityIndexPage.objects.get().title
    )


def test_R32_each_summary_number_is_what_its_link_lists(client):
    """Found by an audit: the summary counted activities starting in the campaign year and
    linked to the listing of those taking place in it, so an exhibition running over New
    Year was listed but not counted (科普展览 9, its link 10)."""
    import datetime

    from django.utils import timezone

    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    year = campaign.year
    owner = factories.submitter()
    show = ActivityType.objects.get(name="科普展览")

    def at(*args):
        return timezone.make_aware(datetime.datetime(*args))

    for title, start, end in (
        ("跨年的科普展览", at(year - 1, 12, 11, 9), at(year, 1, 1, 9, 30)),
        ("年内的科普展览", at(year, 9, 20, 9), at(year, 9, 20, 17)),
        ("去年的科普展览", at(year - 1, 9, 20, 9), at(year - 1, 9, 20, 17)),
        ("明年的科普展览", at(year + 1, 1, 2, 9), at(year + 1, 1, 2, 17)),
    ):
        factories.activity(
            owner, publish=True, title=title, activity_type=show, start_at=start, end_at=end
        )
    home = _home(client)
    link = next(a for a in home.select(".type-links a") if "科普展览" in a.get_text())
    shown = int(link.select_one(".type-links__count").get_text())
    assert shown == 2
    listed = client.get(link["href"]).content.decode()
    assert f"共 {shown} 个活动" in listed
    assert "跨年的科普展览" in listed and "去年的科普展览" not in listed
    province = home.select_one(".stats a")
    count = int(province.find_parent("tr").select("td")[1].get_text())
    assert f"共 {count} 个活动" in client.get(province["href"]).content.decode()
