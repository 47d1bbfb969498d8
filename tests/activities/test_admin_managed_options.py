"""The administrators' activity options (活动选项: activity types, joint-action and
special-action categories), driven through the admin's own URLs.

- A retired option (启用 unticked) stays valid on the activities that have it: the model
  refused it, so approving or saving such an activity failed with "… instance with id 3 is
  not a valid choice". New choices still come from the options in use only.
- An option that activities use cannot be deleted, by the delete page or the bulk action:
  deleting a category stripped it silently from approved activities, whose next save was
  then refused (Wagtail's reference index does not count many-to-many relations).
- Invisible format characters (U+200B, U+FEFF…) are removed from a name before it is
  compared: they made a look-alike duplicate of a real option. A direction control
  (U+202E) or a control character is refused.
- The list shows 启用 as yes/no icons, not True/False."""

import datetime

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.utils import translation

from accounts import roles
from activities.models import (
    ActivityPage,
    ActivityType,
    JointActionCategory,
    SpecialActionCategory,
)
from tests import factories

from .editor import EDIT_URL, editor_data, open_editor

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
SNIPPETS = "/admin/snippets/activities/{model}/"
OPTIONS = {
    "activitytype": ActivityType,
    "jointactioncategory": JointActionCategory,
    "specialactioncategory": SpecialActionCategory,
}


@pytest.fixture(autouse=True)
def campaign_open():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


@pytest.fixture
def people():
    return {
        "submitter": factories.submitter(real_name="提交人"),
        "guangdong": factories.user(roles.PROVINCE_MODERATORS, province="440000"),
        "national": factories.user(roles.NATIONAL_MODERATORS),
        "administrator": factories.user(roles.ADMINISTRATORS, real_name="平台管理员"),
    }


