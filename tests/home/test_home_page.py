"""The home page (R27, #8): the campaign settings, the activity index and the activity
types are kept under the site version, so a second view reads only the upcoming cards;
whatever changes them shows at once (page cache off)."""

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
