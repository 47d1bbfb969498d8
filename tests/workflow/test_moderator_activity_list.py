"""全部活动 (/admin/all-activities/): moderators and administrators see every activity
that reached review, with its review state (R16), activity state (R17) and listing state
(R18); a province moderator sees those of their review province only (R20). Audit B,
finding 7: rejected and taken-down activities read "草稿" in Wagtail's explorer."""

import html as html_lib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from activities.views import AllActivitiesView, CappedPaginator
from organizations.models import Organization
from tests import factories
from workflow.takedown import take_down

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db

URL = "/admin/all-activities/"


def act(page, user, action, comment=""):
    task_state = current_task_state(page)
    task_state.task.specific.on_action(task_state, user, action, comment=comment)


@pytest.fixture
def activities(people):
    """One activity per state, each through the real workflow."""
    submitter = people["submitter"]
    image = factories.poster(submitter)
    beijing = Organization.objects.get(name="北京市科学技术协会", category="provincial")
    society = Organization.objects.get(name="中国化学会", category="national_society")

    def make(title, **fields):
        return factories.activity(owner=submitter, title=title, poster=image, **fields)

    def national_route(title, **fields):
        return make(title, channel_category="national_society", channel=society, **fields)

    pages = {}
    pages["never_submitted"] = make("从未提交的草稿")
    pages["province_reviewing"] = make("广东省级审核中")
    submit(pages["province_reviewing"], submitter)

    pages["province_rejected"] = make("广东省级退回")
    submit(pages["province_rejected"], submitter)
    act(pages["province_rejected"], people["guangdong"], "reject", "请补充联系人")

    pages["national_reviewing"] = make(
        "北京全国审核中", province_id="110000", city_id=None, channel=beijing
    )
    submit(pages["national_reviewing"], submitter)
    act(pages["national_reviewing"], people["beijing"], "approve")

    # A national-route activity held in Guangdong: its review province is none.
    pages["national_rejected"] = national_route("学会全国退回")
    submit(pages["national_rejected"], submitter)
    act(pages["national_rejected"], people["national"], "reject", "时间不清楚")

    pages["approved"] = national_route("学会已通过上架", province_id="320000", city_id=None)
    submit(pages["approved"], submitter)
    act(pages["approved"], people["national"], "approve")

    pages["taken_down"] = make("广东已通过下架")
    submit(pages["taken_down"], submitter)
    act(pages["taken_down"], people["guangdong"], "approve")
    act(pages["taken_down"], people["national"], "approve")
    take_down(pages["taken_down"], people["national"], "海报含有商业广告")

    pages["withdrawn"] = make("广东撤回的送审")
    submit(pages["withdrawn"], submitter)
    pages["withdrawn"].current_workflow_state.cancel(user=submitter)

    for page in pages.values():
        page.refresh_from_db()
    assert pages["approved"].live and not pages["taken_down"].live
    return pages


def rows(response):
    """{title: (row text, row html)} of the listing's table."""
    assert response.status_code == 200
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", response.content.decode(), re.S):
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        match = re.search(r'<td[^>]*class="[^"]*title[^"]*"[^>]*>(.*?)</td>', row, re.S)
        if match:
            title = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())
            found[title] = (text, row)
    return found


def listed(client, user, **params):
    client.force_login(user)
    return rows(client.get(URL, params))


ALL_SUBMITTED = {
    "广东省级审核中",
    "广东省级退回",
    "北京全国审核中",
    "学会全国退回",
    "学会已通过上架",
    "广东已通过下架",
    "广东撤回的送审",
}


