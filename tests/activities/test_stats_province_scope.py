"""A province's statistics (R32) are its channels' activities, the ones its moderators review
and see under 全部活动 (R20), wherever they are held; and every report says that taken-down
activities are not counted."""

import io

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from accounts import roles
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from tests.activities.test_stats import IN_WINDOW, URL, at, csv_tables, screen_tables
from tests.workflow.conftest import action_url, current_task_state, submit
from workflow.takedown import take_down

pytestmark = pytest.mark.django_db

GUANGDONG, BEIJING = "440000", "110000"
NOTE = "Approved activities now on the public site; taken-down activities are not counted."


@pytest.fixture
def moderators(national):
    return {
        GUANGDONG: factories.user(roles.PROVINCE_MODERATORS, province=GUANGDONG),
        BEIJING: factories.user(roles.PROVINCE_MODERATORS, province=BEIJING),
        "national": national,
    }


def approve(page, moderators):
    """Every open step approved by whoever may act on it: the page's province moderators,
    then the national ones (R19-R21), as on the review desk."""
    for _step in range(3):
        task_state = current_task_state(page)
        if task_state is None:
            break
        province = ActivityPage.objects.get(pk=page.pk).review_province_id
        for user in (moderators.get(province), moderators["national"]):
            if user is None:
                continue
            client = Client()
            client.force_login(user)
            client.post(action_url(page, "approve", task_state), {"comment": ""})
            if current_task_state(page) != task_state:
                break
    page.refresh_from_db()
    assert page.live, page.title
    return page


@pytest.fixture
def activities(owner, moderators):
    chemistry = Organization.objects.get(name="中国化学会")
    guangzhou = Organization.objects.get(name="广州市科学技术协会")
    beijing = Organization.objects.get(name="北京市科学技术协会")

    def make(title, channel, province, day, approved=True):
        page = factories.activity(
            owner=owner,
            title=title,
            province_id=province,
            city_id="440100" if province == GUANGDONG else None,
            channel_category=channel.category,
            channel=channel,
            start_at=at(2026, 9, day),
            end_at=at(2026, 9, day, 18),
        )
        submit(page, owner)
        return approve(page, moderators) if approved else page

    with time_machine.travel(IN_WINDOW, tick=False):
        pages = {
            "guangdong_in_beijing": make("广东在京活动", factories.channel(), BEIJING, 15),
            "guangdong_at_home": make("广东本省活动", factories.channel(), GUANGDONG, 16),
            "guangzhou_in_beijing": make("广州在京活动", guangzhou, BEIJING, 17),
            "chemistry_in_beijing": make("化学会在京活动", chemistry, BEIJING, 18),
            "beijing_at_home": make("北京本市活动", beijing, BEIJING, 19),
            "beijing_taken_down": make("北京已下架活动", beijing, BEIJING, 20),
        }
        take_down(
            ActivityPage.objects.get(pk=pages["beijing_taken_down"].pk),
            moderators["national"],
            "信息有误",
        )
    return pages


def report(user, **params):
    client = Client()
    client.force_login(user)
    response = client.get(URL, {"year": 2026, **params})
    assert response.status_code == 200
    return response


def test_a_guangdong_channels_activity_held_in_beijing_counts_for_guangdong(activities, moderators):
    guangdong = screen_tables(report(moderators[GUANGDONG]))
    assert guangdong["channel"] == [["广东省科学技术协会", 2], ["广州市科学技术协会", 1]]
    # Where they are held is still shown, by the place: two in Beijing, one at home.
    assert sorted(guangdong["province"]) == [["北京市", 2], ["广东省", 1]]

    beijing = screen_tables(report(moderators[BEIJING]))
    assert beijing["channel"] == [["北京市科学技术协会", 1]]
    assert beijing["province"] == [["北京市", 1]]


def test_a_national_societys_activity_in_beijing_is_not_beijings(activities, moderators):
    response = report(moderators[BEIJING], places=10)
    tables = screen_tables(response)
    # Neither in the counts nor in the quota split: only Beijing's own channel gets places.
    assert tables["channel_category"] == [[tables["channel_category"][0][0], 1]]
    assert tables["quota"] == [["北京市科学技术协会", 1, 10]]
    body = response.content.decode()
    assert "中国化学会" not in body and "广州市科学技术协会" not in body

    exported = report(moderators[BEIJING], places=10, export="csv")
    assert csv_tables(exported.content)[-1] == [["北京市科学技术协会", 1, 10]]
    assert "中国化学会" not in exported.content.decode("utf-8-sig")


def test_the_national_figures_are_unchanged_and_a_chosen_province_is_its_channels(
    activities, moderators
):
    national = moderators["national"]
    everything = screen_tables(report(national, places=10))
    assert everything["province"] == [["北京市", 4], ["广东省", 1]]
    assert sorted(everything["channel"]) == sorted(
        [
            ["广东省科学技术协会", 2],
            ["广州市科学技术协会", 1],
            ["中国化学会", 1],
            ["北京市科学技术协会", 1],
        ]
    )
    assert sum(row[2] for row in everything["quota"]) == 10

    # A national moderator choosing a province sees what that province's moderators see:
    # its channels' activities, wherever held.
    chosen = {
        province: screen_tables(report(national, province=province, places=10))
        for province in (GUANGDONG, BEIJING)
    }
    assert chosen[BEIJING]["quota"] == [["北京市科学技术协会", 1, 10]]
    assert sorted(chosen[GUANGDONG]["province"]) == [["北京市", 2], ["广东省", 1]]
    for province, tables in chosen.items():
        assert tables == screen_tables(report(moderators[province], places=10))


def test_every_report_says_taken_down_activities_are_not_counted(client, activities, moderators):
    for user in (moderators["national"], moderators[BEIJING]):
        response = report(user, places=10)
        with translation.override(response.headers.get("Content-Language", "zh-hans")):
            note = translation.gettext(NOTE)
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.select_one(".stats-summary").get_text(" ", strip=True).endswith(note)
        exported = report(user, places=10, export="csv").content.decode("utf-8-sig")
        assert exported.splitlines()[0].endswith(note)

    workbook = load_workbook(io.BytesIO(report(moderators[BEIJING], export="xlsx").content))
    assert all(sheet["B1"].value == note for sheet in workbook.worksheets)

    response = client.get("/")
    with translation.override(response.headers.get("Content-Language", "zh-hans")):
        note = translation.gettext(NOTE)
    home = BeautifulSoup(response.content, "html.parser")
    assert note != NOTE  # the page's language, translated
    assert home.select_one("#summary .stats__note").get_text(strip=True) == note
