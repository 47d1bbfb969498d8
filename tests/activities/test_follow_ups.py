"""The follow-ups of the editor's yes/no flags (R11) and the unit rows (R14).

- A flag at "no" keeps none of its follow-ups, and no public output (detail page, API) shows
  one (R11, R30, R31), also for rows stored before that rule.
- Partner departments and partner societies picked from the library are of their kind
  (R3, R11).
- A unit is listed once; a refused field gets one error; a forged id never answers 500."""

import datetime

import pytest
import time_machine
from django.test import Client
from wagtail.test.utils.form_data import inline_formset

from activities.models import (
    ActivityPage,
    JointActionCategory,
    PartnerDepartment,
    PartnerSociety,
    SpecialActionCategory,
)
from activities.panels import DUPLICATE_UNIT_MESSAGE
from organizations.models import Organization
from tests import factories

from .editor import EDIT_URL, editor_data, open_editor
from .test_editor_journey import errors_of

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
TITLE = "合作与预约测试活动"
BOOKING = "https://booking.example.com/stale"
CATEGORY_FIELDS = ("joint_action_categories", "special_action_categories")


def post(client, url, action="", **overrides):
    poster = overrides.pop("poster", None) or factories.poster(client.user)
    # Ticked checkboxes: one key with several values, which nested_form_data would number.
    ticked = {name: overrides.pop(name) for name in CATEGORY_FIELDS if name in overrides}
    data = editor_data(poster, factories.channel(), action, title=TITLE, **overrides)
    data.update(ticked)
    return client.post(url, data)


@pytest.fixture
def client(client, submitter):
    client.user = submitter
    return client


def follow_ups(**flags):
    """Every follow-up filled in, with the flags as given ("on" or "")."""
    return {
        "joint_action_categories": [JointActionCategory.objects.first().pk],
        "special_action_categories": [SpecialActionCategory.objects.first().pk],
        "partner_departments": inline_formset([{"organization": "", "name": "科学技术部"}]),
        "partner_societies": inline_formset([{"organization": "", "name": "中国天文学会"}]),
        "reservation_url": BOOKING,
        **flags,
    }


def published(page):
    page.get_latest_revision().publish()
    page.refresh_from_db()
    return page


def public_facts(page):
    from bs4 import BeautifulSoup

    response = Client().get(page.url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True) for dt in soup("dt")}


