"""R29: organizations are found by their short names, places by where an activity is held.

An activity's indexed text held the full names of its units and channel only: 中科院 found
1 activity where 中国科学院 found 96, and 中央网信办, 中宣部, 工信部 found none. Region names
were words of the details, as strong as 北京大学 among the scientists or 北京西路 in an
address: 北京 found 222 activities, 6 of the first 20 outside Beijing. Now the short names are
indexed with the names, and the province, city and county names (and their short forms,
search.fields.place_short_name) are words beside the title (docs/search.md, "Short names and
places")."""

import csv
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.indexing import for_indexing
from activities.models import ActivityPage, OrganizerUnit
from organizations.models import Organization, Region
from search import ranked
from search.fields import place_short_name, place_words
from tests import factories

from .conftest import NEUTRAL

pytestmark = pytest.mark.django_db

# Haidian, Beijing (a municipality: its city is the province's pseudo-city).
BEIJING = {"province_id": "110000", "city_id": None, "county_id": "110108"}
CHENGDU = {"province_id": "510000", "city_id": "510100", "county_id": None}
CARD_TITLE = "li.activity-card .activity-card__title"


@pytest.fixture
def publish(publish_neutral):
    return publish_neutral


def ids(query, limit=20):
    return ranked.ranked_ids(ActivityPage.objects.live(), query, limit)


def ministry(name):
    return Organization.objects.get(name=name, category="ministry")


def search_page(client, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


# Short names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "full, short",
    [("中国科学院", "中科院"), ("国家中医药管理局", "国家中医药局"), ("工业和信息化部", "工信部")],
)
def test_r29_a_host_unit_is_found_by_its_organization_short_name(publish, full, short):
    assert ministry(full).short_name == short  # the library's (organizations.csv)
    page = publish("周末社区开放日", hosts=(full,))
    other = publish("周末社区科学日")
    assert ids(short) == [page.pk]
    assert ids(full) == [page.pk]
    assert other.pk not in ids(short)


@pytest.mark.parametrize(
    "full, short",
    [("中共中央宣传部", "中宣部"), ("中央网络安全和信息化委员会办公室", "中央网信办")],
)
def test_r29_the_channel_is_found_by_its_short_name(publish, full, short):
    page = publish("周末社区开放日", channel_category="ministry", channel=ministry(full), **BEIJING)
    assert ids(short) == [page.pk]


def test_r29_an_organizer_unit_and_the_search_page_find_the_short_name(client, publish):
    owner = factories.submitter()
    fields = factories.activity_fields(title="周末社区开放日", **NEUTRAL)
    page = ActivityPage(owner=owner, live=False, poster=factories.poster(owner), **fields)
    organization = ministry("中国科学院")
    page.organizer_units.add(OrganizerUnit(organization=organization, name=organization.name))
    factories.index().add_child(instance=page)
    page.save_revision(user=owner).publish()
    cards = search_page(client, "中科院").select(CARD_TITLE)
    assert [card.get_text(strip=True) for card in cards] == ["周末社区开放日"]


def test_r29_a_changed_short_name_reindexes_the_activities_naming_it(
    publish, django_capture_on_commit_callbacks
):
    """The rule a renamed organization follows (activities.indexing): its short name is
    indexed text too."""
    organization = Organization.objects.create(
        name="青松天文爱好者协会",
        short_name="天爱会",
        category=Organization.Category.OTHER,
        province_id="440000",
        status=Organization.Status.CERTIFIED,
    )
    page = publish("周末社区开放日", hosts=(organization.name,))
    assert ids("天爱会") == [page.pk]
    with django_capture_on_commit_callbacks(execute=True):
        organization.short_name = "星河社"
        organization.save()
    assert ids("星河社") == [page.pk]
    assert ids("天爱会") == []


def test_r29_indexing_in_batches_reads_the_short_names_without_more_queries(publish):
    """for_indexing reads every unit's organization in its prefetch: the short names cost
    no query per activity, for the reindexers (activities.indexing) as for one save."""
    pages = [
        publish(f"周末社区开放日{number}", hosts=("中国科学院", "工业和信息化部"))
        for number in range(3)
    ]

    def queries(page_ids):
        with CaptureQueriesContext(connection) as captured:
            for page in for_indexing(page_ids):
                assert "中科院" in page.search_text() and "工信部" in page.search_text()
                assert "广州" in page.search_filters().split()
        return len(captured)

    assert queries([pages[0].pk]) == queries([page.pk for page in pages])


