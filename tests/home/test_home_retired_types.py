"""The home page's "by type" (R27, R32) lists the types in use and the retired ones that
public activities of the year still have: it listed only those in use, so its numbers did
not add up to the total beside them once an administrator unticked 启用 of a type."""

import re

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone
from wagtail.models import Site

from accounts import roles
from activities.models import ActivityType
from home.models import BEIJING, CampaignSettings
from tests import factories

pytestmark = pytest.mark.django_db


def type_links(client):
    response = client.get("/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    links = {}
    for link in soup.select(".type-links a"):
        count = link.select_one(".type-links__count").get_text(strip=True)
        links[link.get_text(" ", strip=True).rsplit(" ", 1)[0]] = (int(count), link["href"])
    total = soup.select_one(".stats__total").get_text(strip=True)
    return links, int(re.search(r"\d+", total).group())


def test_a_retired_type_with_public_activities_is_still_listed_and_counted(client):
    lecture = ActivityType.objects.get(name="科普讲座")
    page = factories.activity(factories.submitter(), publish=True, activity_type=lecture)
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.year = timezone.localtime(page.start_at, BEIJING).year
    campaign.save()
    unused = ActivityType.objects.create(name="已停用的类型", sort_order=98)

    administrator = factories.user(roles.ADMINISTRATORS)
    admin_client = client.__class__()
    admin_client.force_login(administrator)
    for option in (lecture, unused):
        response = admin_client.post(
            f"/admin/snippets/activities/activitytype/edit/{option.pk}/",
            {"name": option.name, "name_en": option.name_en, "sort_order": option.sort_order},
        )
        assert response.status_code == 302

    links, total = type_links(client)
    assert links["科普讲座"][0] == 1
    assert f"?type={lecture.pk}&" in links["科普讲座"][1]
    assert "已停用的类型" not in links
    assert sum(count for count, _href in links.values()) == total == 1
    # Types in use are listed with no activity too, as before.
    assert any(count == 0 for count, _href in links.values())
