"""Reference rows of a routed activity (home/references.py, #8): its regions, type,
channel and poster come from the process's copy kept under the site version instead of
being joined into the routing query, and whatever changes them shows at once (R30)."""

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.cache import SITE, current_version
from activities.models import ActivityPage, ActivityType, HostUnit
from home import references
from home.references import attach
from organizations.models import Organization, Region
from tests import factories

pytestmark = pytest.mark.django_db

REFERENCE_TABLES = (
    '"organizations_region"',
    '"activities_activitytype"',
    '"wagtailimages_image"',
)


def _facts(client, page):
    soup = BeautifulSoup(client.get(page.url).content.decode(), "html.parser")
    facts = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in soup.select("dl.facts dt")
    }
    facts["poster alt"] = soup.select_one(".activity__poster img")["alt"]
    facts["poster src"] = soup.select_one(".activity__poster img")["src"]
    return facts


@pytest.fixture
def owner():
    return factories.submitter()


@pytest.fixture
def activity(owner):
    # Not "page": pytest-playwright's browser page has that name.
    return factories.activity(
        owner, publish=True, title="天河区湿地观鸟", county_id="440106", poster=factories.poster()
    )


def test_R30_a_routed_activity_joins_no_reference_table_yet_shows_them(client, activity):
    page = activity
    first = _facts(client, page)
    with CaptureQueriesContext(connection) as queries:
        assert _facts(client, page) == first
    # The page itself; its units are kept per live revision.
    assert len(queries.captured_queries) == 1
    for query in queries.captured_queries:
        for table in REFERENCE_TABLES:
            assert table not in query["sql"], (table, query["sql"][:200])
    assert first["地区"].split()[:3] == ["广东省", "广州市", "天河区"]
    assert first["活动类型"] == "科普讲座"
    assert first["归口单位"] == "广东省科学技术协会"
    assert first["poster alt"] == "活动宣传图：天河区湿地观鸟"


@pytest.mark.parametrize(
    "rename",
    [
        lambda page: Region.objects.filter(pk="440106").first(),
        lambda page: Region.objects.filter(pk="440000").first(),
        lambda page: ActivityType.objects.get(pk=page.activity_type_id),
        lambda page: Organization.objects.get(pk=page.channel_id),
    ],
    ids=["county", "province", "type", "channel"],
)
def test_R30_a_renamed_reference_shows_at_once(client, activity, rename):
    page = activity
    before = _facts(client, page)
    row = rename(page)
    old = row.name
    row.name = old + "（新）"
    row.save()
    after = _facts(client, page)
    changed = {name for name in before if before[name] != after[name]}
    assert changed and all(old + "（新）" in after[name] for name in changed)


def test_R30_a_changed_or_replaced_poster_shows_at_once(client, owner, activity):
    """The alt names the activity (not the image's title, often a file name), so a new
    poster shows by its picture."""
    page = activity
    before = _facts(client, page)
    page = ActivityPage.objects.get(pk=page.pk)
    page.poster = factories.poster(owner, title="第二张海报")
    page.save_revision(user=owner).publish()
    after = _facts(client, page)
    assert after["poster src"] != before["poster src"]
    stored = page.poster.file.name.rsplit("/", 1)[-1].split(".")[0]
    assert stored in after["poster src"]
    assert after["poster alt"] == "活动宣传图：天河区湿地观鸟"


def test_R30_rows_not_kept_yet_are_read_in_one_query(client, activity):
    page = activity
    first = _facts(client, page)
    references.memory.clear()
    cache.delete_many(_shared_keys(page))
    with CaptureQueriesContext(connection) as queries:
        assert _facts(client, page) == first
    joined = [
        q["sql"]
        for q in queries.captured_queries
        if any(table in q["sql"] for table in REFERENCE_TABLES)
    ]
    assert len(joined) == 1 and all(table in joined[0] for table in REFERENCE_TABLES)
    with CaptureQueriesContext(connection) as queries:
        assert _facts(client, page) == first
    assert len(queries.captured_queries) == 1


def _shared_keys(page):
    version = current_version(SITE)
    rows = [
        ("organizations.region", page.province_id),
        ("organizations.region", page.city_id),
        ("organizations.region", page.county_id),
        ("activities.activitytype", page.activity_type_id),
        ("organizations.organization", page.channel_id),
        ("wagtailimages.image", page.poster_id),
    ]
    return [f"ref:{version}:{label}:{pk}" for label, pk in rows]


def test_R30_each_page_gets_its_own_copy(activity):
    page = activity
    one = ActivityPage.objects.get(pk=page.pk)
    two = ActivityPage.objects.get(pk=page.pk)
    attach(one, ActivityPage.DETAIL_REFERENCES)
    attach(two, ActivityPage.DETAIL_REFERENCES)
    assert one.province == two.province and one.province is not two.province
    one.province.name = "改过的名字"
    attach(two, ActivityPage.DETAIL_REFERENCES)
    assert two.province.name == "广东省"


def test_R30_an_empty_key_is_none_without_a_query(activity):
    page = activity
    page = ActivityPage.objects.get(pk=page.pk)
    page.city_id = page.county_id = None
    with CaptureQueriesContext(connection) as queries:
        attach(page, ("city", "county"))
        assert page.city is None and page.county is None
    assert queries.captured_queries == []


def test_R30_units_are_kept_per_live_revision_and_show_changes_at_once(client, owner, activity):
    page = activity
    assert _facts(client, page)["主办单位"] == "广州市科学技术协会"
    # A draft does not change the public page...
    page = ActivityPage.objects.get(pk=page.pk)
    page.host_units.add(HostUnit(name="天河区科协"))
    page.save_revision(user=owner)
    assert _facts(client, page)["主办单位"] == "广州市科学技术协会"
    # ...its publication does, at once.
    page = ActivityPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    page.save_revision(user=owner).publish()
    assert _facts(client, page)["主办单位"] == "广州市科学技术协会、天河区科协"
    # A host organization renamed (the site version) shows at once too.
    organization = Organization.objects.get(name="广州市科学技术协会")
    organization.name = "广州市科协"
    organization.save()
    assert _facts(client, page)["主办单位"] == "广州市科协、天河区科协"
    with CaptureQueriesContext(connection) as queries:
        _facts(client, page)
    assert not any("activities_hostunit" in query["sql"] for query in queries.captured_queries)
