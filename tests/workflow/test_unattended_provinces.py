"""A province review step nobody can act on (R20, R24; audit of the administrator's
journeys, finding 1). When the activity's province has no active province moderator, its
submission mail went to nobody and nothing told the platform's administrators: the
activity waited, seen only on superusers' desks, with nothing saying why. Now the step's
start mails the administrators and superusers, naming the province, and their dashboard
and review desk count what waits there until a moderator is assigned."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from organizations.models import Organization
from tests import factories
from workflow.coverage import unattended_waiting

from .conftest import current_task_state, mails_to, submit

pytestmark = pytest.mark.django_db

SHANGHAI, TIANJIN = "310000", "120000"
# The notice's mark, with the number waiting (its text is in the reader's language).
NOTICE = "data-unattended-provinces"


@pytest.fixture
def admin(people):
    return factories.user(roles.ADMINISTRATORS, real_name="平台管理员", email="admin@example.cn")


def waiting_in(people, province, title):
    """An activity of `province`'s association, submitted by the unit: its province step
    starts (Wagtail's own workflow call, as the editor's submit button makes it)."""
    channel = Organization.objects.get(province_id=province, category="provincial")
    page = factories.activity(
        owner=people["submitter"],
        title=title,
        province_id=province,
        city_id=None,
        channel=channel,
    )
    submit(page, people["submitter"])
    return page


def test_the_start_of_an_unattended_province_step_mails_administrators_and_superusers(
    people, admin
):
    mail.outbox.clear()
    page = waiting_in(people, SHANGHAI, "上海待审活动")
    assert current_task_state(page).task.specific.review_stage == "province"
    to_admin, to_root = mails_to(admin), mails_to(people["superuser"])
    assert len(to_admin) == 1 and len(to_root) == 1
    [message] = to_admin
    assert "上海市" in message.subject
    assert "上海待审活动" in message.body and "上海市" in message.body
    assert "/admin/users/" in message.body
    # Nobody else: no moderator of another province, no national moderator, not the unit.
    for person in ("guangdong", "beijing", "national", "submitter"):
        assert mails_to(people[person]) == []


def test_one_mail_a_day_per_province_however_many_wait(people, admin):
    mail.outbox.clear()
    waiting_in(people, SHANGHAI, "上海待审活动一")
    waiting_in(people, SHANGHAI, "上海待审活动二")
    assert len(mails_to(admin)) == 1
    waiting_in(people, TIANJIN, "天津待审活动")
    first, second = mails_to(admin)
    assert "上海市" in first.subject and "天津市" in second.subject


def test_a_province_with_a_moderator_does_not_alarm_anyone(people, admin):
    mail.outbox.clear()
    page = factories.activity(owner=people["submitter"], title="广东待审活动")
    submit(page, people["submitter"])
    assert len(mails_to(people["guangdong"])) == 1
    assert mails_to(admin) == [] and mails_to(people["superuser"]) == []


def test_an_inactive_moderator_attends_nothing(people, admin):
    factories.user(
        roles.PROVINCE_MODERATORS, province=SHANGHAI, real_name="已停用", is_active=False
    )
    mail.outbox.clear()
    waiting_in(people, SHANGHAI, "上海待审活动")
    assert len(mails_to(admin)) == 1


def dashboard(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_and_the_desk_count_what_waits_and_link_to_the_users(client, people, admin):
    for number in (1, 2):
        waiting_in(people, SHANGHAI, f"上海待审活动{number}")
    waiting_in(people, TIANJIN, "天津待审活动")
    body = dashboard(client, admin)
    assert f'{NOTICE}="3"' in body
    assert "上海市（2）、天津市（1）" in body
    assert 'href="/admin/users/"' in body
    # The superuser, who can act on them, sees it on the review desk too.
    client.force_login(people["superuser"])
    desk = client.get("/admin/review/").content.decode()
    assert "上海市（2）、天津市（1）" in desk
    # Not for moderators, who can neither act on them nor assign anyone.
    assert NOTICE not in dashboard(client, people["national"])
    assert NOTICE not in dashboard(client, people["guangdong"])
    # Once Shanghai has a moderator, only Tianjin is left.
    factories.user(roles.PROVINCE_MODERATORS, province=SHANGHAI, real_name="上海审核员")
    body = dashboard(client, admin)
    assert f'{NOTICE}="1"' in body and "天津市（1）" in body and "上海市" not in body


def test_nothing_waits_unseen_nothing_is_shown(client, people, admin):
    page = factories.activity(owner=people["submitter"], title="广东待审活动")
    submit(page, people["submitter"])
    assert NOTICE not in dashboard(client, admin)
    assert unattended_waiting() == []


def test_the_notice_costs_two_queries_whatever_waits(client, people, admin):
    """Set-based: one query finds the provinces without a moderator, one counts what waits
    in them; the dashboard's queries do not grow with what waits."""
    waiting_in(people, SHANGHAI, "上海待审活动1")
    dashboard(client, admin)  # per-process caches warm
    with CaptureQueriesContext(connection) as few:
        dashboard(client, admin)
    with CaptureQueriesContext(connection) as notice:
        assert [(p.pk, n) for p, n in unattended_waiting()] == [(SHANGHAI, 1)]
    assert len(notice) == 2
    for number in range(2, 6):
        waiting_in(people, SHANGHAI, f"上海待审活动{number}")
    waiting_in(people, TIANJIN, "天津待审活动")
    with CaptureQueriesContext(connection) as more:
        body = dashboard(client, admin)
    assert "上海市（5）、天津市（1）" in body
    assert len(more) == len(few)
