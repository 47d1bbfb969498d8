"""What Wagtail's admin named to users who may not see it (audit C: F4-F7; R2, R20).

R2: a submitter sees only their own unit's activities, drafts above all, and no roster of
other units' staff. R20: a province moderator reviews their own province's activities, at
their step; they hold no page permission, and Wagtail views that ask for none showed them
every activity nationwide. Every check is a real request through Django's test client.
"""

import json

import pytest
from django.contrib.auth.models import Group
from wagtail.log_actions import log

from accounts import roles
from activities.nomination_models import Nomination, NominationPhoto
from organizations.models import Organization
from tests import factories
from tests.workflow.conftest import current_task_state, submit

pytestmark = pytest.mark.django_db

A_OWN = "甲单位自己的活动"
B_DRAFT = "乙单位从未提交的草稿"
B_GUANGDONG = "乙单位待广东审核的活动"
B_BEIJING = "乙单位待北京审核的活动"


@pytest.fixture
def world(db):
    """Submitters A and B (two units); B has a draft never submitted, an activity at the
    Guangdong province step and one at the Beijing province step. One moderator per
    level, a platform administrator and a superuser."""
    people = {
        "submitter_a": factories.submitter(real_name="提交人甲"),
        "submitter_b": factories.submitter(real_name="提交人乙"),
        "guangdong": factories.user(
            roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核员"
        ),
        "beijing": factories.user(
            roles.PROVINCE_MODERATORS, province="110000", real_name="北京审核员"
        ),
        "national": factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核员"),
        "admin": factories.user(roles.ADMINISTRATORS, real_name="平台管理员甲"),
        "superuser": factories.user(None, real_name="超级管理员", is_superuser=True, is_staff=True),
    }
    a, b = people["submitter_a"], people["submitter_b"]
    pages = {
        "a_own": factories.activity(owner=a, title=A_OWN),
        "b_draft": factories.activity(owner=b, title=B_DRAFT),
        "b_guangdong": factories.activity(owner=b, title=B_GUANGDONG),
        "b_beijing": factories.activity(
            owner=b,
            title=B_BEIJING,
            province_id="110000",
            city_id=None,
            channel=Organization.objects.get(name="北京市科学技术协会", category="provincial"),
        ),
    }
    for name in ("b_guangdong", "b_beijing"):
        submit(pages[name], b)
    # Logged actions: each submitter edited their own drafts.
    log(pages["a_own"], "wagtail.edit", user=a)
    log(pages["b_draft"], "wagtail.edit", user=b)
    return {"people": people, "pages": pages, "index": factories.index()}


def as_user(client, world, role):
    client.logout()
    client.force_login(world["people"][role])
    return client


def text(response):
    """HTML of a page, or of a chooser's JSON answer (with CJK escaped in it)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(json.loads(content), ensure_ascii=False)
    return content.decode()


# --- F4: the report filters' user lists ------------------------------------------------


@pytest.mark.parametrize("role", ["submitter_a", "guangdong"])
def test_r2_site_history_user_filter_names_no_one_else(client, world, role):
    """R2: Site history's "User" filter listed every user who ever logged an action, with
    their real names, to submitters and province moderators."""
    html = text(as_user(client, world, role).get("/admin/reports/site-history/"))
    assert "提交人乙" not in html
    assert "全国审核员" not in html


def test_r2_site_history_user_filter_offers_a_submitter_themself(client, world):
    html = text(as_user(client, world, "submitter_a").get("/admin/reports/site-history/"))
    assert 'name="user"' in html and "提交人甲" in html


def test_r2_site_history_user_filter_is_unchanged_for_national_moderators(client, world):
    html = text(as_user(client, world, "national").get("/admin/reports/site-history/"))
    assert "提交人乙" in html and "提交人甲" in html


def test_r2_workflow_report_requested_by_names_only_the_submitter_themself(client, world):
    """R2: the Workflows report's "Requested by" listed everyone who ever submitted."""
    submit(world["pages"]["a_own"], world["people"]["submitter_a"])
    client = as_user(client, world, "submitter_a")
    html = text(client.get("/admin/reports/workflow/"))
    assert "提交人甲" in html
    assert "提交人乙" not in html
    # The Workflow tasks report has no user filter; its rows are the user's own.
    assert "提交人乙" not in text(client.get("/admin/reports/workflow_tasks/"))
    national = text(as_user(client, world, "national").get("/admin/reports/workflow/"))
    assert "提交人乙" in national and "提交人甲" in national


# --- F5: the page types report ----------------------------------------------------------

PAGE_TYPES = "/admin/reports/page-types-usage/"


