"""R13, R4: a contact phone is a number someone can dial (the public page links it as tel:):
an activity is not submitted without one, an onboarding request is not sent without one,
and what was typed comes back. A draft may hold anything meanwhile, and a revision stored
before the rule still publishes when it is approved or put back."""

import datetime

import pytest
import time_machine
from wagtail.models import WorkflowState

from activities.models import ActivityPage
from tests import factories

from .editor import ADD_URL, editor_data

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
DIALLABLE = [
    "020-88888888",
    "13800138000",
    "+86 10 6358 9000",
    "400-123-4567",
    "(020)12345678转123",
    "０２０－８８８８８８８８",
]
NOT_DIALLABLE = ["请致电王老师", "12", "javascript:alert(1)", "020-8888888x", "+"]


@pytest.fixture(autouse=True)
def campaign_open():
    with time_machine.travel(NOW, tick=False):
        yield


def post(client, phone, action="action-submit"):
    owner = factories.submitter()
    client.force_login(owner)
    data = editor_data(factories.poster(owner), factories.channel(), action, contact_phone=phone)
    return client.post(ADD_URL.format(index=factories.index().pk), data)


@pytest.mark.parametrize("phone", DIALLABLE)
def test_an_activity_is_submitted_with_a_number_people_dial(client, phone):
    response = post(client, phone)
    assert response.status_code == 302, response.context["form"].errors
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert page.current_workflow_state is not None


@pytest.mark.parametrize("phone", NOT_DIALLABLE)
def test_an_activity_is_not_submitted_with_a_phone_nobody_can_dial(client, phone):
    response = post(client, phone)
    assert response.status_code == 200
    form = response.context["form"]
    assert "contact_phone" in form.errors
    assert form["title"].value() == "广州青少年机器人科普体验日"  # nothing typed is lost
    assert not WorkflowState.objects.exists()


def test_a_draft_keeps_any_phone_until_it_is_submitted(client):
    assert post(client, "请致电王老师", action=None).status_code == 302


def test_a_revision_stored_before_the_rule_still_publishes(client):
    page = factories.activity(publish=True, title="规则之前的活动")
    ActivityPage.objects.filter(pk=page.pk).update(contact_phone="王老师 办公室电话")
    page = ActivityPage.objects.get(pk=page.pk)
    page.save_revision().publish()  # as the last approval or a put-back does
    assert ActivityPage.objects.get(pk=page.pk).contact_phone == "王老师 办公室电话"


@pytest.mark.parametrize(
    ("phone", "accepted"),
    [
        ("020-87654321", True),
        ("请找王老师", False),
        # Several numbers as the guide writes them (R4, R13).
        ("010-63589698，010-63589586", True),
        ("010-63589698、请找王老师", False),
    ],
)
def test_an_onboarding_request_checks_its_phone(client, phone, accepted):
    client.force_login(factories.submitter())
    response = client.post(
        "/organizations/join/",
        {
            "name": "某某县青少年科技中心",
            "category": "other",
            "province": "440000",
            "city": "440100",
            "contact_person": "王老师",
            "contact_phone": phone,
        },
    )
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert "contact_phone" in response.context["form"].errors


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("(020)12345678转123", 'href="tel:02012345678;ext=123"'),
        ("０２０－８８８８８８８８", 'href="tel:02088888888"'),
        ("+86 10 6358 9000", 'href="tel:+861063589000"'),
    ],
)
def test_the_public_page_links_a_number_a_phone_can_dial(client, phone, href):
    page = factories.activity(publish=True, contact_phone=phone)
    assert href in client.get(page.url).content.decode()


def test_text_stored_before_the_rule_is_shown_without_a_link(client):
    page = factories.activity(publish=True)
    ActivityPage.objects.filter(pk=page.pk).update(contact_phone="王老师 办公室电话")
    html = client.get(page.url).content.decode()
    assert "王老师 办公室电话" in html and 'href="tel:' not in html


def test_r13_the_editor_says_the_contact_is_published(client):
    """PIPL art. 25: making a person's name and number public needs their consent; the
    editor now says where the contact person, phone and email will appear."""
    owner = factories.submitter()
    client.force_login(owner)
    html = client.get(ADD_URL.format(index=factories.index().pk)).content.decode()
    assert "将在活动公开页面展示，请确认联系人已同意。" in html
