"""The review desk's 省份 column and filter are the activity's own region (R9, R28), so a
ministry's or a national society's activity, which has no reviewing province, is found by
province on the national desk; a province step still names the province whose moderators
review it (R20). Audit B, finding 11."""

import html as html_lib
import re

import pytest

from organizations.models import Organization
from tests import factories

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(people):
    submitter = people["submitter"]
    image = factories.poster(submitter)
    society = factories.channel("中国化学会", "national_society")
    pages = {
        # National route, held in Jiangsu: no reviewing province.
        "society": factories.activity(
            owner=submitter,
            title="绿色化学进校园巡讲",
            poster=image,
            province_id="320000",
            city_id=None,
            channel_category="national_society",
            channel=society,
        ),
        # Province route through Guangdong's moderators, held in Beijing.
        "guangdong": factories.activity(
            owner=submitter,
            title="粤京联合科普展",
            poster=image,
            province_id="110000",
            city_id=None,
        ),
        "beijing": factories.activity(
            owner=submitter,
            title="北京科普讲座",
            poster=image,
            province_id="110000",
            city_id=None,
            channel=Organization.objects.get(name="北京市科学技术协会", category="provincial"),
        ),
    }
    for page in pages.values():
        submit(page, submitter)
    return pages


def desk(client, user, **params):
    """{title: row text} of the desk's table."""
    client.force_login(user)
    response = client.get("/admin/review/", params)
    assert response.status_code == 200
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S):
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for title in ("绿色化学进校园巡讲", "粤京联合科普展", "北京科普讲座"):
            if title in text:
                found[title] = text
    return found


def test_the_national_desk_finds_a_society_activity_by_its_province(client, people, waiting):
    """R9/R28: the audit's case, activity 25 (中国化学会, held in 江苏) was missing from
    ?province=320000 and its 省份 read "—"."""
    rows = desk(client, people["national"], province="320000")
    assert set(rows) == {"绿色化学进校园巡讲"}
    assert "江苏省" in rows["绿色化学进校园巡讲"]


def test_the_column_and_filter_are_the_activitys_region(client, people, waiting):
    """The province step is the channel's province (R20) and says so; the 省份 column and
    filter are where the activity takes place."""
    root = people["superuser"]
    rows = desk(client, root)
    assert set(rows) == {"绿色化学进校园巡讲", "粤京联合科普展", "北京科普讲座"}
    # Held in Beijing, reviewed by Guangdong's moderators.
    assert "北京市" in rows["粤京联合科普展"]
    assert "广东省" in rows["粤京联合科普展"]
    # A national step names no reviewing province.
    assert "广东省" not in rows["绿色化学进校园巡讲"] and "北京市" not in rows["绿色化学进校园巡讲"]

    assert set(desk(client, root, province="110000")) == {"粤京联合科普展", "北京科普讲座"}
    assert set(desk(client, root, province="440000")) == set()
    assert set(desk(client, root, province="320000")) == {"绿色化学进校园巡讲"}
    assert set(desk(client, root, province="110000", channel_category="provincial")) == {
        "粤京联合科普展",
        "北京科普讲座",
    }


def test_each_province_still_reviews_by_the_channels_province(client, people, waiting):
    """R20: the queue is the review province's, whatever the region filter says."""
    assert set(desk(client, people["guangdong"])) == {"粤京联合科普展"}
    assert set(desk(client, people["guangdong"], province="110000")) == {"粤京联合科普展"}
    assert set(desk(client, people["beijing"])) == {"北京科普讲座"}
    assert set(desk(client, people["national"])) == {"绿色化学进校园巡讲"}