@pytest.mark.parametrize("role", ["submitter_a", "guangdong", "national"])
def test_r2_page_types_report_is_closed_to_all_but_administrators(client, world, role):
    """R2: the report named the activity edited last nationwide (another unit's draft
    title, as it was typed) and counted every unit's activities."""
    client = as_user(client, world, role)
    for url in (PAGE_TYPES, f"{PAGE_TYPES}results/"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    assert PAGE_TYPES not in text(client.get("/admin/"))


@pytest.mark.parametrize("role", ["admin", "superuser"])
def test_page_types_report_stays_for_administrators(client, world, role):
    client = as_user(client, world, role)
    assert client.get(PAGE_TYPES).status_code == 200
    assert client.get(f"{PAGE_TYPES}results/").status_code == 200
    assert PAGE_TYPES in text(client.get("/admin/"))


# --- F6: URLs the submitter scope missed -----------------------------------------------


def test_r2_page_chooser_chosen_multiple_hides_another_units_activity(client, world):
    """R2: ?id= of the page chooser's "chosen" answer returned any activity's title."""
    pages = world["pages"]
    client = as_user(client, world, "submitter_a")
    url = "/admin/choose-page/chosen-multiple/"
    response = client.get(url, {"id": [pages["a_own"].pk, pages["b_draft"].pk]})
    assert response.status_code == 404
    assert B_DRAFT not in text(response)
    own = client.get(url, {"id": pages["a_own"].pk})
    assert own.status_code == 200
    assert [item["adminTitle"] for item in own.json()["result"]] == [A_OWN]


def test_r2_move_confirmation_hides_another_units_activity(client, world):
    """R2: the move confirmation (GET) named the page to move and its destination."""
    pages, index = world["pages"], world["index"]
    client = as_user(client, world, "submitter_a")
    for url in (
        f"/admin/pages/{pages['b_draft'].pk}/move/{index.pk}/confirm/",
        f"/admin/pages/{pages['a_own'].pk}/move/{pages['b_draft'].pk}/confirm/",
        f"/admin/pages/{pages['b_draft'].pk}/move/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert B_DRAFT not in text(response)
    own = client.get(f"/admin/pages/{pages['a_own'].pk}/move/{index.pk}/confirm/")
    assert own.status_code == 200


@pytest.mark.parametrize("action", ["delete", "add_tags", "add_to_collection"])
def test_r2_image_bulk_actions_hide_another_units_image(client, world, action):
    """R2: the image bulk actions listed the title of every image asked for by ?id=."""
    a_poster = world["pages"]["a_own"].poster
    b_poster = world["pages"]["b_draft"].poster
    b_poster.title = "乙单位草稿的海报"
    b_poster.save()
    client = as_user(client, world, "submitter_a")
    url = f"/admin/bulk/wagtailimages/image/{action}/"
    response = client.get(url, {"id": [a_poster.pk, b_poster.pk]})
    assert response.status_code == 404
    assert "乙单位草稿的海报" not in text(response)
    assert client.get(url, {"id": a_poster.pk}).status_code == 200


def test_r2_forged_image_bulk_post_still_changes_nothing(client, world):
    b_poster = world["pages"]["b_draft"].poster
    client = as_user(client, world, "submitter_a")
    client.post(f"/admin/bulk/wagtailimages/image/delete/?id={b_poster.pk}")
    assert type(b_poster).objects.filter(pk=b_poster.pk).exists()


def test_r2_image_bulk_actions_hide_nomination_photos_from_all_but_superusers(client, world):
    """Nomination photos are out of everyone's image library but superusers'
    (docs/accounts.md); the bulk action page named them to anyone by id."""
    b = world["people"]["submitter_b"]
    page = factories.activity(owner=b, publish=True, title="乙单位已发布活动")
    photo = factories.poster(owner=b, title="现场照片IMG_0001.jpg")
    NominationPhoto.objects.create(nomination=Nomination.objects.create(page=page), image=photo)
    url = f"/admin/bulk/wagtailimages/image/delete/?id={photo.pk}"
    for role in ("submitter_a", "submitter_b", "guangdong", "national", "admin"):
        response = as_user(client, world, role).get(url)
        assert response.status_code == 404, role
        assert "现场照片" not in text(response)
    assert as_user(client, world, "superuser").get(url).status_code == 200


# --- F7: a province moderator's view of other activities --------------------------------


def test_r20_page_chooser_lists_a_province_moderator_only_what_awaits_them(client, world):
    """R20, R2: the page chooser listed every activity nationwide, never-submitted drafts
    included, by draft title, to a province moderator."""
    client = as_user(client, world, "guangdong")
    html = text(client.get(f"/admin/choose-page/{world['index'].pk}/"))
    assert B_GUANGDONG in html
    for title in (B_DRAFT, B_BEIJING, A_OWN):
        assert title not in html
    found = text(client.get("/admin/choose-page/search/", {"q": "乙单位"}))
    assert B_DRAFT not in found and B_BEIJING not in found


def test_r20_page_chooser_search_finds_drafts_for_national_moderators(client, world):
    """The search above is a real one: national moderators still find every activity."""
    client = as_user(client, world, "national")
    found = text(client.get("/admin/choose-page/search/", {"q": "乙单位"}))
    assert B_DRAFT in found and B_BEIJING in found
    html = text(client.get(f"/admin/choose-page/{world['index'].pk}/"))
    assert B_DRAFT in html and A_OWN in html


def province_urls(world, name):
    page, index = world["pages"][name].pk, world["index"].pk
    return [
        f"/admin/bulk/wagtailcore/page/delete/?id={page}",
        f"/admin/bulk/wagtailcore/page/publish/?id={page}",
        f"/admin/bulk/wagtailcore/page/unpublish/?id={page}",
        f"/admin/bulk/wagtailcore/page/move/?id={page}",
        f"/admin/pages/{page}/move/{index}/confirm/",
        f"/admin/pages/workflow/confirm_cancellation/{page}/",
        f"/admin/choose-page/chosen-multiple/?id={page}",
        f"/admin/choose-page/{page}/",
    ]


@pytest.mark.parametrize("name", ["b_draft", "b_beijing", "a_own"])
def test_r20_other_activities_have_no_admin_url_for_a_province_moderator(client, world, name):
    """R20, R2: the page bulk actions, the move confirmation, the workflow cancellation
    and the chooser named (or described) any activity by id to a province moderator."""
    title = world["pages"][name].title
    client = as_user(client, world, "guangdong")
    for url in province_urls(world, name):
        response = client.get(url)
        assert response.status_code == 404, url
        assert title not in text(response), url


def test_r20_the_activity_awaiting_the_moderator_stays_reachable(client, world):
    """What the moderator reviews: the same URLs answer, as do the editor and history."""
    page = world["pages"]["b_guangdong"]
    client = as_user(client, world, "guangdong")
    for url in province_urls(world, "b_guangdong"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/history/").status_code == 200


def test_r20_a_reviewed_activity_leaves_the_moderators_sight_with_their_step(client, world):
    """The rule is the editor's (ReviewTask.user_can_access_editor): once the province step
    is approved, the activity is the national moderators' and gone from the chooser."""
    page = world["pages"]["b_guangdong"]
    state = current_task_state(page)
    state.task.specific.on_action(state, world["people"]["guangdong"], "approve", comment="")
    client = as_user(client, world, "guangdong")
    assert B_GUANGDONG not in text(client.get(f"/admin/choose-page/{world['index'].pk}/"))
    assert client.get(f"/admin/choose-page/chosen-multiple/?id={page.pk}").status_code == 404
    as_user(client, world, "beijing")
    # The Beijing moderator sees the Beijing activity, not Guangdong's.
    html = text(client.get(f"/admin/choose-page/{world['index'].pk}/"))
    assert B_BEIJING in html and B_GUANGDONG not in html


@pytest.mark.parametrize("role", ["national", "admin"])
def test_national_moderators_and_administrators_are_unaffected(client, world, role):
    client = as_user(client, world, role)
    for name in ("b_draft", "b_beijing"):
        for url in province_urls(world, name):
            response = client.get(url)
            assert response.status_code != 404, url


def test_a_province_moderator_who_also_submits_keeps_their_own_activities(client, world):
    both = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="兼任者")
    both.groups.add(Group.objects.get(name=roles.SUBMITTERS))
    own = factories.activity(owner=both, title="兼任者自己的草稿")
    client.force_login(both)
    html = text(client.get(f"/admin/choose-page/{world['index'].pk}/"))
    assert "兼任者自己的草稿" in html and B_GUANGDONG in html and B_DRAFT not in html
    assert client.get(f"/admin/bulk/wagtailcore/page/delete/?id={own.pk}").status_code == 200
    theirs = world["pages"]["b_draft"].pk
    assert client.get(f"/admin/bulk/wagtailcore/page/delete/?id={theirs}").status_code == 404


def test_r2_the_dashboard_counts_pages_for_superusers_only(client):
    """Wagtail's "N pages" counted every unit's activities, drafts included, for anyone who
    may add one, and counted the page table on each dashboard view."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = factories.submitter()
    for number in range(3):
        factories.activity(owner=factories.submitter(), title=f"别的单位的草稿{number}")
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/admin/").content.decode()
    assert "site_summary_pages" not in html and 'href="/admin/pages/' not in html
    assert not any(
        "COUNT(" in query["sql"].upper() and '"wagtailcore_page"."path"' in query["sql"]
        for query in queries.captured_queries
    )
    client.force_login(factories.user(None, is_superuser=True, is_staff=True))
    assert "/admin/pages/" in client.get("/admin/").content.decode()
