"""Who hears of an onboarding request (组织入驻, R4, R24). A request reached nobody: those
who certify requests (superusers, 平台管理员) found it only by opening the list, and the
requester heard nothing of the decision. Now the reviewers are mailed, batched (at most one
mail each per interval, the rest gathered at its end), their dashboard counts what waits,
and the requester is mailed the decision, a rejection with its reason."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from wagtail.users.models import UserProfile

from accounts import roles
from organizations.models import Organization
from tests import factories
from tests.organizations.test_requests_and_review import request_data as review_request_data
from tests.tasks import PRODUCTION_TASKS, run_worker

from .test_library_edit_rules import edit

pytestmark = pytest.mark.django_db

JOIN = "/organizations/join/"
REVIEW = "/admin/organizations/review/"
NOTICE = "data-organization-requests"
START = datetime.datetime(2026, 9, 1, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(db):
    return {
        "admin": factories.user(
            roles.ADMINISTRATORS, real_name="平台管理员", email="admin@example.cn"
        ),
        "root": factories.user(
            None, real_name="超级管理员", is_superuser=True, email="root@example.cn"
        ),
        "national": factories.user(
            roles.NATIONAL_MODERATORS, real_name="全国审核员", email="national@example.cn"
        ),
        "guangdong": factories.user(
            roles.PROVINCE_MODERATORS,
            province="440000",
            real_name="广东审核员",
            email="gd@example.cn",
        ),
        "unit": factories.submitter(real_name="申请人", email="unit@example.cn"),
    }


def to(outbox, address):
    return [message for message in outbox if address in message.to]


def request_data(name="某某县青少年科技中心", **overrides):
    return review_request_data(name=name, **overrides)


def ask(client, user, name="某某县青少年科技中心", **overrides):
    client.force_login(user)
    response = client.post(JOIN, request_data(name, **overrides))
    assert response.status_code == 302, response.context["form"].errors
    return Organization.objects.get(name=name, status="pending")


# --- the reviewers' mail --------------------------------------------------------------


def test_a_request_mails_those_who_certify_requests_and_nobody_else(client, people, mailoutbox):
    ask(client, people["unit"])
    for reviewer in ("admin", "root"):
        (message,) = to(mailoutbox, people[reviewer].email)
        assert "某某县青少年科技中心" in message.subject
        assert "某某县青少年科技中心" in message.body and "申请人" in message.body
        assert f"{REVIEW}" in message.body  # where to certify or reject it
    # Not the moderators, who cannot certify, nor the unit that asked.
    assert len(mailoutbox) == 2
    for person in ("national", "guangdong", "unit"):
        assert to(mailoutbox, people[person].email) == []


def test_a_burst_of_requests_is_one_mail_per_reviewer_per_interval(client, people, mailoutbox):
    for number in range(5):
        ask(client, people["unit"], f"某某县青少年科技中心{number}")
    assert len(to(mailoutbox, "admin@example.cn")) == 1
    assert len(to(mailoutbox, "root@example.cn")) == 1

    # A day later (the interval is shorter), the next request is mailed at once.
    # Another unit's: one account has at most five waiting.
    with time_machine.travel(START + datetime.timedelta(days=1)):
        ask(client, factories.submitter(real_name="另一个申请人"), "某某县青少年科技中心5")
    first, second = to(mailoutbox, "admin@example.cn")
    assert "某某县青少年科技中心5" in second.subject
    assert "6" in second.body  # what waits in all, the five of the first interval included


def test_the_queue_gathers_what_arrives_during_the_interval_in_one_mail(
    client, people, mailoutbox, clock
):
    with override_settings(TASKS=PRODUCTION_TASKS):
        ask(client, people["unit"], "第一个申请单位")
        run_worker()
        assert len(to(mailoutbox, "admin@example.cn")) == 1
        for name in ("第二个申请单位", "第三个申请单位", "第四个申请单位"):
            clock.shift(datetime.timedelta(minutes=20))
            ask(client, people["unit"], name)
        run_worker()
        # Nothing more during the interval; one mail is queued for its end.
        assert len(to(mailoutbox, "admin@example.cn")) == 1
        (digest,) = DBTaskResult.objects.filter(
            task_path="organizations.notifications.send_request_digest"
        )
        assert digest.run_after > START + datetime.timedelta(hours=1)  # the interval's end
        DBTaskResult.objects.filter(pk=digest.pk).update(run_after=START)  # the interval ends
        run_worker()
    first, gathered = to(mailoutbox, "admin@example.cn")
    assert "第一个申请单位" in first.body
    for name in ("第二个申请单位", "第三个申请单位", "第四个申请单位"):
        assert name in gathered.body
    assert "第一个申请单位" not in gathered.body
    assert "3" in gathered.subject
    assert len(to(mailoutbox, "root@example.cn")) == 2


def test_the_submitted_switch_stops_the_mail(client, people, mailoutbox):
    profile = UserProfile.get_for_user(people["admin"])
    profile.submitted_notifications = False
    profile.save()
    ask(client, people["unit"])
    assert to(mailoutbox, "admin@example.cn") == []
    assert len(to(mailoutbox, "root@example.cn")) == 1


def account_page(client, user):
    """The account page in English, whatever the catalogue holds."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return client.get("/admin/account/").content.decode()


def test_the_account_page_says_the_switch_covers_organization_requests(client, people):
    assert "organization request awaits your review" in account_page(client, people["admin"])
    assert "organization request" not in account_page(client, people["guangdong"])


# --- the dashboard --------------------------------------------------------------------


