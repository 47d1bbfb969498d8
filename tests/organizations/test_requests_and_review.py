"""Onboarding requests after a rejection and the review page (R4)."""

import re

import pytest
from django.db import IntegrityError, transaction
from wagtail.models import ModelLogEntry

from organizations.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

JOIN = "/organizations/join/"
REVIEW = "/admin/organizations/review/"


def request_data(**overrides):
    return {
        "name": "某某县青少年科技中心",
        "category": "other",
        "province": "440000",
        "city": "440100",
        "county": "",
        "contact_person": "王老师",
        "contact_phone": "020-87654321",
        "contact_email": "",
        "address": "",
        "note": "",
        **overrides,
    }


def signed_in(client, user):
    client.force_login(user)
    return client


def name_error_codes(response):
    return [error.code for error in response.context["form"].errors.as_data().get("name", [])]


def test_r4_a_rejected_requester_can_ask_again_and_the_rejection_stays_on_record(client, superuser):
    requester = factories.submitter()
    signed_in(client, requester)
    assert client.post(JOIN, request_data()).status_code == 302
    first = Organization.objects.get(name="某某县青少年科技中心")

    admin = signed_in(client.__class__(), superuser)
    response = admin.post(
        REVIEW, {"organizations": [first.pk], "action": "reject", "reason": "请附上登记证书"}
    )
    assert response.status_code == 302

    response = client.post(JOIN, request_data(note="已附登记证书编号"))
    assert response.status_code == 302, name_error_codes(response)
    rows = Organization.objects.filter(name="某某县青少年科技中心").order_by("pk")
    assert [(row.status, row.requested_by) for row in rows] == [
        ("rejected", requester),
        ("pending", requester),
    ]
    assert rows[0].rejection_reason == "请附上登记证书"  # the earlier decision is kept

    # The new request can be certified in its turn.
    response = admin.post(REVIEW, {"organizations": [rows[1].pk], "action": "certify"})
    assert response.status_code == 302
    assert Organization.objects.certified().filter(name="某某县青少年科技中心").count() == 1


def test_r4_a_pending_request_blocks_the_same_name_with_its_own_message(client):
    signed_in(client, factories.submitter())
    assert client.post(JOIN, request_data()).status_code == 302

    other = signed_in(client.__class__(), factories.submitter())
    response = other.post(JOIN, request_data(contact_person="赵老师"))
    assert response.status_code == 200
    assert name_error_codes(response) == ["requested"]
    assert Organization.objects.filter(name="某某县青少年科技中心").count() == 1

    # A certified organization still blocks as before, with the older message.
    response = other.post(JOIN, request_data(name="中国化学会", category="national_society"))
    assert name_error_codes(response) == ["exists"]


def test_r4_the_database_lets_rejected_rows_repeat_a_name_but_nothing_else():
    for _ in range(2):
        Organization.objects.create(
            name="中国化学会",
            category="national_society",
            status="rejected",
            rejection_reason="重复",
        )
    for status in ("pending", "certified"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Organization.objects.create(
                name="中国化学会", category="national_society", status=status
            )
    assert Organization.objects.filter(name="中国化学会").count() == 3


def alert_text(response):
    match = re.search(r'role="alert">(.*?)</div>', response.content.decode(), re.S)
    assert match, "the review page shows no error box"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize("action", ["delete", None])
def test_r4_review_page_explains_a_forged_or_missing_action(admin_client, action):
    organization = Organization.objects.create(name="待审组织", category="other")
    data = {"organizations": [organization.pk], "reason": ""}
    if action:
        data["action"] = action
    response = admin_client.post(REVIEW, data)
    assert response.status_code == 200
    assert "action" in response.context["form"].errors
    assert alert_text(response)  # not an empty red box
    organization.refresh_from_db()
    assert organization.status == Organization.Status.PENDING


def test_r4_rejections_from_the_review_page_log_their_reason(admin_client):
    organizations = [
        Organization.objects.create(name=f"待审组织{i}", category="other") for i in range(2)
    ]
    response = admin_client.post(
        REVIEW,
        {
            "organizations": [org.pk for org in organizations],
            "action": "reject",
            "reason": "查无此单位",
        },
    )
    assert response.status_code == 302
    for organization in organizations:
        entry = ModelLogEntry.objects.for_instance(organization).get(action="organizations.reject")
        assert entry.data == {"reason": "查无此单位"}
        organization.refresh_from_db()
        assert organization.reviewed_at is not None
    history = admin_client.get(f"/admin/organizations/organization/history/{organizations[0].pk}/")
    assert history.status_code == 200
    assert "查无此单位" in history.content.decode()
