"""The library admin (R3, R4) on what its administrators type and change:

- invisible format characters (U+200B…) are removed from a name before it is compared,
  at onboarding and in the admin: 北京市科学技术协会 followed by a zero-width space was a
  second association beside the real one. A direction control is refused.
- changing the category, province or status of an organization that is the channel of
  activities under review or public is saved with a warning giving their numbers: those
  under review keep their reviewers and may no longer be approved.
- a parent that is no id (parent=abc, 1.5) is the field's error, not a 500."""

import datetime

import pytest
import time_machine
from django.utils import translation

from accounts import roles
from accounts.models import User
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories

from .test_library_edit_rules import LIBRARY, edit, error_codes, form_data

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
BEIJING_ASSOCIATION = "北京市科学技术协会"


@pytest.fixture(autouse=True)
def campaign_open():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


@pytest.fixture
def platform_client(client):
    client.force_login(factories.user(roles.ADMINISTRATORS, real_name="平台管理员"))
    return client


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def created(name, **fields):
    return {
        "name": name,
        "short_name": "",
        "category": "provincial",
        "province": "110000",
        "city": "",
        "county": "",
        "parent": "",
        "status": "certified",
        "rejection_reason": "",
        "contact_person": "",
        "contact_phone": "",
        "contact_email": "",
        "address": "",
        "note": "",
        **fields,
    }


# --- names ------------------------------------------------------------------------------

LOOK_ALIKES = [
    BEIJING_ASSOCIATION + "\u200b",
    "\ufeff" + BEIJING_ASSOCIATION,
    "北京市\u200d科学技术协会",
    "北京市科学\u2060技术协会",
    "北京市科学技术\u00ad协会",
    # Default-ignorable code points that are no format characters (an attacker's audit):
    # variation selectors, the grapheme joiner, Hangul fillers, a braille blank, Khmer.
    BEIJING_ASSOCIATION + "\ufe0f",
    BEIJING_ASSOCIATION + "\U000e0101",
    "北京市\u034f科学技术协会",
    "北京市科学\u3164技术协会",
    BEIJING_ASSOCIATION + "\u115f",
    BEIJING_ASSOCIATION + "\u2800",
    "北京市科学技术\u17b5协会",
]


def request_to_join(client, name, category):
    """The onboarding form (R4) as a signed-in user sends it, for a Beijing unit."""
    return client.post(
        "/organizations/join/",
        {
            "name": name,
            "category": category,
            "province": "110000",
            "city": "",
            "county": "",
            "contact_person": "李老师",
            "contact_phone": "010-12345678",
            "contact_email": "",
            "address": "",
            "note": "",
        },
    )


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_a_look_alike_name_is_the_organization_already_there_at_onboarding(client, name):
    client.force_login(
        User.objects.create_user("13600000001", "member-pass-2026", real_name="会员")
    )
    response = request_to_join(client, name, "provincial")
    assert response.status_code == 200
    assert error_codes(response, "name") == ["exists"]
    assert Organization.objects.filter(province_id="110000", category="provincial").count() == 1


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_a_look_alike_name_is_refused_in_the_library_admin(platform_client, name):
    response = platform_client.post(f"{LIBRARY}create/", created(name))
    assert response.status_code == 200
    assert response.context["form"].errors.get("name")
    assert Organization.objects.filter(province_id="110000", category="provincial").count() == 1


def test_a_name_is_stored_without_its_invisible_characters(platform_client):
    response = platform_client.post(
        f"{LIBRARY}create/",
        created("北京市\u200b某某研究会", category="other", short_name="某某\ufeff研究会"),
    )
    assert response.status_code == 302, response.context["form"].errors
    organization = Organization.objects.get(name="北京市某某研究会")
    assert organization.short_name == "某某研究会"


@pytest.mark.parametrize("field", ["name", "short_name"])
def test_a_direction_control_in_a_name_is_refused(platform_client, field):
    beijing = Organization.objects.get(name=BEIJING_ASSOCIATION)
    response = edit(platform_client, beijing, **{field: "北京市\u202e会协术技学科"})
    assert response.status_code == 200
    assert error_codes(response, field) == ["direction"]
    assert "U+202E" in " ".join(response.context["form"].errors[field])
    beijing.refresh_from_db()
    assert "\u202e" not in beijing.name + beijing.short_name