def fresh(page):
    return ActivityPage.objects.get(pk=page.pk)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def option_data(option, **overrides):
    data = {
        "name": option.name,
        "name_en": option.name_en,
        "sort_order": option.sort_order,
        "is_active": "on" if option.is_active else "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value != ""}


def retire(client, option):
    """Untick 启用 in the option's admin form."""
    model = option._meta.model_name
    response = client.post(
        f"{SNIPPETS.format(model=model)}edit/{option.pk}/", option_data(option, is_active="")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    option.refresh_from_db()
    assert not option.is_active


def submitted(people, **fields):
    page = factories.activity(owner=people["submitter"], **fields)
    page.save_revision(user=people["submitter"])
    page.get_workflow().start(fresh(page), people["submitter"])
    return fresh(page)


def approve_over_http(client, page, moderator):
    page = fresh(page)
    state = page.current_workflow_state.current_task_state
    client.force_login(moderator)
    response = client.post(
        f"/admin/pages/workflow/action/{page.pk}/approve/{state.pk}/", {"comment": ""}
    )
    assert response.status_code in (200, 302)
    return response


def live_with(people, relation, option, **fields):
    """An approved activity with `option` in its many-to-many `relation`."""
    flag = {
        "joint_action_categories": "is_joint_action",
        "special_action_categories": "is_special_action",
    }[relation]
    page = fresh(factories.activity(owner=people["submitter"], publish=True, **fields))
    setattr(page, flag, True)
    getattr(page, relation).set([option])
    page.save_revision(user=people["submitter"]).publish()
    page = fresh(page)
    assert [item.pk for item in getattr(page, relation).all()] == [option.pk]
    return page


def in_use(option, count):
    """The refusal as the admin (in Chinese) shows it."""
    from activities.wagtail_hooks import option_in_use_message

    with translation.override("zh-hans"):
        message = option_in_use_message(option, count)
    assert option.name in message and str(count) in message
    return message


# --- a retired option stays valid where it is -------------------------------------------


def test_an_activity_under_review_with_a_retired_type_is_approved(client, people):
    kind = ActivityType.objects.get(name="科普讲座")
    page = submitted(people, activity_type=kind)
    client.force_login(people["administrator"])
    retire(client, kind)

    approve_over_http(client, page, people["guangdong"])
    approve_over_http(client, page, people["national"])
    page = fresh(page)
    assert page.live and page.activity_type_id == kind.pk
    assert page.current_workflow_state is None


def test_a_live_activity_with_retired_options_is_saved_as_it_is(client, people):
    kind = ActivityType.objects.get(name="科普讲座")
    category = JointActionCategory.objects.order_by("sort_order").first()
    page = live_with(people, "joint_action_categories", category, activity_type=kind)
    client.force_login(people["administrator"])
    retire(client, kind)
    retire(client, category)

    client.force_login(people["submitter"])
    form = open_editor(client, page)
    assert form["activity_type"] == [str(kind.pk)]
    assert form["joint_action_categories"] == [str(category.pk)]
    form["contact_person"] = "李老师"
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft = fresh(page).get_latest_revision_as_object()
    assert draft.contact_person == "李老师"
    assert draft.activity_type_id == kind.pk
    assert [c.pk for c in draft.joint_action_categories.all()] == [category.pk]


def test_a_retired_option_is_not_offered_to_other_activities(client, people):
    kind = ActivityType.objects.get(name="科普讲座")
    client.force_login(people["administrator"])
    retire(client, kind)
    client.force_login(people["submitter"])
    add_url = f"/admin/pages/add/activities/activitypage/{factories.index().pk}/"
    response = client.get(add_url)
    offered = [
        option["value"]
        for option in BeautifulSoup(response.content, "html.parser").select(
            "select[name=activity_type] option"
        )
    ]
    assert str(kind.pk) not in offered
    data = editor_data(factories.poster(people["submitter"]), factories.channel(), "")
    response = client.post(add_url, data)
    assert response.status_code == 200
    assert "activity_type" in response.context["form"].errors
    assert not ActivityPage.objects.filter(activity_type=kind).exists()


# --- an option in use cannot be deleted -------------------------------------------------


@pytest.mark.parametrize("model", ["jointactioncategory", "specialactioncategory"])
def test_a_category_approved_activities_use_cannot_be_deleted(client, people, model):
    option = OPTIONS[model].objects.order_by("sort_order").first()
    relation = {
        "jointactioncategory": "joint_action_categories",
        "specialactioncategory": "special_action_categories",
    }[model]
    page = live_with(people, relation, option)

    client.force_login(people["administrator"])
    delete_url = f"{SNIPPETS.format(model=model)}delete/{option.pk}/"
    edit_url = f"{SNIPPETS.format(model=model)}edit/{option.pk}/"
    for method in (client.get, client.post):
        response = method(delete_url, follow=True)
        assert response.redirect_chain[-1][0] == edit_url
        assert messages_of(response) == [in_use(option, 1)]
    assert OPTIONS[model].objects.filter(pk=option.pk).exists()
    assert [c.pk for c in getattr(fresh(page), relation).all()] == [option.pk]


def test_an_option_only_a_draft_under_review_uses_cannot_be_deleted(client, people):
    category = JointActionCategory.objects.order_by("-sort_order").first()
    page = factories.activity(owner=people["submitter"], publish=True)
    live = fresh(page)
    live.is_joint_action = True
    live.joint_action_categories.set([category])
    live.save_revision(user=people["submitter"])
    assert not fresh(page).joint_action_categories.exists()

    client.force_login(people["administrator"])
    response = client.post(
        f"{SNIPPETS.format(model='jointactioncategory')}delete/{category.pk}/", follow=True
    )
    assert messages_of(response) == [in_use(category, 1)]
    assert JointActionCategory.objects.filter(pk=category.pk).exists()


def test_bulk_delete_refuses_options_in_use_and_deletes_unused_ones(client, people):
    used = JointActionCategory.objects.order_by("sort_order").first()
    unused = JointActionCategory.objects.create(name="试用类别", sort_order=99)
    live_with(people, "joint_action_categories", used)

    client.force_login(people["administrator"])
    url = "/admin/bulk/activities/jointactioncategory/delete/"
    listing = SNIPPETS.format(model="jointactioncategory")
    query = f"?next={listing}&id={used.pk}&id={unused.pk}"
    for method in (client.get, client.post):
        response = method(url + query, follow=True)
        assert response.redirect_chain[-1][0] == listing
        assert messages_of(response) == [in_use(used, 1)]
    assert JointActionCategory.objects.filter(pk__in=[used.pk, unused.pk]).count() == 2

    response = client.post(f"{url}?next={listing}&id={unused.pk}", follow=True)
    assert response.redirect_chain[-1][0] == listing
    assert not JointActionCategory.objects.filter(pk=unused.pk).exists()


def test_a_type_only_bulk_seeded_activities_use_cannot_be_deleted(client, people):
    """The reference index does not know activities written around Wagtail (the bulk
    seeder): deleting their type was a ProtectedError, a 500."""
    from wagtail.models import ReferenceIndex

    kind = ActivityType.objects.create(name="科普夜市", sort_order=99)
    page = factories.activity(owner=people["submitter"], publish=True, activity_type=kind)
    ReferenceIndex.objects.filter(object_id=str(page.pk)).delete()

    client.force_login(people["administrator"])
    response = client.post(f"{SNIPPETS.format(model='activitytype')}delete/{kind.pk}/", follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [in_use(kind, 1)]
    assert ActivityType.objects.filter(pk=kind.pk).exists()


def test_an_unused_option_is_deleted(client, people):
    kind = ActivityType.objects.create(name="临时类型", sort_order=99)
    client.force_login(people["administrator"])
    response = client.post(f"{SNIPPETS.format(model='activitytype')}delete/{kind.pk}/")
    assert response.status_code == 302
    assert not ActivityType.objects.filter(pk=kind.pk).exists()


# --- names without invisible characters --------------------------------------------------


def error_codes(response, field):
    return [error.code for error in response.context["form"].errors.as_data().get(field, [])]


@pytest.mark.parametrize("model", list(OPTIONS))
@pytest.mark.parametrize("char", ["\u200b", "\ufeff", "\u2060", "\u00ad", "\u200d", "\u200e"])
def test_an_invisible_character_makes_no_second_option(client, people, model, char):
    """Format characters show nothing: removed, the name is the option already listed."""
    existing = OPTIONS[model].objects.order_by("sort_order").first()
    client.force_login(people["administrator"])
    count = OPTIONS[model].objects.count()
    for name in (
        existing.name + char,
        char + existing.name,
        existing.name[:1] + char + existing.name[1:],
    ):
        response = client.post(
            f"{SNIPPETS.format(model=model)}add/", {"name": name, "sort_order": 5}
        )
        assert response.status_code == 200, name
        assert error_codes(response, "name") == ["unique"], name
    assert OPTIONS[model].objects.count() == count

    response = client.post(
        f"{SNIPPETS.format(model=model)}add/", {"name": f"新{char}选项", "sort_order": 5}
    )
    assert response.status_code == 302
    assert OPTIONS[model].objects.filter(name="新选项").exists()


@pytest.mark.parametrize("model", list(OPTIONS))
@pytest.mark.parametrize(
    "field,char,code",
    [
        ("name", "\u202e", "direction"),
        ("name", "\u2066", "direction"),
        ("name", "\x01", "control"),
        ("name", "\x7f", "control"),
        ("name_en", "\u202e", "direction"),
    ],
)
def test_a_direction_or_control_character_is_refused(client, people, model, field, char, code):
    existing = OPTIONS[model].objects.order_by("sort_order").first()
    client.force_login(people["administrator"])
    response = client.post(
        f"{SNIPPETS.format(model=model)}edit/{existing.pk}/",
        option_data(existing, **{field: "科普" + char + "讲座"}),
    )
    assert response.status_code == 200
    assert error_codes(response, field) == [code]
    message = " ".join(response.context["form"].errors[field])
    assert f"U+{ord(char):04X}" in message
    existing.refresh_from_db()
    assert char not in getattr(existing, field)


def test_a_name_of_invisible_characters_only_is_empty(client, people):
    client.force_login(people["administrator"])
    response = client.post(
        f"{SNIPPETS.format(model='activitytype')}add/", {"name": "\u200b\u200b", "sort_order": 5}
    )
    assert response.status_code == 200
    assert error_codes(response, "name") == ["required"]


# --- the list ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(OPTIONS))
def test_the_in_use_column_shows_yes_and_no(client, people, model):
    option = OPTIONS[model].objects.order_by("sort_order").first()
    option.is_active = False
    option.save()
    client.force_login(people["administrator"])
    response = client.get(SNIPPETS.format(model=model))
    assert response.status_code == 200
    cells = [
        td.get_text(" ", strip=True)
        for td in BeautifulSoup(response.content, "html.parser").select("table tbody td")
    ]
    assert "True" not in cells and "False" not in cells
    with translation.override("zh-hans"):
        yes, no = translation.gettext("Yes"), translation.gettext("No")
    assert yes in cells and no in cells
    html = response.content.decode()
    assert "icon-check" in html and "icon-cross" in html