def dashboard(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_counts_waiting_requests_for_reviewers_only(client, people):
    assert NOTICE not in dashboard(client, people["admin"])  # none waits
    ask(client, people["unit"], "第一个申请单位")
    ask(client, people["unit"], "第二个申请单位")
    for reviewer in ("admin", "root"):
        body = dashboard(client, people[reviewer])
        assert f'{NOTICE}="2"' in body
        assert f'href="{REVIEW}"' in body
    for person in ("national", "guangdong"):
        assert NOTICE not in dashboard(client, people[person])


# --- the requester hears of the decision ----------------------------------------------


def test_a_rejection_is_mailed_to_the_requester_with_its_reason(client, people, mailoutbox):
    first = ask(client, people["unit"], "第一个申请单位", contact_email="office@unit.example.cn")
    second = ask(client, people["unit"], "第二个申请单位")
    mailoutbox.clear()
    client.force_login(people["admin"])
    response = client.post(
        REVIEW,
        {"organizations": [first.pk, second.pk], "action": "reject", "reason": "请附上登记证书"},
    )
    assert response.status_code == 302
    # One mail for the decision on both, to the account's email.
    (message,) = to(mailoutbox, "unit@example.cn")
    assert "第一个申请单位" in message.body and "第二个申请单位" in message.body
    assert "请附上登记证书" in message.body
    assert "/organizations/join/" in message.body
    # Not the contact email typed into the request: anyone may type any address there,
    # and a rejected batch of spam requests mailed their text to outside addresses.
    assert to(mailoutbox, "office@unit.example.cn") == []
    assert len(mailoutbox) == 1


def test_a_deactivated_requester_is_not_mailed(client, people, mailoutbox):
    organization = ask(client, people["unit"], "第三个申请单位")
    people["unit"].is_active = False
    people["unit"].save(update_fields=["is_active"])
    mailoutbox.clear()
    client.force_login(people["admin"])
    client.post(REVIEW, {"organizations": [organization.pk], "action": "reject", "reason": "垃圾"})
    assert mailoutbox == []


def test_a_certification_is_mailed_to_the_requester(client, people, mailoutbox):
    organization = ask(client, people["unit"])
    mailoutbox.clear()
    client.force_login(people["admin"])
    client.post(REVIEW, {"organizations": [organization.pk], "action": "certify"})
    (message,) = mailoutbox
    assert message.to == ["unit@example.cn"]
    assert "某某县青少年科技中心" in message.subject + message.body


def test_a_decision_in_the_library_form_is_mailed_too(client, people, mailoutbox):
    organization = ask(client, people["unit"])
    mailoutbox.clear()
    client.force_login(people["root"])
    response = edit(client, organization, status="rejected", rejection_reason="名称与公章不符")
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == ["unit@example.cn"] and "名称与公章不符" in message.body

    # An entry nobody asked for (the starter library's) is not announced to its contact.
    beijing = Organization.objects.get(name="北京市科学技术协会")
    Organization.objects.filter(pk=beijing.pk).update(contact_email="bast@example.cn")
    beijing.refresh_from_db()
    response = edit(client, beijing, status="rejected", rejection_reason="撤销认证")
    assert response.status_code == 302
    assert to(mailoutbox, "bast@example.cn") == []


def test_r4_an_account_has_at_most_five_requests_waiting(client, people):
    """An attacker audit filed 30 requests in under a second: the reviewers' list buried,
    and each request a mail's worth of text. A unit asks for a few at a time."""
    from organizations.forms import MAX_WAITING_REQUESTS

    asked = [ask(client, people["unit"], f"第{number}个申请单位") for number in range(5)]
    assert MAX_WAITING_REQUESTS == 5
    response = client.post(JOIN, request_data("第六个申请单位"))
    assert response.status_code == 200
    assert "请等审核结果出来后再提交新的申请" in response.content.decode()
    assert not Organization.objects.filter(name="第六个申请单位").exists()
    # Once one is decided, another may be asked for.
    Organization.objects.filter(pk=asked[0].pk).update(
        status="rejected", rejection_reason="名称有误"
    )
    ask(client, people["unit"], "第六个申请单位")


def test_r4_telling_many_requesters_reads_them_in_one_query(people, monkeypatch):
    """A bulk decision read each requester and their profile one by one (two queries a
    request); the letters themselves are counted apart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from organizations import notifications

    def requests(count, tag):
        chosen = []
        for number in range(count):
            requester = factories.submitter(
                real_name=f"申请人{tag}{number}", email=f"{tag}{number}@x.cn"
            )
            organization = Organization.objects.create(
                name=f"{tag}申请单位{number}",
                category="other",
                province_id="440000",
                city_id="440100",
                contact_person="王老师",
                contact_phone="020-87654321",
                requested_by=requester,
                status=Organization.Status.REJECTED,
                rejection_reason="名称有误",
            )
            chosen.append(organization)
        return chosen

    sent = []
    monkeypatch.setattr(notifications, "send_decision", sent.append)
    one, many = requests(1, "甲"), requests(4, "乙")
    with CaptureQueriesContext(connection) as for_one:
        notifications.notify_requesters(one, people["admin"])
    with CaptureQueriesContext(connection) as for_many:
        notifications.notify_requesters(many, people["admin"])
    assert len(for_many) == len(for_one) == 1
    assert sorted(letter["address"] for letter in sent) == [
        "乙0@x.cn",
        "乙1@x.cn",
        "乙2@x.cn",
        "乙3@x.cn",
        "甲0@x.cn",
    ]
