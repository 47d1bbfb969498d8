import datetime

import pytest
import time_machine

from accounts import roles
from tests import factories

# Inside the default campaign window, so submissions are open.
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def campaign_open():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


@pytest.fixture
def people(db):
    """One person per role in the permission matrix."""
    return {
        "submitter": factories.submitter(real_name="提交人", email="submitter@example.cn"),
        "guangdong": factories.user(
            roles.PROVINCE_MODERATORS,
            province="440000",
            real_name="广东审核员",
            email="gd@example.cn",
        ),
        "beijing": factories.user(
            roles.PROVINCE_MODERATORS,
            province="110000",
            real_name="北京审核员",
            email="bj@example.cn",
        ),
        "national": factories.user(
            roles.NATIONAL_MODERATORS, real_name="全国审核员", email="national@example.cn"
        ),
        "superuser": factories.user(
            None,
            real_name="超级管理员",
            is_superuser=True,
            is_staff=True,
            email="root@example.cn",
        ),
    }


def submit(page, user):
    """Submit through Wagtail's own API, as the editor's submit button does."""
    page = page.specific
    page.save_revision(user=user)
    workflow = page.get_workflow()
    return workflow.start(page, user)


def current_task_state(page):
    page.refresh_from_db()
    state = page.current_workflow_state
    return state.current_task_state if state else None


def action_url(page, action, task_state):
    return f"/admin/pages/workflow/action/{page.pk}/{action}/{task_state.pk}/"


def prefers(user, language):
    """The user's chosen admin language ("" for none)."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def mails_to(user):
    from django.core import mail

    return [message for message in mail.outbox if user.email in message.to]