@pytest.mark.parametrize("action", ["", "action-submit"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_r11_a_flag_at_no_keeps_none_of_its_follow_ups(client, add_url, action):
    """The editor has no script that clears a follow-up when its flag is switched off: what
    was typed for a "no" is neither judged nor saved."""
    response = post(client, add_url, action, **follow_ups())
    assert response.status_code == 302, errors_of(response)
    page = ActivityPage.objects.get(title=TITLE)
    assert not page.joint_action_categories.exists()
    assert not page.special_action_categories.exists()
    assert not PartnerDepartment.objects.filter(page=page).exists()
    assert not PartnerSociety.objects.filter(page=page).exists()
    assert page.reservation_url == ""


@time_machine.travel(IN_WINDOW, tick=False)
def test_r11_a_follow_up_of_no_is_not_judged(client, add_url):
    """A wrong row or link under a "no" gives no error: the submitter said "no"."""
    ministry = Organization.objects.filter(category="ministry").first()
    response = post(
        client,
        add_url,
        **follow_ups(
            reservation_url="javascript:alert(1)",
            partner_societies=inline_formset([{"organization": ministry.pk, "name": ""}]),
        ),
    )
    assert response.status_code == 302, errors_of(response)


@time_machine.travel(IN_WINDOW, tick=False)
def test_r11_r30_r31_switching_a_flag_to_no_withdraws_its_follow_ups(client, add_url):
    """An approved activity edited to "no" shows none of the old follow-ups once the
    change is approved: not on the detail page, not in the API."""
    flags = {
        "is_joint_action": "on",
        "is_special_action": "on",
        "has_partner_departments": "on",
        "has_partner_societies": "on",
        "supports_reservation": "on",
    }
    response = post(client, add_url, **follow_ups(**flags))
    assert response.status_code == 302, errors_of(response)
    page = published(ActivityPage.objects.get(title=TITLE))
    facts = public_facts(page)
    assert facts["合作部委或委办厅局"] == "科学技术部"
    assert facts["合作学会"] == "中国天文学会"
    assert Client().get(f"/api/v2/activities/{page.pk}/").json()["reservation_url"] == BOOKING

    fields = open_editor(client, page)
    for flag in flags:
        fields.pop(flag, None)
    assert client.post(EDIT_URL.format(pk=page.pk), fields).status_code == 302
    page = published(ActivityPage.objects.get(pk=page.pk))
    facts = public_facts(page)
    for label in ("合作部委或委办厅局", "合作学会", "联合行动类别", "专项行动类别"):
        assert label not in facts
    assert not page.partner_departments.exists() and not page.partner_societies.exists()
    assert Client().get(f"/api/v2/activities/{page.pk}/").json()["reservation_url"] == ""


@time_machine.travel(IN_WINDOW, tick=False)
def test_r30_r31_follow_ups_stored_under_a_no_are_not_published():
    """Rows saved before the editor withdrew them stay in the database but not on the
    detail page, and the API gives the booking link only while reservation is on."""
    page = factories.activity(publish=True, reservation_url=BOOKING)
    page.partner_departments.add(PartnerDepartment(name="科学技术部STALE"))
    page.partner_societies.add(PartnerSociety(name="中国天文学会STALE"))
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.partner_departments.count() == 1
    html = Client().get(page.url).content.decode()
    assert "STALE" not in html and BOOKING not in html
    assert Client().get(f"/api/v2/activities/{page.pk}/").json()["reservation_url"] == ""


def library(category):
    return Organization.objects.certified().filter(category=category).first()


@pytest.mark.parametrize(
    ("formset", "category"),
    [
        ("partner_societies", "ministry"),
        ("partner_societies", "provincial"),
        ("partner_departments", "provincial"),
        ("partner_departments", "national_society"),
    ],
)
@time_machine.travel(IN_WINDOW, tick=False)
def test_r3_r11_a_partner_from_the_library_is_of_its_kind(client, add_url, formset, category):
    """A ministry is no society, a provincial association no government department: the
    row gets one clear error (not also "pick or type a name")."""
    flag = {"partner_societies": "has_partner_societies"}.get(formset, "has_partner_departments")
    rows = inline_formset([{"organization": library(category).pk, "name": ""}])
    response = post(client, add_url, "action-submit", **{flag: "on", formset: rows})
    assert response.status_code == 200
    errors = errors_of(response)
    assert list(errors) == [f"{formset}-0-organization"]
    unit = {"partner_societies": PartnerSociety}.get(formset, PartnerDepartment)
    assert errors[f"{formset}-0-organization"] == [str(unit.organization_kind_message)]
    assert not ActivityPage.objects.filter(title=TITLE).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_r3_r11_partners_of_their_kind_are_accepted(client, add_url):
    society, ministry = library("national_society"), library("ministry")
    response = post(
        client,
        add_url,
        "action-submit",
        has_partner_societies="on",
        partner_societies=inline_formset([{"organization": society.pk, "name": ""}]),
        has_partner_departments="on",
        partner_departments=inline_formset([{"organization": ministry.pk, "name": ""}]),
    )
    assert response.status_code == 302, errors_of(response)
    page = ActivityPage.objects.get(title=TITLE)
    assert [unit.organization for unit in page.partner_societies.all()] == [society]
    assert [unit.organization for unit in page.partner_departments.all()] == [ministry]


@pytest.mark.parametrize(
    "hosts",
    [
        [{"name": "广州市科协"}, {"name": "广州市科协"}],
        [{"name": "广州市科协"}, {"name": " 广州市 科协 "}],
        [{"name": "ＡＢＣ学会"}, {"name": "abc学会"}],
        ["library", "library"],
        ["library", "typed"],
    ],
)
@time_machine.travel(IN_WINDOW, tick=False)
def test_r14_a_host_unit_is_listed_once(client, add_url, hosts):
    """The same unit twice was shown publicly as "广州市科协、广州市科协"."""
    org = factories.channel()
    rows = [
        {"organization": org.pk, "name": ""}
        if host == "library"
        else {"organization": "", "name": org.name}
        if host == "typed"
        else {"organization": "", **host}
        for host in hosts
    ]
    response = post(client, add_url, "action-submit", host_units=rows)
    assert response.status_code == 200
    errors = errors_of(response)
    assert [key for key in errors if key.startswith("host_units-0")] == []
    second = [
        message
        for key, value in errors.items()
        if key.startswith("host_units-1")
        for message in value
    ]
    assert second == [str(DUPLICATE_UNIT_MESSAGE)]
    assert not ActivityPage.objects.filter(title=TITLE).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_r14_different_units_and_deleted_rows_are_no_duplicates(client, add_url):
    rows = [{"organization": "", "name": "广州市科协"}, {"organization": "", "name": "深圳市科协"}]
    response = post(client, add_url, "action-submit", host_units=rows)
    assert response.status_code == 302, errors_of(response)


@time_machine.travel(IN_WINDOW, tick=False)
def test_r14_a_unit_name_over_100_characters_gets_only_the_length_error(client, add_url):
    response = post(client, add_url, host_units=[{"organization": "", "name": "长" * 101}])
    assert response.status_code == 200
    errors = errors_of(response)
    assert list(errors) == ["host_units-0-name"]
    assert len(errors["host_units-0-name"]) == 1
    assert "100" in errors["host_units-0-name"][0]


@pytest.mark.parametrize("field", ["joint_action_categories", "special_action_categories"])
@pytest.mark.parametrize("action", ["", "action-submit"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_r11_a_huge_forged_category_id_is_no_500(client, add_url, field, action):
    """A number past SQLite's 64 bits failed in the database driver (OverflowError)."""
    flag = {"joint_action_categories": "is_joint_action"}.get(field, "is_special_action")
    response = post(client, add_url, action, **{flag: "on", field: ["99999999999999999999999"]})
    assert response.status_code == 200
    assert field in errors_of(response)
    assert TITLE in response.content.decode()


def test_r11_the_partner_pickers_offer_only_their_kinds(client, add_url):
    """The library pickers of partner departments and societies listed every organization,
    so a submitter picked a provincial association and met the error only on saving."""
    editor = client.get(add_url).content.decode()
    assert "organization_chooser/?kinds=ministry%2Cother" in editor
    assert "organization_chooser/?kinds=national_society%2Cother" in editor

    def names(kinds, q):
        response = client.get("/admin/organization_chooser/results/", {"kinds": kinds, "q": q})
        assert response.status_code == 200
        return response.content.decode()

    departments = names("ministry,other", "科学技术")
    assert "科学技术部" in departments
    assert "科学技术协会" not in departments
    assert "中国化学会" in names("national_society,other", "化学")
    assert "科学技术部" not in names("national_society,other", "科学技术")
    # Kinds that do not exist narrow nothing; the library is listed as before.
    assert "广东省科学技术协会" in names("nonsense,<script>", "广东")


def test_r11_the_model_refuses_a_partner_of_another_kind():
    """Imports and the API go through the model, not the editor's form."""
    from django.core.exceptions import ValidationError

    ministry = Organization.objects.filter(category="ministry", status="certified").first()
    with pytest.raises(ValidationError) as refused:
        PartnerSociety(organization=ministry).clean()
    assert refused.value.message_dict["organization"] == [
        str(PartnerSociety.organization_kind_message)
    ]
    PartnerDepartment(organization=ministry).clean()
