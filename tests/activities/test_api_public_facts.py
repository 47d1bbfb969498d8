"""The API carries the detail page's public facts (R30, R31), found by a visitor audit:
it left out the participating scientists, expected participants, how to take part, the
highlights and the 优秀活动 mark, though the page shows them all. The contact person and
phone stay on the page only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.nomination_models import Nomination
from tests import factories

pytestmark = pytest.mark.django_db


def test_r31_an_activity_in_the_api_has_the_pages_public_facts(client):
    owner = factories.submitter()
    page = factories.activity(
        owner=owner,
        publish=True,
        scientists="中国科学院院士张三",
        expected_participants=300,
        participation_channel="现场报名",
        highlights="院士面对面",
    )
    item = client.get(f"/api/v2/activities/{page.pk}/").json()
    assert item["scientists"] == "中国科学院院士张三"
    assert item["expected_participants"] == 300
    assert item["participation_channel"] == "现场报名"
    assert item["highlights"] == "院士面对面"
    assert item["is_recommended"] is False
    assert "contact_phone" not in item and "contact_person" not in item

    Nomination.objects.update_or_create(page=page, defaults={"recommended": True})
    [listed] = client.get("/api/v2/activities/").json()["items"]
    assert listed["is_recommended"] is True
    assert listed["scientists"] == "中国科学院院士张三"
    assert "highlights" not in listed  # a long text, as content and details


def test_r31_the_recommended_mark_costs_no_query_per_activity(client):
    owner = factories.submitter()
    image = factories.poster(owner)

    def listing_queries():
        with CaptureQueriesContext(connection) as captured:
            items = client.get("/api/v2/activities/", {"limit": 100}).json()["items"]
        return len(captured), len(items)

    for number in range(3):
        page = factories.activity(owner=owner, publish=True, poster=image, title=f"活动{number}")
        Nomination.objects.update_or_create(page=page, defaults={"recommended": True})
    listing_queries()  # the first request also reads the sites and settings
    few = listing_queries()
    for number in range(3, 12):
        page = factories.activity(owner=owner, publish=True, poster=image, title=f"活动{number}")
        Nomination.objects.update_or_create(page=page, defaults={"recommended": True})
    listing_queries()  # the count, recounted after the publications
    many = listing_queries()
    assert (few[1], many[1]) == (3, 12)
    assert many[0] == few[0]
