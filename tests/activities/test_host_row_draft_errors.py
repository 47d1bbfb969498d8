"""R14 with R6/R8: a draft refused for another field (a missing name, an end before the
start) came back with an error on the host unit row the editor shows blank and nobody
touched as well. That row is no row on a draft; only the real error may show, with
everything typed kept. Submitting still refuses a missing host unit."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from wagtail.models import WorkflowState

from activities.models import ActivityPage, HostUnit
from tests import factories

from .editor import EDIT_URL, editor_data, form_fields, open_editor
from .test_rules import (
    AT_LEAST_ONE_ROW,
    END_BEFORE_START,
    IN_WINDOW,
    REQUIRED,
    UNIT_ROW_EMPTY,
    errors_of,
    rendered_field_errors,
)

pytestmark = pytest.mark.django_db

# What the editor posts for the host row it shows before anything is typed in it.
UNTOUCHED_ROW = {"organization": "", "name": "", "id": "", "ORDER": "1"}
TYPED = {
    "title": "海珠区青少年天文观测夜",
    "content": "观测月球与木星、讲解星座知识",
    "audience": "小学高年级学生及家长",
    "contact_person": "李老师",
}


def host_rows(fields):
    return {key: value for key, value in fields.items() if key.startswith("host_units-")}


def assert_kept(response, typed):
    """The form came back with every value as it was sent."""
    shown = form_fields(response.content)
    for key, value in typed.items():
        assert shown.get(key) == [value], key


@time_machine.travel(IN_WINDOW, tick=False)
def test_r14_new_draft_refused_for_its_dates_shows_no_error_on_the_untouched_host_row(
    client, submitter, add_url
):
    shown = host_rows(form_fields(client.get(add_url).content))
    start = timezone.now() + datetime.timedelta(days=20)
    data = editor_data(
        factories.poster(submitter),
        factories.channel(),
        action=None,
        host_units=[UNTOUCHED_ROW],
        start_at=start,
        end_at=start - datetime.timedelta(hours=1),
        **TYPED,
    )
    data["host_units-MIN_NUM_FORMS"] = "1"
    # The row as the editor offers it, untouched.
    assert {key: [value] for key, value in host_rows(data).items()} == shown

    response = client.post(add_url, data)
    assert response.status_code == 200
    assert errors_of(response) == {"end_at": [END_BEFORE_START]}
    assert END_BEFORE_START in response.content.decode()
    assert UNIT_ROW_EMPTY not in response.content.decode()
    assert_kept(response, {**TYPED, "end_at": data["end_at"], "host_units-TOTAL_FORMS": "1"})
    assert not ActivityPage.objects.exists()

    # Corrected, the draft saves without a host unit.
    data["end_at"] = editor_data(None, factories.channel(), start_at=start)["end_at"]
    assert client.post(add_url, data).status_code == 302
    page = ActivityPage.objects.get(title=TYPED["title"])
    assert not HostUnit.objects.filter(page=page).exists()
    assert not WorkflowState.objects.for_instance(page).exists()

    # Submitted with no host row at all, it is refused for that (R14).
    fields = open_editor(client, page)
    fields.update({"host_units-TOTAL_FORMS": ["0"], "action-submit": ["1"]})
    response = client.post(EDIT_URL.format(pk=page.pk), fields)
    assert response.status_code == 200
    assert errors_of(response) == {"host_units": [AT_LEAST_ONE_ROW]}
    assert AT_LEAST_ONE_ROW in response.content.decode()
    assert not WorkflowState.objects.for_instance(page).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_r14_draft_edited_without_a_name_shows_no_error_on_the_untouched_host_row(
    client, submitter
):
    page = factories.activity(owner=submitter, hosts=())
    fields = open_editor(client, page)
    assert host_rows(fields) == {
        "host_units-TOTAL_FORMS": ["1"],
        "host_units-INITIAL_FORMS": ["0"],
        "host_units-MIN_NUM_FORMS": ["1"],
        "host_units-MAX_NUM_FORMS": ["1000"],
        **{f"host_units-0-{key}": [value] for key, value in UNTOUCHED_ROW.items()},
        "host_units-0-DELETE": [""],
    }
    typed = {"title": "", "content": "新的活动内容：观测月球", "audience": "初中学生"}
    fields.update({key: [value] for key, value in typed.items()})

    response = client.post(EDIT_URL.format(pk=page.pk), fields)
    assert response.status_code == 200
    assert errors_of(response) == {"title": [REQUIRED]}
    assert REQUIRED in rendered_field_errors(response, "title")
    assert UNIT_ROW_EMPTY not in response.content.decode()
    assert_kept(response, {**typed, "host_units-TOTAL_FORMS": "1"})

    # The same untouched row submitted: a host unit is missing, and the row says so (R14).
    fields["title"] = ["海珠区青少年天文观测夜"]
    fields["action-submit"] = ["1"]
    response = client.post(EDIT_URL.format(pk=page.pk), fields)
    assert response.status_code == 200
    assert errors_of(response) == {"host_units-0-name": [UNIT_ROW_EMPTY]}
    assert UNIT_ROW_EMPTY in response.content.decode()
    assert not WorkflowState.objects.for_instance(page).exists()
