"""Builds the POST a browser sends from the activity editor, so tests drive Wagtail's real
create and edit views."""

import datetime

from bs4 import BeautifulSoup
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from activities.models import ActivityType, JointActionCategory

ADD_URL = "/admin/pages/add/activities/activitypage/{index}/"
EDIT_URL = "/admin/pages/{pk}/edit/"


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def editor_data(poster, channel, action="action-submit", **overrides):
    start = overrides.pop("start_at", timezone.now() + datetime.timedelta(days=20))
    end = overrides.pop("end_at", start + datetime.timedelta(hours=3))
    hosts = overrides.pop("host_units", [{"organization": "", "name": "广州市科学技术协会"}])
    data = {
        "title": "广州青少年机器人科普体验日",
        "slug": "",
        "mode": "offline",
        "activity_type": ActivityType.objects.get(name="科普讲座").pk,
        "start_at": local(start),
        "end_at": local(end),
        "province": "440000",
        "city": "440100",
        "county": "",
        "channel_category": channel.category,
        "channel": channel.pk,
        "is_joint_action": "",
        "joint_action_categories": [],
        "is_special_action": "",
        "special_action_categories": [],
        "is_youth_festival": "on",
        "has_partner_departments": "",
        "partner_departments": inline_formset([]),
        "has_partner_societies": "",
        "partner_societies": inline_formset([]),
        "supports_reservation": "",
        "reservation_url": "",
        "poster": poster.pk if poster else "",
        "details": rich_text("<p>带领青少年走近机器人，动手体验编程与控制。</p>"),
        "content": "机器人展示、编程体验、专家讲座",
        "audience": "中小学生及家长",
        "scientists": "华南理工大学机器人团队",
        "contact_person": "王老师",
        "contact_phone": "020-88888888",
        "contact_email": "",
        "highlights": "",
        "expected_participants": "",
        "address": "",
        "participation_channel": "",
        "promotion": "",
        "host_units": inline_formset(hosts, min=1),
        "organizer_units": inline_formset([]),
        "seo_title": "",
        "search_description": "",
    }
    data.update(overrides)
    form = nested_form_data(data)
    if action:
        form[action] = "1"
    return form


def first_joint_action():
    return JointActionCategory.objects.order_by("sort_order").first()


def form_fields(content):
    """Every field of the activity editor with its current value, as the browser posts it."""
    form = BeautifulSoup(content, "html.parser").select_one("form[data-edit-form]")
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        if field.has_attr("disabled"):
            continue
        name, values = field["name"], []
        if field.name == "select":
            values = [
                option.get("value", option.text) for option in field.select("option[selected]")
            ]
            if not values and not field.has_attr("multiple") and field.select_one("option"):
                values = [field.select_one("option").get("value", "")]
        elif field.name == "textarea":
            values = [field.text.removeprefix("\n")]
        elif field.get("type") in {"checkbox", "radio"}:
            values = [field.get("value", "on")] if field.has_attr("checked") else []
        elif field.get("type") not in {"submit", "button", "file", "image"}:
            values = [field.get("value", "")]
        data.setdefault(name, []).extend(values)
    return data


def open_editor(client, page):
    response = client.get(EDIT_URL.format(pk=page.pk))
    assert response.status_code == 200
    return form_fields(response.content)
