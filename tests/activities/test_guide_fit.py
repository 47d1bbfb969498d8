"""What the guide's clerk meets in the editor (R5, R6, R13, R14): a pasted long name is
not cut by the box; a unit typed with its exact library name is linked to the library;
several contact numbers as the guide writes them fit and pass; the channel's help text
reads in the page's language."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.translation import override

from activities.models import ActivityPage, HostUnit, PartnerDepartment, PartnerSociety
from organizations.models import Organization
from tests import factories
from tests.activities.editor import editor_data

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def in_window():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


def test_r6_the_name_box_does_not_cut_a_pasted_name(client, submitter, add_url):
    html = client.get(add_url).content.decode()
    box = re.search(r'<input[^>]*name="title"[^>]*>', html).group(0)
    assert "maxlength" not in box


def post(client, owner, url, **overrides):
    data = editor_data(factories.poster(owner), factories.channel(), **overrides)
    return client.post(url, data)


def test_r14_a_unit_typed_with_its_library_name_is_linked(client, submitter, add_url):
    library = Organization.objects.certified().get(name="广州市科学技术协会")
    response = post(
        client,
        submitter,
        add_url,
        host_units=[
            {"organization": "", "name": " 广州市科学技术协会 "},
            {"organization": "", "name": "某某科技馆"},
        ],
    )
    assert response.status_code == 302
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    units = page.get_latest_revision_as_object().host_units.all()
    assert [(unit.organization_id, unit.name) for unit in units] == [
        (library.pk, "广州市科学技术协会"),
        (None, "某某科技馆"),
    ]


def test_r14_an_uncertified_or_ambiguous_name_stays_plain_text():
    pending = Organization.objects.create(
        name="待认证科技馆",
        category=Organization.Category.OTHER,
        province_id="440000",
        status=Organization.Status.PENDING,
    )
    unit = HostUnit(name=pending.name)
    unit.clean()
    assert unit.organization is None and unit.name == "待认证科技馆"
    # One name, two certified entries of different categories: which one is meant is the
    # picker's question, not a guess.
    for category in (Organization.Category.OTHER, Organization.Category.MINISTRY):
        Organization.objects.create(
            name="同名科技中心",
            category=category,
            province_id="440000",
            status=Organization.Status.CERTIFIED,
        )
    unit = HostUnit(name="同名科技中心")
    unit.clean()
    assert unit.organization is None
    department = PartnerDepartment(name="同名科技中心")  # ministries or other: both match
    department.clean()
    assert department.organization is None
    society = PartnerSociety(name="同名科技中心")  # societies or other: one matches
    society.clean()
    assert society.organization.category == Organization.Category.OTHER


def test_r13_three_numbers_as_the_guide_writes_them_are_submitted(client, submitter, add_url):
    phones = "010-63589698转8001，010-63589586转8002、010-63589000转8003"
    assert len(phones) > 30
    response = post(client, submitter, add_url, contact_phone=phones)
    assert response.status_code == 302
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert page.get_latest_revision_as_object().contact_phone == phones


def test_r34_the_channel_help_reads_in_english_on_the_english_admin():
    field = ActivityPage._meta.get_field("channel_category")
    with override("en"):
        assert "市科协" not in str(field.help_text)
    with override("zh-hans"):
        assert "市科协" in str(field.help_text)
