"""Who reaches which admin URL outside the review workflow (issue #9, R2, R4, R32, R33).

The workflow's own matrix is tests/workflow/test_permission_matrix.py; this one covers the
organization library, statistics, nominations, the user admin and the image and document
libraries. Every cell is a real request through Django's test client, checked against the
explicit table below; a row is one test and its failure lists exactly the cells that changed.
Submitters A and B are two units' staff: B's uploads must be invisible and untouchable to A,
and choosable by B.
"""

import pytest
from axes.models import AccessAttempt
from django.core.files.base import ContentFile
from wagtail.documents.models import Document
from wagtail.images.models import Image

from accounts import roles
from accounts.models import User
from activities.nomination_models import Nomination
from activities.posters import make_poster
from organizations.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "submitter_a", "submitter_b", "province", "national", "admin")

# Outcomes: what the response must be.
OK = "ok"  # 200
LOGIN = "login"  # 302 to the admin login page
DENIED = "denied"  # Wagtail's refusal: 302 to the dashboard with an error message
FORBIDDEN = "403"  # a plain 403 page (views that answer instead of raising)
NOT_FOUND = "404"  # another unit's activity, to a submitter: no such page (R2)

# fmt: off
MATRIX = {
    # url name:                anonymous  sub A      sub B      province   national   admin
    "org_list":               (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "org_edit":               (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "org_delete":             (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "org_export":             (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "org_review":             (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "stats":                  (LOGIN,     FORBIDDEN, FORBIDDEN, OK,        OK,        OK),
    "stats_csv":              (LOGIN,     FORBIDDEN, FORBIDDEN, OK,        OK,        OK),
    "stats_xlsx":             (LOGIN,     FORBIDDEN, FORBIDDEN, OK,        OK,        OK),
    # Recommendation is the national team's (R33); administrators manage, they do not mark.
    "nomination_list":        (LOGIN,     FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,        FORBIDDEN),
    "nomination_review":      (LOGIN,     NOT_FOUND, FORBIDDEN, FORBIDDEN, OK,        FORBIDDEN),
    # B's activity: only its submitter (and administrators, on a unit's behalf) file for it.
    "nomination_file":        (LOGIN,     NOT_FOUND, OK,        FORBIDDEN, FORBIDDEN, OK),
    "user_list":              (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "user_edit":              (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    "user_add":               (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    OK),
    # Submitters hold "add" on images: a library of their own uploads. Moderators only
    # choose images (the chooser), they have no library.
    "image_list":             (LOGIN,     OK,        OK,        DENIED,    DENIED,    OK),
    "image_edit":             (LOGIN,     DENIED,    OK,        DENIED,    DENIED,    OK),
    "image_delete":           (LOGIN,     DENIED,    OK,        DENIED,    DENIED,    OK),
    "image_chooser":          (LOGIN,     OK,        OK,        OK,        OK,        OK),
    "image_chosen":           (LOGIN,     DENIED,    OK,        OK,        OK,        OK),
    # Nobody but superusers manages documents: the platform has no use for them.
    "document_list":          (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    DENIED),
    "document_edit":          (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    DENIED),
    "document_delete":        (LOGIN,     DENIED,    DENIED,    DENIED,    DENIED,    DENIED),
    "document_chooser":       (LOGIN,     OK,        OK,        OK,        OK,        OK),
}
# fmt: on

# Which image each role's chooser and listing must show (B's poster; A's own poster).
SEES_B_IMAGE = {
    "submitter_a": False,
    "submitter_b": True,
    "province": True,
    "national": True,
    "admin": True,
}


@pytest.fixture
def world(db):
    """Two submitters with a poster each, one moderator per level, a platform administrator,
    an approved activity of B's with a nomination, a pending organization and a document."""
    people = {
        "submitter_a": factories.submitter(real_name="提交人甲"),
        "submitter_b": factories.submitter(real_name="提交人乙"),
        "province": factories.user(
            roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核员"
        ),
        "national": factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核员"),
        "admin": factories.user(roles.ADMINISTRATORS, real_name="平台管理员"),
    }
    superuser = factories.user(None, real_name="超级管理员", is_superuser=True, is_staff=True)
    a_poster = factories.poster(owner=people["submitter_a"], title="甲单位的海报")
    b_poster = factories.poster(owner=people["submitter_b"], title="乙单位的海报")
    page = factories.activity(
        owner=people["submitter_b"], publish=True, poster=b_poster, title="乙单位已发布活动"
    )
    Nomination.objects.create(page=page)
    organization = Organization.objects.create(
        name="待审核的新科技馆",
        category=Organization.Category.OTHER,
        province_id="440000",
        status=Organization.Status.PENDING,
    )
    document = Document.objects.create(
        title="内部文件",
        file=ContentFile(b"internal", name="internal.txt"),
        uploaded_by_user=superuser,
    )
    return {
        "people": people,
        "superuser": superuser,
        "a_poster": a_poster,
        "b_poster": b_poster,
        "page": page,
        "organization": organization,
        "document": document,
    }


def url_for(name, world):
    org = world["organization"].pk
    page = world["page"].pk
    image = world["b_poster"].pk
    document = world["document"].pk
    other_user = world["people"]["submitter_b"].pk
    return {
        "org_list": "/admin/organizations/organization/",
        "org_edit": f"/admin/organizations/organization/edit/{org}/",
        "org_delete": f"/admin/organizations/organization/delete/{org}/",
        "org_export": "/admin/organizations/organization/?export=csv",
        "org_review": "/admin/organizations/review/",
        "stats": "/admin/stats/",
        "stats_csv": "/admin/stats/?export=csv",
        "stats_xlsx": "/admin/stats/?export=xlsx",
        "nomination_list": "/admin/nominations/",
        "nomination_review": f"/admin/nominations/{page}/review/",
        "nomination_file": f"/admin/nominations/{page}/",
        "user_list": "/admin/users/",
        "user_edit": f"/admin/users/edit/{other_user}/",
        "user_add": "/admin/users/new/",
        "image_list": "/admin/images/",
        "image_edit": f"/admin/images/{image}/",
        "image_delete": f"/admin/images/{image}/delete/",
        "image_chooser": "/admin/images/chooser/",
        "image_chosen": f"/admin/images/chooser/chosen/{image}/",
        "document_list": "/admin/documents/",
        "document_edit": f"/admin/documents/edit/{document}/",
        "document_delete": f"/admin/documents/delete/{document}/",
        "document_chooser": "/admin/documents/chooser/",
    }[name]


def login_as(client, world, role):
    client.logout()
    if role != "anonymous":
        client.force_login(world["people"][role])


def outcome(response):
    """The response as one of the table's outcomes (or a description of anything else)."""
    location = response.get("Location", "")
    if response.status_code == 200:
        return OK
    if response.status_code == 302 and location.startswith("/admin/login/?next="):
        return LOGIN
    if response.status_code == 302 and location == "/admin/":
        return DENIED
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    return f"{response.status_code} {location}".strip()


@pytest.mark.parametrize("name", list(MATRIX))
def test_scope(client, world, name):
    """One row of the table: every role requests the URL (building the data once per row
    keeps the 138 cells fast); the assertion names each cell that differs."""
    url = url_for(name, world)
    actual = {}
    for role in ROLES:
        login_as(client, world, role)
        actual[role] = outcome(client.get(url))
    expected = dict(zip(ROLES, MATRIX[name], strict=True))
    assert actual == expected, url


# --- what the lists show ---------------------------------------------------------------


def body(response):
    """HTML of a page, or of a chooser modal (JSON with the HTML inside, CJK escaped)."""
    if response["Content-Type"].startswith("application/json"):
        return response.json()["html"]
    return response.content.decode()


@pytest.mark.parametrize("role", ["submitter_a", "submitter_b", "admin"])
def test_image_listing_shows_only_what_the_user_may_edit(client, world, role):
    client.force_login(world["people"][role])
    html = client.get("/admin/images/").content.decode()
    assert ("乙单位的海报" in html) is SEES_B_IMAGE[role]
    # A's own poster: in A's listing, never in B's.
    assert ("甲单位的海报" in html) is (role in ("submitter_a", "admin"))


@pytest.mark.parametrize("view", ["/admin/images/chooser/", "/admin/images/chooser/results/"])
def test_image_chooser_shows_own_uploads_to_submitters_and_all_to_moderators(client, world, view):
    """Posters stay choosable by the submitter who uploaded them, moderators can choose any
    (they review and may correct an activity), and no submitter sees another unit's."""
    seen = {}
    for role in SEES_B_IMAGE:
        login_as(client, world, role)
        response = client.get(view)
        assert response.status_code == 200
        html = body(response)
        seen[role] = ("甲单位的海报" in html, "乙单位的海报" in html)
    assert seen == {
        "submitter_a": (True, False),
        "submitter_b": (False, True),
        "province": (True, True),
        "national": (True, True),
        "admin": (True, True),
    }


def test_submitter_chooses_their_own_poster_again(client, world):
    client.force_login(world["people"]["submitter_b"])
    response = client.get(f"/admin/images/chooser/chosen/{world['b_poster'].pk}/")
    assert response.status_code == 200
    assert response.json()["result"]["id"] == str(world["b_poster"].pk)


def test_document_chooser_lists_nothing_to_non_superusers(client, world):
    for role in ("submitter_a", "province", "national", "admin"):
        client.force_login(world["people"][role])
        assert "内部文件" not in body(client.get("/admin/documents/chooser/"))
    client.force_login(world["superuser"])
    assert "内部文件" in body(client.get("/admin/documents/chooser/"))


def test_admin_api_lists_only_choosable_images(client, world):
    """/admin/api/main/images/ listed every upload (titles, file URLs) to any admin user."""
    seen = {}
    for role in SEES_B_IMAGE:
        login_as(client, world, role)
        titles = {item["title"] for item in client.get("/admin/api/main/images/").json()["items"]}
        detail = client.get(f"/admin/api/main/images/{world['b_poster'].pk}/").status_code
        seen[role] = ("乙单位的海报" in titles, detail)
    assert seen == {role: (sees, 200 if sees else 404) for role, sees in SEES_B_IMAGE.items()}


def test_admin_api_lists_no_documents_to_submitters(client, world):
    client.force_login(world["people"]["submitter_a"])
    assert client.get("/admin/api/main/documents/").json()["items"] == []
    detail = client.get(f"/admin/api/main/documents/{world['document'].pk}/")
    assert detail.status_code == 404


def test_stats_export_of_a_province_moderator_is_their_province_only(client, world):
    client.force_login(world["people"]["province"])
    forged = client.get("/admin/stats/", {"province": "110000", "export": "csv"})
    assert forged.status_code == 200
    body = forged.content.decode("utf-8-sig")
    assert "广东" in body and "北京" not in body


# --- forged requests against B's uploads -------------------------------------------------


def image_state(image):
    image = Image.objects.filter(pk=image.pk).first()
    return image and (image.title, image.file.name, image.collection_id)


@pytest.mark.parametrize("mode", ["post", "xhr"])
def test_submitter_cannot_edit_or_delete_another_units_image(client, world, mode):
    a, poster = world["people"]["submitter_a"], world["b_poster"]
    before = image_state(poster)
    client.force_login(a)
    extra = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if mode == "xhr" else {}
    attempts = [
        (f"/admin/images/{poster.pk}/", {"title": "被篡改", "collection": "1", "tags": ""}),
        (f"/admin/images/{poster.pk}/delete/", {}),
        (
            f"/admin/images/multiple/{poster.pk}/",
            {f"image-{poster.pk}-title": "被篡改", f"image-{poster.pk}-collection": "1"},
        ),
        (f"/admin/images/multiple/{poster.pk}/delete/", {}),
        (f"/admin/bulk/wagtailimages/image/delete/?id={poster.pk}", {}),
    ]
    for url, data in attempts:
        response = client.post(url, data, **extra)
        # Refused (a redirect to the dashboard, or 403 for XHR) or, for the bulk action,
        # passed over: whatever the answer, the image is exactly as it was.
        assert response.status_code in (302, 403, 200), url
        if response.status_code == 302 and "bulk" not in url:
            assert response["Location"] == "/admin/", url
        assert image_state(poster) == before, url
    for url in (
        f"/admin/images/{poster.pk}/generate_url/",
        f"/admin/images/{poster.pk}/preview/fill-100x100/",
        f"/admin/images/usage/{poster.pk}/",
    ):
        response = client.get(url, **extra)
        # 404: the URL generator is off without Wagtail's dynamic image serve view.
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url
    assert image_state(poster) == before


def test_bulk_delete_of_another_units_image_neither_names_nor_deletes_it(client, world):
    """R2: the confirmation page listed the other unit's poster by title (as one the user
    may not delete); it is now a 404, as for a page of another unit."""
    client.force_login(world["people"]["submitter_a"])
    poster = world["b_poster"]
    response = client.get(f"/admin/bulk/wagtailimages/image/delete/?id={poster.pk}")
    assert response.status_code == 404
    assert "乙单位的海报" not in response.content.decode()
    client.post(f"/admin/bulk/wagtailimages/image/delete/?id={poster.pk}")
    assert Image.objects.filter(pk=poster.pk).exists()


def test_owner_can_still_delete_their_own_unused_image(client, world):
    b = world["people"]["submitter_b"]
    spare = factories.poster(owner=b, title="乙单位的备用海报")
    client.force_login(b)
    response = client.post(f"/admin/images/{spare.pk}/delete/")
    assert response.status_code == 302
    assert not Image.objects.filter(pk=spare.pk).exists()


def test_uploads_through_the_chooser_belong_to_the_uploader(client, world):
    a = world["people"]["submitter_a"]
    client.force_login(a)
    data = make_poster("上传测试", "2026年9月20日", "测试主办单位")
    response = client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "甲单位新上传的海报",
            "image-chooser-upload-file": ContentFile(data, name="new.jpg"),
            "image-chooser-upload-collection": "1",
            "image-chooser-upload-tags": "",
        },
    )
    assert response.status_code == 200, response.content[:500]
    image = Image.objects.get(title="甲单位新上传的海报")
    assert image.uploaded_by_user == a
    # B never sees it; A can choose it again.
    client.force_login(world["people"]["submitter_b"])
    assert "甲单位新上传的海报" not in body(client.get("/admin/images/chooser/"))
    client.force_login(a)
    assert client.get(f"/admin/images/chooser/chosen/{image.pk}/").status_code == 200


def test_moderator_reviewing_an_activity_sees_its_poster(client, world):
    """The poster stays visible to the province moderator in the editor while reviewing,
    although it belongs to the submitter."""
    from tests.workflow.conftest import current_task_state, submit

    b = world["people"]["submitter_b"]
    poster = factories.poster(owner=b, title="待审活动的海报")
    page = factories.activity(owner=b, poster=poster, title="乙单位待审活动")
    submit(page, b)
    assert current_task_state(page) is not None
    client.force_login(world["people"]["province"])
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "待审活动的海报" in html
    rendition = poster.renditions.first()
    assert rendition is not None and rendition.url in html


# --- user admin: administrators manage accounts, superusers stay out of reach -----------


def test_platform_admin_cannot_grant_superuser(client, world):
    admin = world["people"]["admin"]
    target = world["people"]["submitter_a"]
    client.force_login(admin)
    form = client.get(f"/admin/users/edit/{target.pk}/").content.decode()
    assert 'name="is_superuser"' not in form
    client.post(
        f"/admin/users/edit/{target.pk}/",
        {
            "phone": target.phone,
            "real_name": target.real_name,
            "is_active": "on",
            "is_superuser": "on",
            "groups": [g.pk for g in target.groups.all()],
            "password1": "",
            "password2": "",
        },
    )
    target.refresh_from_db()
    assert not target.is_superuser
    response = client.post(
        "/admin/users/new/",
        {
            "phone": "13700009999",
            "real_name": "新账号",
            "is_superuser": "on",
            "password1": "a-strong-pass-2026",
            "password2": "a-strong-pass-2026",
        },
    )
    assert response.status_code == 302
    assert not User.objects.get(phone="13700009999").is_superuser


def test_platform_admin_cannot_edit_or_copy_a_superuser(client, world):
    admin, root = world["people"]["admin"], world["superuser"]
    password = root.password
    client.force_login(admin)
    edit = f"/admin/users/edit/{root.pk}/"
    assert (client.get(edit).status_code, client.get(edit)["Location"]) == (302, "/admin/")
    data = {
        "phone": root.phone,
        "real_name": root.real_name,
        "is_active": "on",
        "password1": "taken-over-2026",
        "password2": "taken-over-2026",
    }
    client.post(edit, data)
    # Wagtail's "copy user" bound its form to the copied account: a POST there saved over it.
    assert client.post(f"/admin/users/copy/{root.pk}/", data).status_code == 404
    root.refresh_from_db()
    assert root.password == password


def test_superuser_still_edits_superusers_and_grants_the_flag(client, world):
    root = world["superuser"]
    other = factories.user(None, real_name="另一位超级管理员", is_superuser=True)
    client.force_login(root)
    assert client.get(f"/admin/users/edit/{other.pk}/").status_code == 200
    form = client.get(f"/admin/users/edit/{world['people']['admin'].pk}/").content.decode()
    assert 'name="is_superuser"' in form


def test_password_set_in_the_user_admin_follows_the_validators_and_unlocks(client, world):
    """Platform administrators reset a forgotten password in the user admin (docs/accounts.md);
    the validators apply and the account's lockout is lifted."""
    admin, target = world["people"]["admin"], world["people"]["submitter_a"]
    AccessAttempt.objects.create(
        username=target.phone,
        ip_address="203.0.113.9",
        user_agent="test",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/admin/login/",
    )
    client.force_login(admin)
    url = f"/admin/users/edit/{target.pk}/"
    base = {
        "phone": target.phone,
        "real_name": target.real_name,
        "is_active": "on",
        "groups": [g.pk for g in target.groups.all()],
    }
    weak = client.post(url, {**base, "password1": target.phone, "password2": target.phone})
    assert weak.status_code == 200
    target.refresh_from_db()
    assert target.check_password("test-pass-2026-x")
    assert AccessAttempt.objects.filter(username=target.phone).exists()

    strong = "Reset-by-admin-2026"
    response = client.post(url, {**base, "password1": strong, "password2": strong})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(strong)
    assert not AccessAttempt.objects.filter(username=target.phone).exists()
    client.logout()
    login = client.post("/admin/login/", {"username": target.phone, "password": strong})
    assert login.status_code == 302


PAGE_VIEWS = [
    "/admin/pages/{pk}/",
    "/admin/pages/{pk}/history/",
    "/admin/pages/{pk}/workflow/history/",
    "/admin/bulk/wagtailcore/page/delete/?id={pk}&id={own}",
    "/admin/bulk/wagtailcore/page/publish/?id={own}&id={pk}",
    "/admin/bulk/wagtailcore/page/move/?id={pk}",
    "/admin/nominations/{pk}/",
]


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_r2_another_units_activity_has_no_admin_url_for_a_submitter(client, world, view):
    """R2: the explorer and the bulk action pages named other units' drafts by id."""
    a = world["people"]["submitter_a"]
    theirs = factories.activity(owner=world["people"]["submitter_b"], title="乙单位的草稿活动")
    own = factories.activity(owner=a, title="甲单位自己的活动")
    client.force_login(a)
    response = client.get(view.format(pk=theirs.pk, own=own.pk))
    assert response.status_code == 404
    assert "乙单位的草稿活动" not in response.content.decode()


@pytest.mark.parametrize("view", ["/admin/pages/{pk}/", "/admin/pages/{pk}/history/"])
def test_r2_own_activity_and_moderators_keep_their_views(client, world, view):
    page = world["page"]
    for user in (world["people"]["submitter_b"], world["people"]["national"]):
        client.force_login(user)
        response = client.get(view.format(pk=page.pk))
        assert response.status_code == 200, user
        assert page.title in response.content.decode()
    client.force_login(world["people"]["submitter_b"])
    response = client.get(f"/admin/bulk/wagtailcore/page/delete/?id={page.pk}")
    assert response.status_code == 200


def test_r2_explorer_user_filters_offer_a_submitter_only_themself(client, world):
    """The explorer's Owner / Edited by filters listed every owner's and editor's real name
    to any submitter."""
    factories.activity(owner=world["people"]["submitter_a"], title="甲单位自己的活动")
    url = f"/admin/pages/{factories.index().pk}/"
    a = world["people"]["submitter_a"]
    client.force_login(a)
    html = client.get(url).content.decode()
    assert "提交人乙" not in html
    client.force_login(world["people"]["national"])
    html = client.get(url).content.decode()
    assert "提交人乙" in html and "提交人甲" in html