# Places -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, short",
    [
        ("北京市", "北京"),
        ("四川省", "四川"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("内蒙古自治区", "内蒙古"),
        ("西藏自治区", "西藏"),
        ("香港特别行政区", "香港"),
        ("海淀区", "海淀"),
        ("唐山市", "唐山"),
        ("恩施土家族苗族自治州", "恩施"),
        ("伊犁哈萨克自治州", "伊犁"),
        ("双江拉祜族佤族布朗族傣族自治县", "双江"),
        ("莫力达瓦达斡尔族自治旗", "莫力达瓦"),
        ("浦东新区", "浦东"),
        ("清新区", "清新"),
        ("沙县", None),
    ],
)
def test_a_place_short_name_drops_the_administrative_suffix(name, short):
    assert place_short_name(name) == short


def test_every_region_is_found_by_its_name_and_its_short_name():
    """What a query for the name or the short form asks for (its words), every region's
    words beside the title hold."""
    from search.segment import needed_words, segment_query

    path = Path(__file__).resolve().parents[2] / "organizations/data/regions.csv"
    with path.open(encoding="utf-8") as source:
        names = [row["name"] for row in csv.DictReader(source)]
    assert Region.objects.count() >= len(names) - 10
    for name in names:
        indexed = set(place_words([name]))
        for query in filter(None, (name, place_short_name(name))):
            assert set(needed_words(segment_query(query)).split()) <= indexed, (name, query)


def test_r29_activities_held_in_a_place_come_before_mentions_of_it(publish):
    """北京 in the scientists (北京大学) or an address (北京西路) outside Beijing ranked with
    the activities held there, newest first: now those held there are title matches."""
    held = publish("周末社区开放日", **BEIJING)
    publish("周末社区科学日", scientists="北京大学物理学院", **CHENGDU)
    publish("周末社区观星夜", address="南京市北京西路1号", province_id="320000", city_id="320100")
    found = ids("北京")
    assert len(found) == 3 and found[0] == held.pk
    assert ids("海淀") == [held.pk]
    assert ids("北京市") == [held.pk]  # the others hold 北京 only, not 北京市


def test_r29_short_and_full_place_names_find_the_same_activities(publish):
    """四川 found 232 activities and 四川省 164: the short name also found 四川大学 and the
    like in the details. Both now put the activities held there first."""
    held = publish("周末社区开放日", **CHENGDU)
    mention = publish("周末社区科学日", scientists="四川大学团队", **BEIJING)
    assert ids("四川省") == [held.pk]
    assert ids("四川") == [held.pk, mention.pk]
    assert ids("成都") == ids("成都市") == [held.pk]


def test_r29_a_title_naming_the_place_ranks_before_one_only_held_there(publish):
    """The place's words are unboosted beside the title: a title naming the place, held
    there or not, ranks first; then the activities held there; then mentions elsewhere."""
    held = publish("周末社区开放日", **BEIJING)
    named_and_held = publish("北京科技周开幕式", **BEIJING)
    named = publish("北京科学家进校园", **CHENGDU)
    mention = publish("周末社区科学日", scientists="北京大学物理学院", **CHENGDU)
    found = ids("北京")
    assert set(found[:2]) == {named_and_held.pk, named.pk}
    assert found[2:] == [held.pk, mention.pk]


def test_r29_region_words_beside_the_title_are_not_marked_in_the_card(client, publish):
    """The card highlights its real title only: an activity found by where it is held shows
    its title unmarked; one whose title names the place has that marked."""
    publish("周末社区开放日", **BEIJING)
    publish("北京科技周开幕式", **BEIJING)
    soup = search_page(client, "北京")
    cards = {card.get_text(strip=True): card for card in soup.select(CARD_TITLE)}
    assert set(cards) >= {"周末社区开放日", "北京科技周开幕式"}
    assert cards["周末社区开放日"].select("mark") == []
    assert [mark.get_text() for mark in cards["北京科技周开幕式"].select("mark")] == ["北京"]
