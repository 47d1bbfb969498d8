"""After submitting, a submitter lands on 我的活动 (R26), not Wagtail's explorer.

Wagtail sends everyone who submits (or resubmits, or withdraws and resubmits) back to the
explorer of the activity index, which shows Wagtail's own page states, not the review
states of R16 the submitter follows in 我的活动. Moderators and administrators keep
Wagtail's destination, and an explicit `next` still wins for everyone.
"""

import pytest
from wagtail.models import WorkflowState

from activities.models import ActivityPage
from tests import factories
from tests.activities.editor import ADD_URL, EDIT_URL, editor_data, open_editor

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db

MY_ACTIVITIES = "/admin/my-activities/"


def add_url():
    return ADD_URL.format(index=factories.index().pk)


def explorer():
    return f"/admin/pages/{factories.index().pk}/"


def landing(client, response):
    """The page a redirect leads to, and the messages shown there."""
    assert response.status_code == 302, response.context and response.context["form"].errors
    followed = client.get(response["Location"], follow=True)
    assert followed.status_code == 200
    return response["Location"], [str(message) for message in followed.context["messages"]]


def draft_of(people, title="提交后回到我的活动"):
    return factories.activity(owner=people["submitter"], title=title)


def test_new_activity_submitted(client, people):
    client.force_login(people["submitter"])
    image = factories.poster(people["submitter"])
    response = client.post(add_url(), editor_data(image, factories.channel()))
    where, shown = landing(client, response)
    assert where == MY_ACTIVITIES
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    # Wagtail's own success message comes along.
    assert any(page.title in message for message in shown)
    assert WorkflowState.objects.for_instance(page).get().status == "in_progress"


def test_draft_submitted_from_the_editor(client, people):
    page = draft_of(people)
    client.force_login(people["submitter"])
    form = open_editor(client, page)
    form["action-submit"] = "1"
    where, shown = landing(client, client.post(EDIT_URL.format(pk=page.pk), form))
    assert where == MY_ACTIVITIES
    assert any(page.title in message for message in shown)
    assert current_task_state(page).status == "in_progress"


@pytest.mark.parametrize(
    "button",
    # "Restart workflow" is the editor's other way to resubmit, from the first step.
    ["action-submit", "action-restart-workflow"],
    ids=["resubmitted", "review-restarted"],
)
def test_after_a_request_for_changes(client, people, button):
    page = draft_of(people, title=f"退回后再次提交的活动{button}")
    submit(page, people["submitter"])
    state = current_task_state(page)
    state.task.specific.on_action(
        state, people["guangdong"], "reject", comment="请补充联系人", reasons=["details"]
    )
    client.force_login(people["submitter"])
    form = open_editor(client, page)
    form[button] = "1"
    where, shown = landing(client, client.post(EDIT_URL.format(pk=page.pk), form))
    assert where == MY_ACTIVITIES
    assert any(page.title in message for message in shown)
    assert WorkflowState.objects.for_instance(page).filter(status="in_progress").count() == 1


def test_an_explicit_next_still_wins(client, people):
    page = draft_of(people)
    client.force_login(people["submitter"])
    form = open_editor(client, page)
    form["action-submit"] = "1"
    response = client.post(EDIT_URL.format(pk=page.pk) + "?next=/admin/", form)
    assert (response.status_code, response["Location"]) == (302, "/admin/")

    image = factories.poster(people["submitter"])
    response = client.post(
        add_url() + "?next=/admin/", editor_data(image, factories.channel(), title="另一个活动")
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_saving_a_draft_stays_in_the_editor(client, people):
    page = draft_of(people)
    client.force_login(people["submitter"])
    form = open_editor(client, page)
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert (response.status_code, response["Location"]) == (302, EDIT_URL.format(pk=page.pk))


def test_administrators_keep_wagtails_destination(client, people):
    superuser = people["superuser"]
    client.force_login(superuser)
    image = factories.poster(superuser)
    response = client.post(add_url(), editor_data(image, factories.channel()))
    assert (response.status_code, response["Location"]) == (302, explorer())

    page = draft_of(people, title="管理员代为提交的活动")
    form = open_editor(client, page)
    form["action-submit"] = "1"
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert (response.status_code, response["Location"]) == (302, explorer())