@pytest.mark.parametrize("role", ["national", "superuser", "platform_admin"])
def test_national_moderators_and_administrators_see_every_state(client, people, activities, role):
    """R16, R18: the six review states and 上架/下架 for every activity that reached review;
    a draft never submitted stays its unit's own business."""
    user = people.get(role) or factories.user(roles.ADMINISTRATORS, real_name="平台管理员")
    shown = listed(client, user)
    assert set(shown) == ALL_SUBMITTED
    expected = {
        "广东省级审核中": ("省管理员审批中", "未上架"),
        "广东省级退回": ("省管理员审批拒绝", "未上架"),
        "北京全国审核中": ("全国审批中", "未上架"),
        "学会全国退回": ("全国审批拒绝", "未上架"),
        "学会已通过上架": ("已通过", "上架"),
        "广东已通过下架": ("已通过", "下架"),
        # Submitted, then withdrawn by its unit: a draft again, still on the list.
        "广东撤回的送审": ("草稿", "未上架"),
    }
    for title, (review, listing) in expected.items():
        text = shown[title][0]
        assert review in text, (title, text)
        assert listing in text, (title, text)
    # The columns: submitter, channel, the activity's own region (R9), activity state (R17).
    approved = shown["学会已通过上架"][0]
    assert "提交人" in approved and "中国化学会" in approved and "江苏省" in approved
    assert "未开始" in approved
    # The title opens the editor; take down a listed activity and put back a taken-down
    # one from the list (R18), for those who may (national moderators and superusers).
    assert f"/admin/pages/{activities['province_rejected'].pk}/edit/" in shown["广东省级退回"][1]
    assert "/admin/review/take-down/" not in shown["广东省级退回"][1]
    buttons = role != "platform_admin"
    approved_row, taken_down_row = shown["学会已通过上架"][1], shown["广东已通过下架"][1]
    assert (f"/admin/review/take-down/{activities['approved'].pk}/" in approved_row) is buttons
    assert (f"/admin/review/take-down/{activities['taken_down'].pk}/" in taken_down_row) is buttons
    assert ("重新上架" in shown["广东已通过下架"][0]) is buttons


def test_a_province_moderator_sees_their_review_province_only(client, people, activities):
    """R20: the review province decides, as for the province step; no take-down buttons
    (national moderators take down, R18)."""
    shown = listed(client, people["guangdong"])
    assert set(shown) == {"广东省级审核中", "广东省级退回", "广东已通过下架", "广东撤回的送审"}
    # The step awaiting them opens the editor; an activity they cannot edit is plain text
    # (a rejected draft) or its public page (when listed).
    assert f"/admin/pages/{activities['province_reviewing'].pk}/edit/" in shown["广东省级审核中"][1]
    assert "/edit/" not in shown["广东省级退回"][1]
    assert "/admin/review/take-down/" not in shown["广东已通过下架"][1]

    assert set(listed(client, people["beijing"])) == {"北京全国审核中"}


def test_others_are_refused(client, people, activities):
    """R2, R20: submitters (and moderators without a province) have no such list."""
    no_province = factories.user(roles.PROVINCE_MODERATORS, real_name="无省份审核员")
    for user in (people["submitter"], no_province):
        client.force_login(user)
        refusal = client.get(URL)
        assert refusal.status_code == 403
        assert "全部活动列表仅供审核人员和管理员查看。" in refusal.content.decode()
        assert client.get("/admin/all-activities/results/").status_code == 403
        assert URL not in client.get("/admin/").content.decode()
    # Without a role there is no admin at all (Wagtail's own gate).
    client.force_login(factories.user(None, real_name="无角色"))
    assert client.get(URL).url.startswith("/admin/login/")
    client.force_login(people["national"])
    assert URL in client.get("/admin/").content.decode()


def test_the_filters_combine(client, people, activities):
    """R16, R18: review state, listing state, province (the activity's region), channel
    category and a title search, alone and together."""
    national = people["national"]

    def titles(**params):
        return set(listed(client, national, **params))

    assert titles(listing_state="taken_down") == {"广东已通过下架"}
    assert titles(listing_state="on") == {"学会已通过上架"}
    assert "广东已通过下架" not in titles(listing_state="off")
    assert titles(review_state="province_rejected") == {"广东省级退回"}
    assert titles(review_state="national_rejected") == {"学会全国退回"}
    assert titles(review_state="province_reviewing") == {"广东省级审核中"}
    assert titles(review_state="national_reviewing") == {"北京全国审核中"}
    assert titles(review_state="approved") == {"学会已通过上架", "广东已通过下架"}
    assert titles(review_state="draft") == {"广东撤回的送审"}
    assert titles(review_state="approved", listing_state="taken_down") == {"广东已通过下架"}
    # The activity's own region: a national-route activity held in Guangdong is found.
    assert "学会全国退回" in titles(province="440000")
    assert titles(province="320000") == {"学会已通过上架"}
    assert titles(channel_category="national_society") == {"学会全国退回", "学会已通过上架"}
    assert titles(channel_category="provincial", province="110000") == {"北京全国审核中"}
    assert titles(q="退回") == {"广东省级退回", "学会全国退回"}
    assert titles(q="退回", channel_category="national_society") == {"学会全国退回"}
    # Only what reached review, whatever the filter.
    assert "从未提交的草稿" not in titles(review_state="draft")
    assert "从未提交的草稿" not in titles(q="草稿")


