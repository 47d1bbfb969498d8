"""A live activity that has begun can still be corrected by the platform's support (R8,
R23). Found by an administrator's audit: the unit is told to "ask the platform's support
to correct it", but the support (platform administrators, superusers) was refused the
same way, so a wrong phone number on an exhibition under way stayed public to its end.
The correction still goes through the review; the unit itself still may not submit."""

import datetime

import pytest
import time_machine
from wagtail.models import WorkflowState

from accounts import roles
from activities.models import ActivityPage
from tests import factories
from tests.workflow.conftest import current_task_state

from .editor import EDIT_URL, open_editor

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 10, 10, 0, tzinfo=datetime.UTC)
STARTED = "活动已经开始，修改不能再提交审核"


@pytest.fixture
def under_way():
    with time_machine.travel(IN_WINDOW - datetime.timedelta(days=5), tick=False):
        owner = factories.submitter()
        page = factories.activity(
            owner=owner,
            publish=True,
            title="进行中的科普展",
            contact_phone="020-12345678",
            start_at=IN_WINDOW - datetime.timedelta(days=1),
            end_at=IN_WINDOW + datetime.timedelta(days=10),
        )
    with time_machine.travel(IN_WINDOW, tick=False):
        yield page


def submit_phone(client, user, page, phone):
    client.force_login(user)
    data = open_editor(client, page)
    data["contact_phone"] = [phone]
    data["action-submit"] = ["1"]
    return client.post(EDIT_URL.format(pk=page.pk), data)


@pytest.mark.parametrize("who", ["platform administrator", "superuser"])
def test_r23_the_support_submits_a_correction_the_review_then_publishes(client, under_way, who):
    support = (
        factories.user(roles.ADMINISTRATORS)
        if who == "platform administrator"
        else factories.user(None, is_superuser=True, is_staff=True)
    )
    response = submit_phone(client, support, under_way, "020-87654321")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert WorkflowState.objects.for_instance(under_way).get().status == "in_progress"
    assert ActivityPage.objects.get(pk=under_way.pk).contact_phone == "020-12345678"

    for reviewer in (
        factories.user(roles.PROVINCE_MODERATORS, province="440000"),
        factories.user(roles.NATIONAL_MODERATORS),
    ):
        state = current_task_state(under_way)
        state.task.specific.on_action(state, reviewer, "approve", comment="")
    live = ActivityPage.objects.get(pk=under_way.pk)
    assert live.live and live.contact_phone == "020-87654321"


def test_r8_the_unit_itself_still_cannot_submit_it(client, under_way):
    response = submit_phone(client, under_way.owner, under_way, "020-87654321")
    assert response.status_code == 200
    assert STARTED in response.content.decode()
    assert not WorkflowState.objects.for_instance(under_way).exists()


def test_r8_nor_can_a_moderator(client, under_way):
    moderator = factories.user(roles.NATIONAL_MODERATORS)
    client.force_login(moderator)
    response = client.get(EDIT_URL.format(pk=under_way.pk))
    if response.status_code == 200:
        response = submit_phone(client, moderator, under_way, "020-87654321")
        assert response.status_code in (200, 302, 403)
    assert not WorkflowState.objects.filter(
        object_id=str(under_way.pk), status="in_progress"
    ).exists()


def test_r15_the_support_corrects_it_after_the_window_closes(client, under_way):
    """Found by an attacker's audit: an exhibition running into October was past the
    window, and the support was refused as the unit is."""
    from wagtail.models import Site

    from home.models import CampaignSettings

    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.window_start = datetime.date(2026, 8, 21)
    campaign.window_end = datetime.date(2026, 9, 5)
    campaign.save()
    support = factories.user(roles.ADMINISTRATORS)
    response = submit_phone(client, support, under_way, "020-12345679")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert WorkflowState.objects.for_instance(under_way).get().status == "in_progress"