def test_a_name_of_invisible_characters_only_is_empty(platform_client):
    response = platform_client.post(f"{LIBRARY}create/", created("\u200b\u200b", category="other"))
    assert response.status_code == 200
    assert error_codes(response, "name") == ["required"]


# --- routing changes --------------------------------------------------------------------


@pytest.fixture
def guangdong_activities():
    """The Guangdong association is the channel of one activity under review and two public
    ones (one of which has a new version under review as well)."""
    owner = factories.submitter()
    reviewing = factories.activity(owner=owner, title="等待审核的活动")
    reviewing.get_workflow().start(ActivityPage.objects.get(pk=reviewing.pk), owner)
    factories.activity(owner=owner, publish=True, title="已公开的活动一")
    both = factories.activity(owner=owner, publish=True, title="已公开的活动二")
    both = ActivityPage.objects.get(pk=both.pk)
    both.contact_person = "李老师"
    both.save_revision(user=owner)
    both.get_workflow().start(ActivityPage.objects.get(pk=both.pk), owner)
    return factories.channel()


def channel_warning(organization, reviewing, live):
    with translation.override("zh-hans"):
        return translation.gettext(
            "%(name)s is the responsible channel of %(reviewing)d activities under review "
            "and %(live)d public activities. Those under review keep their current "
            "reviewers and may have to be sent back for changes."
        ) % {"name": organization.name, "reviewing": reviewing, "live": live}


@pytest.mark.parametrize(
    "changes",
    [
        {"province": "110000"},
        {"category": "national_society"},
        {"status": "rejected", "rejection_reason": "已撤销"},
    ],
)
def test_a_routing_change_to_a_channel_in_use_warns_with_the_numbers(
    platform_client, guangdong_activities, changes
):
    channel = guangdong_activities
    response = platform_client.post(
        f"{LIBRARY}edit/{channel.pk}/", form_data(channel, **changes), follow=True
    )
    assert response.redirect_chain[-1][0] == LIBRARY
    assert channel_warning(channel, 2, 2) in messages_of(response)
    channel.refresh_from_db()
    for name, value in changes.items():
        assert str(getattr(channel, f"{name}_id", None) or getattr(channel, name)) == value


def test_other_changes_and_unused_channels_give_no_warning(platform_client, guangdong_activities):
    channel = guangdong_activities
    response = platform_client.post(
        f"{LIBRARY}edit/{channel.pk}/", form_data(channel, contact_person="张老师"), follow=True
    )
    assert [message.level_tag for message in response.context["messages"]] == ["success"]
    beijing = Organization.objects.get(name=BEIJING_ASSOCIATION)
    response = platform_client.post(
        f"{LIBRARY}edit/{beijing.pk}/", form_data(beijing, province="440000"), follow=True
    )
    assert [message.level_tag for message in response.context["messages"]] == ["success"]


# --- a parent that is no id -------------------------------------------------------------


@pytest.mark.parametrize("parent", ["abc", "1.5", "-1", "0", "99999999999", "1e3"])
def test_a_parent_that_is_no_id_is_the_fields_error(platform_client, parent):
    chemistry = Organization.objects.get(name="中国化学会", category="national_society")
    response = edit(platform_client, chemistry, parent=parent)
    assert response.status_code == 200
    assert error_codes(response, "parent") == ["invalid_choice"]
    chemistry.refresh_from_db()
    assert chemistry.parent_id is None


def test_a_radical_reads_as_its_character_in_a_name():
    """⼴ (the Kangxi radical U+2F34) looks like 广: ⼴州市科学技术协会 passed as a new name."""
    from activities.text import name_text

    assert name_text("⼴州市科学技术协会") == "广州市科学技术协会"
    assert name_text("中国科学院（北京）") == "中国科学院（北京）"  # full-width kept


def test_a_name_nfc_makes_too_long_is_a_form_error(client):
    """U+0958 is two code points once composed: 100 of them passed the form's length check
    and the column refused 200 (a 500 on PostgreSQL; SQLite stored them)."""
    client.force_login(
        User.objects.create_user("13600000002", "member-pass-2026", real_name="会员")
    )
    response = request_to_join(client, "\u0958" * 100, "other")
    assert response.status_code == 200
    assert error_codes(response, "name") == ["max_length"]
