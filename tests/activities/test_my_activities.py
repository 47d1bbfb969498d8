"""用户中心 · 我的活动 (R16, R26): the review-state filter finds every activity in its state,
and a unit with many activities gets pages."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def titles(client, **params):
    response = client.get("/admin/my-activities/", params)
    assert response.status_code == 200
    html = response.content.decode()
    return html


def test_r16_r26_drafts_never_submitted_and_activities_published_without_review_are_found(
    client,
):
    """An activity with no workflow state at all (a draft never submitted; one published by
    an import) has a NULL status, which the filter's NOT (…) left out in SQL."""
    owner = factories.submitter()
    factories.activity(owner=owner, title="从未提交的草稿")
    factories.activity(owner=owner, publish=True, title="导入时已发布的活动")
    client.force_login(owner)

    drafts = titles(client, review_state="draft")
    assert "从未提交的草稿" in drafts
    assert "导入时已发布的活动" not in drafts
    approved = titles(client, review_state="approved")
    assert "导入时已发布的活动" in approved
    assert "从未提交的草稿" not in approved


def test_r26_my_activities_are_paged(client):
    owner = factories.submitter()
    poster = factories.poster(owner)
    for number in range(23):
        factories.activity(owner=owner, poster=poster, title=f"第{number:02d}号活动")
    client.force_login(owner)
    first = titles(client)
    second = titles(client, p=2)
    on_first = {number for number in range(23) if f"第{number:02d}号活动" in first}
    on_second = {number for number in range(23) if f"第{number:02d}号活动" in second}
    assert len(on_first) == 20
    assert len(on_second) == 3
    # Wagtail's own label glued the number to the model's name: "23 活动".
    assert "共 23 个活动" in first and "23 活动" not in first
    assert not on_first & on_second


def test_r26_a_new_unit_is_shown_where_to_begin_not_no_results(client):
    """Found by a new user's audit: right after registering, 我的活动 said only "没有结果。"."""
    unit = factories.submitter()
    client.force_login(unit)
    html = client.get("/admin/my-activities/").content.decode()
    assert "还没有活动。" in html and 'href="/admin/my-activities/new/"' in html
    factories.activity(owner=unit, title="广州机器人科普日")
    filtered = client.get(
        "/admin/my-activities/", {"review_state": "national_rejected"}
    ).content.decode()
    assert "没有符合筛选条件的活动。" in filtered and "还没有活动。" not in filtered


def test_r26_the_guides_user_centre_is_where_a_unit_looks_for_it(client):
    """The guide says 管理平台 → 用户中心; the menu said only 我的活动, which a unit following it
    could not find. The public header's link reads 管理平台, the admin menu 用户中心."""
    unit = factories.submitter()
    client.force_login(unit)
    assert '<a href="/admin/">管理平台</a>' in client.get("/").content.decode()
    menu = client.get("/admin/").content.decode()
    # The sidebar's items are JSON with escaped characters.
    assert '"label": "\\u7528\\u6237\\u4e2d\\u5fc3"' in menu  # 用户中心
    assert '"url": "/admin/my-activities/"' in menu
    page = client.get("/admin/my-activities/").content.decode()
    assert "<title>用户中心: 我的活动 - 全国科普日活动平台</title>" in page


def test_r26_the_dashboard_panel_links_to_all_of_a_units_own_activities(client):
    """The panel's link read 全部活动, the name of the moderators' list of everyone's."""
    unit = factories.submitter()
    factories.activity(owner=unit, title="面板里的活动")
    client.force_login(unit)
    html = client.get("/admin/").content.decode()
    panel = html[html.index('id="my-activities-section"') :]
    assert "面板里的活动" in panel
    assert '<a href="/admin/my-activities/">查看我的全部活动</a>' in panel