def test_filters_survive_pagination(client, people, activities, monkeypatch):
    monkeypatch.setattr(AllActivitiesView, "paginate_by", 2)
    client.force_login(people["national"])
    response = client.get(URL, {"province": "440000"})
    html = response.content.decode()
    assert "province=440000" in html and "p=2" in html
    page_two = rows(client.get(URL, {"province": "440000", "p": "2"}))
    assert page_two and all("广东" in text or "学会" in text for text, _row in page_two.values())
    everything = set()
    for number in (1, 2, 3):
        everything |= set(rows(client.get(URL, {"province": "440000", "p": str(number)})))
    assert everything == {
        "广东省级审核中",
        "广东省级退回",
        "学会全国退回",
        "广东已通过下架",
        "广东撤回的送审",
    }


def test_the_count_is_capped(client, people, activities, monkeypatch):
    """Bounded at a million activities: counting stops past the cap."""
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    client.force_login(people["national"])
    response = client.get(URL)
    assert response.context["page_obj"].paginator.count == 3
    assert response.context["page_obj"].paginator.capped
    assert len(rows(response)) == 3
    assert "超过 3 个活动" in response.content.decode()
    response = client.get(URL, {"listing_state": "taken_down"})
    assert response.context["page_obj"].paginator.count == 1
    assert not response.context["page_obj"].paginator.capped
    assert "共 1 个活动" in response.content.decode()


def _queries(client, user, **params):
    client.force_login(user)
    client.get(URL, params)  # warm per-process caches (content types, tasks)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries.captured_queries), len(rows(response))


def test_the_query_count_does_not_grow_with_the_rows(client, people):
    """No query per row (R16, R18 states, links and buttons all come from the list's
    query): 3 rows and 12 rows cost the same, for a national and a province moderator."""
    submitter = people["submitter"]
    image = factories.poster(submitter)
    counts = {}
    made = 0
    for target in (3, 12):
        while made < target:
            kind = made % 3
            page = factories.activity(owner=submitter, title=f"活动{made}", poster=image)
            if kind == 0:
                submit(page, submitter)  # province reviewing
            else:
                submit(page, submitter)
                act(page, people["guangdong"], "approve")
                act(page, people["national"], "approve")
                if kind == 2:
                    take_down(page, people["national"], "下架原因")
            made += 1
        counts[target] = {
            role: _queries(client, people[role]) for role in ("national", "guangdong")
        }
    for role in ("national", "guangdong"):
        (few, few_rows), (many, many_rows) = counts[3][role], counts[12][role]
        assert (few_rows, many_rows) == (3, 12)
        assert few == many, (role, few, many)


def test_r1_lists_say_whether_the_submitters_real_name_is_verified_either_way(client, people):
    """Found by a moderator's audit: the review desk marked verified submitters only, so
    "not verified" could not be told from "unknown", and 全部活动 showed neither."""
    verified = factories.submitter(real_name="已实名的人", is_real_name_verified=True)
    plain = factories.submitter(real_name="未实名的人")
    for owner, title in ((verified, "甲单位的科普活动"), (plain, "乙单位的科普活动")):
        submit(factories.activity(owner=owner, title=title), owner)
    # Both at Guangdong's step: on its moderator's desk and in their 全部活动.
    client.force_login(people["guangdong"])
    for url in (URL, "/admin/review/"):
        page = client.get(url).content.decode()
        for title, name, flag in (
            ("甲单位的科普活动", "已实名的人", "已实名"),
            ("乙单位的科普活动", "未实名的人", "未实名"),
        ):
            row = re.search(
                rf"<tr[^>]*>(?:(?!</tr>).)*{title}(?:(?!</tr>).)*</tr>", page, re.S
            ).group(0)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
            assert name in text and flag in text, (url, text)


def test_r34_the_channel_reads_with_the_brackets_of_the_admins_language(client, people):
    """Found by an audit: "广州市科学技术协会（Municipal science association）" in English."""
    from .conftest import prefers

    owner = people["submitter"]
    submit(factories.activity(owner=owner, title="括号测试的活动"), owner)
    client.force_login(people["guangdong"])
    assert "广东省科学技术协会（省科协）" in client.get(URL).content.decode()
    prefers(people["guangdong"], "en")
    english = client.get(URL).content.decode()
    assert "广东省科学技术协会 (Provincial science association)" in english
