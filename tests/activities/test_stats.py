"""Statistics over approved activities (R32): hand-checked counts, exclusions, province
scope, exports that match the screen, the quota split, one query per aggregate."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts import roles
from activities import stats
from activities.models import ActivityPage, ActivityType
from organizations.models import Organization
from tests import factories
from workflow.takedown import take_down

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
URL = "/admin/stats/"


def at(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def seeded(owner, national):
    """Five approved 2026 activities (A–E) and seven that must not count."""
    image = factories.poster(owner)
    lecture = ActivityType.objects.get(name="科普讲座")
    show = ActivityType.objects.get(name="科普展览")
    guangdong = factories.channel()
    chemistry = Organization.objects.get(name="中国化学会")

    def make(title, province, channel, kind, mode, youth, start, publish=True):
        return factories.activity(
            owner=owner,
            publish=publish,
            title=title,
            poster=image,
            province_id=province,
            city_id="440100" if province == "440000" else None,
            channel_category=channel.category,
            channel=channel,
            activity_type=kind,
            mode=mode,
            is_youth_festival=youth,
            start_at=start,
            end_at=start + datetime.timedelta(hours=3),
        )

    with time_machine.travel(IN_WINDOW, tick=False):
        pages = {
            "A": make("广州讲座A", "440000", guangdong, lecture, "offline", False, at(2026, 9, 15)),
            "B": make("深圳展览B", "440000", guangdong, show, "both", True, at(2026, 9, 16)),
            "C": make("北京讲座C", "110000", chemistry, lecture, "online", True, at(2026, 9, 20)),
            "D": make("上海展览D", "310000", chemistry, show, "offline", False, at(2026, 9, 22)),
            # 23:30 on 31 December in Beijing is still 2026 (15:30 UTC).
            "E": make(
                "广州跨年E",
                "440000",
                chemistry,
                lecture,
                "offline",
                False,
                at(2026, 12, 31, 23, 30),
            ),
            # 00:30 on 1 January in Beijing is 2027, though still 2026 in UTC.
            "next_year": make(
                "广州新年", "440000", guangdong, lecture, "offline", False, at(2027, 1, 1, 0, 30)
            ),
            "last_year": make(
                "去年活动", "440000", guangdong, lecture, "offline", False, at(2025, 9, 20)
            ),
            "draft": make(
                "草稿", "440000", guangdong, lecture, "offline", False, at(2026, 9, 18), False
            ),
            "review": make(
                "审核中", "440000", guangdong, lecture, "offline", False, at(2026, 9, 18), False
            ),
            "taken": make("被下架", "440000", guangdong, lecture, "offline", True, at(2026, 9, 18)),
        }
        pages["review"].get_workflow().start(pages["review"], owner)
        take_down(ActivityPage.objects.get(pk=pages["taken"].pk), national, "原因")
    return pages


EXPECTED_ALL = {
    "channel_category": [("National society", 3), ("Provincial science association", 2)],
    "channel": [("中国化学会", 3), ("广东省科学技术协会", 2)],
    "province": [("广东省", 3), ("上海市", 1), ("北京市", 1)],
    "activity_type": [("科普讲座", 3), ("科普展览", 2)],
    "mode": [("Offline", 3), ("Online", 1), ("Online and offline", 1)],
    "youth": [("Not in the youth science festival", 3), ("Youth science festival", 2)],
    "week": [("2026-W38", 3), ("2026-W39", 1), ("2026-W53", 1)],
}

# R20, R32: a province's report covers its own channels' activities (its review scope),
# wherever held: 中国化学会's activity in 广州 (E) is national, not Guangdong's.
EXPECTED_GUANGDONG = {
    "channel_category": [("Provincial science association", 2)],
    "channel": [("广东省科学技术协会", 2)],
    "province": [("广东省", 2)],
    "activity_type": [("科普展览", 1), ("科普讲座", 1)],
    "mode": [("Offline", 1), ("Online and offline", 1)],
    "youth": [("Not in the youth science festival", 1), ("Youth science festival", 1)],
    "week": [("2026-W38", 2)],
}


def as_dict(report):
    return {key: rows for key, _title, rows in report}


def test_counts_equal_hand_computed_numbers(seeded):
    """R32: only approved, live activities of the campaign year (Beijing time) count."""
    with translation.override("en"):
        assert as_dict(stats.report(2026)) == EXPECTED_ALL
        assert as_dict(stats.report(2026, province="440000")) == EXPECTED_GUANGDONG


def test_drafts_review_taken_down_and_other_years_are_excluded(seeded):
    counted = set(stats.approved_activities(2026).values_list("title", flat=True))
    assert counted == {"广州讲座A", "深圳展览B", "北京讲座C", "上海展览D", "广州跨年E"}
    assert set(stats.approved_activities(2027).values_list("title", flat=True)) == {"广州新年"}
    assert set(stats.approved_activities(2025).values_list("title", flat=True)) == {"去年活动"}


def test_each_aggregate_is_one_grouped_query(seeded):
    queryset = stats.approved_activities(2026)
    for _key, _title, function in stats.dimensions():
        with CaptureQueriesContext(connection) as queries:
            function(queryset)
        assert len(queries) == 1, function.__name__
        assert "GROUP BY" in queries[0]["sql"].upper()


# --- the admin report ---------------------------------------------------------------------


def screen_tables(response):
    soup = BeautifulSoup(response.content, "html.parser")
    tables = {}
    for table in soup.select("table.stats-table"):
        rows = []
        for tr in table.select("tbody tr"):
            cells = [cell.get_text(strip=True) for cell in tr.find_all(["th", "td"])]
            rows.append([cells[0], *[int(cell) for cell in cells[1:]]])
        tables[table["data-key"]] = rows
    return tables


def test_national_moderator_sees_every_province_with_charts(client, seeded, national):
    client.force_login(national)
    response = client.get(URL, {"year": 2026}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    tables = screen_tables(response)
    with translation.override(response.headers.get("Content-Language", "zh-hans")):
        expected = as_dict(stats.report(2026))
    for key, rows in expected.items():
        assert tables[key] == [list(row) for row in rows]
    # Numbers alone, whatever the admin language: the hand-computed ones.
    assert [count for _label, count in tables["province"]] == [3, 1, 1]
    assert [count for _label, count in tables["week"]] == [3, 1, 1]
    soup = BeautifulSoup(response.content, "html.parser")
    charts = soup.select("svg.stats-chart[role=img]")
    assert len(charts) == len(stats.dimensions())
    assert all(chart.find("title") and chart.get("aria-labelledby") for chart in charts)
    assert b'<script src="http' not in response.content


def test_year_defaults_to_the_campaign_year(client, seeded, national):
    from wagtail.models import Site

    from home.models import CampaignSettings

    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.year = 2027
    campaign.save()
    client.force_login(national)
    tables = screen_tables(client.get(URL))
    assert tables["channel"] == [["广东省科学技术协会", 1]]


def test_province_moderator_sees_only_their_province(client, seeded):
    moderator = factories.user(roles.PROVINCE_MODERATORS, province="440000")
    client.force_login(moderator)
    response = client.get(URL, {"year": 2026, "province": "110000"})
    assert response.status_code == 200
    tables = screen_tables(response)
    assert tables["province"] == [["广东省", 2]]
    assert [count for _label, count in tables["channel"]] == [2]
    exported = client.get(URL, {"year": 2026, "province": "110000", "export": "csv"})
    assert "北京市" not in exported.content.decode("utf-8-sig")
    assert "kepuri-stats-2026-440000.csv" in exported["Content-Disposition"]


def test_submitters_and_others_are_refused(client, seeded, owner):
    client.force_login(owner)
    assert client.get(URL, {"year": 2026}).status_code == 403
    assert client.get(URL, {"year": 2026, "export": "xlsx"}).status_code == 403
    # Without any role Wagtail's admin itself turns the user away before the report.
    client.force_login(factories.user())
    response = client.get(URL, {"year": 2026, "export": "csv"})
    assert response.status_code in (302, 403)
    assert "广东省" not in response.content.decode()


def test_menu_item_only_for_those_who_may_see(client, seeded, national, owner):
    client.force_login(national)
    assert b"/admin/stats/" in client.get("/admin/").content
    moderator = factories.user(roles.PROVINCE_MODERATORS, province="440000")
    client.force_login(moderator)
    assert b"/admin/stats/" in client.get("/admin/").content
    client.force_login(owner)
    assert b"/admin/stats/" not in client.get("/admin/").content


def csv_tables(content):
    sections, current = [], None
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))):
        if not row:
            current = None
        elif current is None:
            current = {"title": row[0], "rows": []}
            sections.append(current)
        elif "headings" not in current:
            current["headings"] = row
        else:
            current["rows"].append([row[0], *[int(cell) for cell in row[1:]]])
    return [section["rows"] for section in sections]


def xlsx_tables(content):
    workbook = load_workbook(io.BytesIO(content))
    return [
        [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
        for sheet in workbook.worksheets
    ]


def test_csv_and_xlsx_match_the_screen(client, seeded, national):
    client.force_login(national)
    params = {"year": 2026, "places": 10}
    on_screen = list(screen_tables(client.get(URL, params)).values())
    assert len(on_screen) == len(stats.dimensions()) + 1  # and the quota table
    assert on_screen[-1] == [["中国化学会", 3, 6], ["广东省科学技术协会", 2, 4]]

    exported = client.get(URL, {**params, "export": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    assert "kepuri-stats-2026.csv" in exported["Content-Disposition"]
    assert csv_tables(exported.content) == on_screen

    exported = client.get(URL, {**params, "export": "xlsx"})
    assert "kepuri-stats-2026.xlsx" in exported["Content-Disposition"]
    assert xlsx_tables(exported.content) == on_screen


# --- the quota split ----------------------------------------------------------------------


def test_split_quota_sums_to_total_and_is_proportional():
    rows = [("甲", 50), ("乙", 30), ("丙", 20)]
    assert stats.split_quota(10, rows) == [("甲", 50, 5), ("乙", 30, 3), ("丙", 20, 2)]
    rows = [("a", 7), ("b", 5), ("c", 3), ("d", 1)]
    result = stats.split_quota(13, rows)
    assert sum(places for _l, _c, places in result) == 13
    for label, count, places in result:
        exact = 13 * count / 16
        assert int(exact) <= places <= int(exact) + 1, label
    # 13*7/16=5.69, 13*5/16=4.06, 13*3/16=2.44, 13*1/16=0.81: floors 5,4,2,0; the 2 left
    # go to the largest remainders (d 0.81, a 0.69).
    assert [places for _l, _c, places in result] == [6, 4, 2, 1]


def test_split_quota_breaks_ties_deterministically():
    assert stats.split_quota(10, [("a", 1), ("b", 1), ("c", 1)]) == [
        ("a", 1, 4),
        ("b", 1, 3),
        ("c", 1, 3),
    ]
    # The input order does not change who gets the extra place.
    assert stats.split_quota(10, [("c", 1), ("b", 1), ("a", 1)]) == [
        ("c", 1, 3),
        ("b", 1, 3),
        ("a", 1, 4),
    ]
    # Equal remainders (0.5 each): the larger count wins before the label.
    assert stats.split_quota(2, [("a", 1), ("b", 3)]) == [("a", 1, 0), ("b", 3, 2)]
    result = stats.split_quota(1, [("a", 1), ("b", 3)])
    assert result == [("a", 1, 0), ("b", 3, 1)]


def test_split_quota_zero_and_empty():
    assert stats.split_quota(0, [("a", 3), ("b", 1)]) == [("a", 3, 0), ("b", 1, 0)]
    assert stats.split_quota(10, []) == []
    assert stats.split_quota(5, [("a", 0), ("b", 0)]) == [("a", 0, 0), ("b", 0, 0)]
    with pytest.raises(ValueError):
        stats.split_quota(-1, [("a", 1)])


# --- counts kept until the next publication (#8) --------------------------------------------


def _grouping_queries(queries):
    return [query for query in queries if "GROUP BY" in query["sql"].upper()]


def test_counts_are_counted_once_until_a_publication_changes_them(seeded, owner, national):
    """#8: the report counts every approved activity of the year (0.9 s at a million), so
    its counts are kept until the next publication. Approving through the real workflow
    and taking down both show at once."""
    from tests.workflow.conftest import action_url, current_task_state, submit

    with translation.override("en"):
        assert as_dict(stats.report(2026)) == EXPECTED_ALL
        with CaptureQueriesContext(connection) as queries:
            assert as_dict(stats.report(2026)) == EXPECTED_ALL
        assert _grouping_queries(queries) == []

        with time_machine.travel(IN_WINDOW, tick=False):
            pending = factories.activity(
                owner=owner,
                title="等待全国审核的化学活动",
                channel_category="national_society",
                channel=Organization.objects.get(name="中国化学会"),
                province_id="110000",
                city_id=None,
                start_at=at(2026, 9, 21),
                end_at=at(2026, 9, 21, 18),
            )
            submit(pending, owner)
        assert as_dict(stats.report(2026))["province"] == EXPECTED_ALL["province"]

        moderator = Client()
        moderator.force_login(national)
        task_state = current_task_state(pending)
        response = moderator.post(action_url(pending, "approve", task_state), {"comment": ""})
        assert response.status_code in {200, 302}
        assert ActivityPage.objects.get(pk=pending.pk).live
        assert as_dict(stats.report(2026))["province"] == [
            ("广东省", 3),
            ("北京市", 2),
            ("上海市", 1),
        ]

        take_down(ActivityPage.objects.get(pk=seeded["D"].pk), national, "信息有误")
        assert as_dict(stats.report(2026))["province"] == [("广东省", 3), ("北京市", 2)]


def test_a_renamed_organization_shows_its_new_name(seeded):
    """Names are part of the kept rows: changing an organization changes the site version."""
    with translation.override("en"):
        assert as_dict(stats.report(2026))["channel"][0] == ("中国化学会", 3)
        chemistry = Organization.objects.get(name="中国化学会")
        chemistry.name = "中国化学学会"
        chemistry.save()
        assert as_dict(stats.report(2026))["channel"][0] == ("中国化学学会", 3)


def test_years_and_provinces_are_kept_apart(seeded):
    with translation.override("en"):
        assert as_dict(stats.report(2026, province="440000")) == EXPECTED_GUANGDONG
        assert as_dict(stats.report(2026)) == EXPECTED_ALL
        assert as_dict(stats.report(2027))["province"] == [("广东省", 1)]
        assert as_dict(stats.report(2026, province="440000")) == EXPECTED_GUANGDONG


def test_approvals_in_a_burst_are_recounted_once_per_window(seeded, owner, settings):
    """#8, the September peak: after a publication the report is recounted at most every
    RECOUNT_SECONDS (0.9 s at a million activities); in between the last counts serve,
    and a renamed organization still shows at once (the latest counts keep the site
    version)."""
    settings.RECOUNT_SECONDS = 10
    with translation.override("en"), time_machine.travel(timezone.now(), tick=False) as clock:
        assert as_dict(stats.report(2026))["province"] == EXPECTED_ALL["province"]
        factories.activity(
            owner=owner,
            publish=True,
            title="高峰期批准的北京活动",
            province_id="110000",
            city_id=None,
            start_at=at(2026, 9, 22),
            end_at=at(2026, 9, 22, 18),
        )
        clock.shift(3)
        with CaptureQueriesContext(connection) as queries:
            lagging = as_dict(stats.report(2026))
        assert _grouping_queries(queries) == [] and lagging == EXPECTED_ALL
        clock.shift(10)
        with CaptureQueriesContext(connection) as queries:
            caught_up = as_dict(stats.report(2026))["province"]
        assert _grouping_queries(queries)
        assert caught_up == [("广东省", 3), ("北京市", 2), ("上海市", 1)]
        chemistry = Organization.objects.get(name="中国化学会")
        chemistry.name = "中国化学学会"
        chemistry.save()
        assert as_dict(stats.report(2026))["channel"][0] == ("中国化学学会", 3)


def test_r32_exports_write_a_formula_like_name_as_text(client, owner, national):
    """An organization's name comes from an onboarding request anyone signed in can make
    (R4); in the moderators' export it must stay text, never a formula or a link."""
    name = '=HYPERLINK("http://evil.example","点击")'
    channel = Organization.objects.create(
        name=name,
        category=Organization.Category.NATIONAL_SOCIETY,
        status=Organization.Status.CERTIFIED,
    )
    with time_machine.travel(IN_WINDOW, tick=False):
        factories.activity(
            owner=owner,
            publish=True,
            channel_category=channel.category,
            channel=channel,
            start_at=at(2026, 9, 15),
            end_at=at(2026, 9, 15, 13),
        )
    client.force_login(national)
    params = {"year": 2026, "places": 10}
    exported = client.get(URL, {**params, "export": "csv"}).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert "'" + name in cells
    assert name not in cells

    exported = client.get(URL, {**params, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(exported.content))
    found = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == name
    ]
    assert found
    assert all(cell.data_type == "s" for cell in found)
