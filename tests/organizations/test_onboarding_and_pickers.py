"""Onboarding (R4), pickers and autocomplete (R5), the library admin (R3)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts import roles
from accounts.models import User
from organizations.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = User.objects.create_user("13600000001", "member-pass-2026", real_name="会员")
    client.force_login(user)
    return user


def onboarding_data(**overrides):
    return {
        "name": "某某市科技馆",
        "category": "other",
        "province": "440000",
        "city": "440100",
        "county": "",
        "contact_person": "李老师",
        "contact_phone": "020-12345678",
        "contact_email": "",
        "address": "",
        "note": "市属科普场馆",
        **overrides,
    }


def autocomplete(client, **params):
    return client.get("/organizations/autocomplete/", params)


def names(response):
    return [row["name"] for row in response.json()["results"]]


def test_onboarding_request_becomes_pickable_only_after_certification(client, member):
    assert "某某市科技馆" not in names(autocomplete(client, q="科技馆"))

    response = client.post("/organizations/join/", onboarding_data())
    assert response.status_code == 302
    organization = Organization.objects.get(name="某某市科技馆")
    assert organization.status == Organization.Status.PENDING
    assert organization.requested_by == member
    assert "某某市科技馆" not in names(autocomplete(client, q="科技馆"))

    page = client.get("/organizations/requests/").content.decode()
    assert "某某市科技馆" in page and "待审核" in page

    organization.status = Organization.Status.CERTIFIED
    organization.save()
    assert "某某市科技馆" in names(autocomplete(client, q="科技馆"))


def test_rejected_request_stays_unpickable_and_requester_sees_reason(client, member, superuser):
    client.post("/organizations/join/", onboarding_data(name="不存在的研究会"))
    organization = Organization.objects.get(name="不存在的研究会")

    admin = client.__class__()
    admin.force_login(superuser)
    response = admin.post(
        "/admin/organizations/review/",
        {"organizations": [organization.pk], "action": "reject", "reason": "无法核实该组织"},
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.status == Organization.Status.REJECTED
    assert "不存在的研究会" not in names(autocomplete(client, q="研究会"))
    page = client.get("/organizations/requests/").content.decode()
    assert "已驳回" in page and "无法核实该组织" in page


def test_reject_needs_a_reason_and_loses_nothing(client, superuser):
    organization = Organization.objects.create(name="待审组织", category="other")
    client.force_login(superuser)
    response = client.post(
        "/admin/organizations/review/",
        {"organizations": [organization.pk], "action": "reject", "reason": ""},
    )
    assert response.status_code == 200
    assert "请填写驳回原因" in response.content.decode()
    organization.refresh_from_db()
    assert organization.status == Organization.Status.PENDING


def test_bulk_certify(client, superuser):
    pending = [Organization.objects.create(name=f"待审组织{i}", category="other") for i in range(3)]
    client.force_login(superuser)
    response = client.post(
        "/admin/organizations/review/",
        {"organizations": [org.pk for org in pending[:2]], "action": "certify"},
    )
    assert response.status_code == 302
    statuses = dict(
        Organization.objects.filter(name__startswith="待审组织").values_list("name", "status")
    )
    assert statuses == {"待审组织0": "certified", "待审组织1": "certified", "待审组织2": "pending"}


def test_review_page_is_for_administrators_only(client, member):
    response = client.get("/admin/organizations/review/")
    assert response.status_code in {302, 403}
    organization = Organization.objects.create(name="待审组织", category="other")
    client.post(
        "/admin/organizations/review/", {"organizations": [organization.pk], "action": "certify"}
    )
    organization.refresh_from_db()
    assert organization.status == Organization.Status.PENDING


def test_duplicate_name_gets_a_clear_error_and_keeps_the_input(client, member):
    response = client.post(
        "/organizations/join/",
        onboarding_data(name="广东省科学技术协会", category="provincial", city=""),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "该类别下已存在同名组织" in body
    assert "李老师" in body  # typed values come back
    assert Organization.objects.filter(name="广东省科学技术协会").count() == 1


def test_onboarding_validates_region_consistency(client, member):
    response = client.post(
        "/organizations/join/",
        onboarding_data(name="某区科协", category="county", city="320100"),
    )
    assert response.status_code == 200
    assert not Organization.objects.filter(name="某区科协").exists()


def test_anonymous_cannot_request_or_autocomplete(client):
    response = client.post("/organizations/join/", onboarding_data())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Organization.objects.filter(name="某某市科技馆").exists()
    response = autocomplete(client, q="广东")
    assert response.status_code in {302, 403}


def test_autocomplete_matches_inside_names_in_one_query(client, member):
    with CaptureQueriesContext(connection) as queries:
        response = autocomplete(client, q="广东")
    assert response.status_code == 200
    assert names(response)[0] == "广东省科学技术协会"
    # The session and user lookups of the login are not the autocomplete's.
    own = [q for q in queries.captured_queries if "organizations_organization" in q["sql"]]
    assert len(own) == 1

    assert "中国天文学会" in names(autocomplete(client, q="天文"))
    assert names(autocomplete(client, q="科学技术协会", category="provincial", limit=50))
    assert all(
        row["category"] == "provincial"
        for row in autocomplete(client, q="协会", category="provincial").json()["results"]
    )
    assert autocomplete(client, category="nonsense").status_code == 400
    assert autocomplete(client, q="%").json()["results"] == []
    assert autocomplete(client, q="x" * 10000).status_code == 200


def test_autocomplete_is_one_query_over_5000_organizations(client, member):
    Organization.objects.bulk_create(
        [
            Organization(name=f"测试单位{i:04d}", category="other", status="certified")
            for i in range(5000)
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        response = autocomplete(client, q="单位4999")
    assert names(response) == ["测试单位4999"]
    own = [q for q in queries.captured_queries if "organizations_organization" in q["sql"]]
    assert len(own) == 1


def test_channel_chooser_filters_by_category_and_keyword(admin_client):
    Organization.objects.create(
        name="广东省某待审协会", category="provincial", province_id="440000"
    )
    response = admin_client.get(
        "/admin/organization_chooser/results/", {"category": "provincial", "q": "广东"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "广东省科学技术协会" in body
    assert "广东省某待审协会" not in body  # pending: never a channel choice
    assert "中国化学会" not in body

    response = admin_client.get(
        "/admin/organization_chooser/results/", {"category": "national_society", "q": "化学"}
    )
    assert "中国化学会" in response.content.decode()


def test_regions_endpoint_cascades(client):
    cities = client.get("/organizations/regions/", {"parent": "440000", "level": "city"}).json()
    assert {"code": "440100", "name": "广州市"} in cities["results"]
    counties = client.get("/organizations/regions/", {"parent": "440100"}).json()
    assert any(row["name"] == "天河区" for row in counties["results"])
    districts = client.get(
        "/organizations/regions/", {"parent": "110000", "level": "county"}
    ).json()
    assert any(row["name"] == "海淀区" for row in districts["results"])
    provinces = client.get("/organizations/regions/").json()
    assert len(provinces["results"]) == 35
    assert client.get("/organizations/regions/", {"level": "x"}).status_code == 400


def test_library_admin_lists_searches_filters_and_exports(admin_client):
    index = admin_client.get("/admin/organizations/organization/", {"q": "广东"})
    assert index.status_code == 200
    assert "广东省科学技术协会" in index.content.decode()

    filtered = admin_client.get(
        "/admin/organizations/organization/", {"category__exact": "national_society"}
    )
    assert "中国化学会" in filtered.content.decode()
    assert "广东省科学技术协会" not in filtered.content.decode()

    exported = admin_client.get(
        "/admin/organizations/organization/", {"export": "csv", "q": "广东"}
    )
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert any("广东省科学技术协会" in row for row in rows)

    xlsx = admin_client.get("/admin/organizations/organization/", {"export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sheet.max_row >= 200


def test_library_admin_create_and_edit(admin_client):
    assert admin_client.get("/admin/organizations/organization/create/").status_code == 200
    response = admin_client.post(
        "/admin/organizations/organization/create/",
        {
            "name": "广州市天河区科学技术协会",
            "short_name": "",
            "category": "county",
            "province": "440000",
            "city": "440100",
            "county": "440106",
            "parent": "",
            "status": "certified",
            "rejection_reason": "",
            "contact_person": "",
            "contact_phone": "",
            "contact_email": "",
            "address": "",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    organization = Organization.objects.get(name="广州市天河区科学技术协会")
    assert organization.county_id == "440106"
    edit = admin_client.get(f"/admin/organizations/organization/edit/{organization.pk}/")
    assert edit.status_code == 200
    assert "天河区" in edit.content.decode()


def test_library_admin_refuses_submitters(client, member):
    response = client.get("/admin/organizations/organization/")
    assert response.status_code in {302, 403}


def test_r4_library_csv_export_writes_a_formula_like_request_as_text(client, member, superuser):
    """A name typed in an onboarding request stays text in the administrators' export."""
    name = "=1+2+cmd|' /C calc'!A0"
    response = client.post("/organizations/join/", onboarding_data(name=name))
    assert response.status_code == 302
    client.force_login(superuser)
    exported = client.get("/admin/organizations/organization/", {"export": "csv"})
    content = b"".join(exported.streaming_content).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert "'" + name in cells
    assert name not in cells


def test_r4_a_new_submitter_finds_the_onboarding_form(client):
    """组织入驻 was linked from nowhere a new submitter could reach: not the menu, the
    registration form or the organization pickers."""
    submitter = factories.submitter()
    client.force_login(submitter)
    dashboard = client.get("/admin/").content.decode()
    assert "/organizations/requests/" in dashboard  # the sidebar's menu
    requests_page = client.get("/organizations/requests/").content.decode()
    assert 'href="/organizations/join/"' in requests_page
    for url, params in (
        ("/admin/organization_chooser/", {"category": "municipal"}),
        ("/admin/organization_chooser/results/", {"category": "provincial", "q": "不存在的单位"}),
    ):
        response = client.get(url, params)
        body = response.json()["html"] if url.endswith("chooser/") else response.content.decode()
        assert 'href="/organizations/join/"' in body, url
    client.logout()
    client.cookies["django_language"] = "en"
    register = client.get("/accounts/register/").content.decode()
    assert "ask for it under Organization onboarding" in register
    moderator = factories.user(roles.PROVINCE_MODERATORS, province="440000")
    client.force_login(moderator)
    assert "/organizations/requests/" not in client.get("/admin/").content.decode()
