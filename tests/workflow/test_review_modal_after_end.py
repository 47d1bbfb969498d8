"""The review pop-up of a moderator who lost the race to a colleague who ended the review
(R20, R21, R22).

Two moderators open the "approve" / "request changes" pop-up on one activity from the
dashboard. When the first only approved the province step, the second is told "This review
step has already been completed by someone else." When the first ended the whole review
(requested changes, or gave the final national approval), Wagtail's action view redirected
before handling the request: the pop-up's XHR got a 302 to the dashboard's HTML and spun
forever, and the message was lost. Now every case answers alike: the message, and for the
pop-up Wagtail's modal JSON that sends the browser on to where the message is shown.
"""

import pytest
from django.utils import translation
from wagtail.models import TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityPage
from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

from .conftest import action_url, current_task_state, submit

ALREADY_DONE = "This review step has already been completed by someone else."
STEP_GONE = (
    "This review step is no longer waiting for you: someone else has completed it, or it "
    "has moved on. Nothing was saved."
)
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
DATA = {
    "approve": {"comment": ""},
    "reject": {"comment": "请补充联系人", "reasons": ["details"]},
}
# What the dashboard's pop-up posts: its form plus the page it was opened on.
FROM_DASHBOARD = {"next": "/admin/"}


def collect_url(page, action, task_state):
    return f"/admin/pages/workflow/collect_action_data/{page.pk}/{action}/{task_state.pk}/"


def colleague(people, role):
    if role == "guangdong":
        return factories.user(
            roles.PROVINCE_MODERATORS,
            province="440000",
            real_name="广东审核员乙",
            email="gd2@example.cn",
        )
    return factories.user(
        roles.NATIONAL_MODERATORS, real_name="全国审核员乙", email="national2@example.cn"
    )


def ended_review(people, stage, first_action):
    """An activity whose `stage` step one moderator ended with `first_action`, and the task
    state the second moderator's pop-up was opened on."""
    page = factories.activity(owner=people["submitter"], title="两人同时审核的活动")
    submit(page, people["submitter"])
    state = current_task_state(page)
    if stage == "national":
        state.task.specific.on_action(state, people["guangdong"], "approve", comment="")
        state = current_task_state(page)
    first = people["guangdong" if stage == "province" else "national"]
    state.task.specific.on_action(state, first, first_action, **DATA[first_action])
    stale = TaskState.objects.get(pk=state.pk)
    assert stale.status != TaskState.STATUS_IN_PROGRESS
    assert not ActivityPage.objects.get(pk=page.pk).workflow_in_progress
    return ActivityPage.objects.get(pk=page.pk), stale


def shown(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def already_done():
    with translation.override("zh-hans"):
        return translation.gettext(ALREADY_DONE)


# Who ended the review, and the second moderator's action.
ENDINGS = [
    ("province", "reject", "approve"),
    ("province", "reject", "reject"),
    ("national", "reject", "approve"),
    ("national", "approve", "reject"),
    ("national", "approve", "approve"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("stage", "first_action", "second_action"), ENDINGS)
def test_pop_up_submitted_after_the_review_ended(
    client, people, stage, first_action, second_action
):
    page, stale = ended_review(people, stage, first_action)
    workflow_before = list(WorkflowState.objects.for_instance(page).values_list("pk", "status"))
    second = colleague(people, "guangdong" if stage == "province" else "national")
    client.force_login(second)
    url = action_url(page, second_action, stale)

    response = client.post(url, {**DATA[second_action], **FROM_DASHBOARD}, **XHR)
    assert response.status_code == 200
    body = response.json()
    assert body["step"] == "success"
    assert body["redirect"] == "/admin/"
    assert already_done() in shown(client, body["redirect"])

    # Without JavaScript: the same message, back where the moderator was.
    response = client.post(url, {**DATA[second_action], **FROM_DASHBOARD})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert already_done() in shown(client, response["Location"])

    assert list(WorkflowState.objects.for_instance(page).values_list("pk", "status")) == (
        workflow_before
    )
    assert TaskState.objects.get(pk=stale.pk).finished_by != second


@pytest.mark.django_db
@pytest.mark.parametrize(("stage", "first_action", "second_action"), ENDINGS[:3])
def test_pop_up_opened_after_the_review_ended(client, people, stage, first_action, second_action):
    """The dashboard opens the pop-up without `next`: the moderator lands on the review
    desk, which a province moderator can still open (the activity's editor may be closed to
    them now)."""
    page, stale = ended_review(people, stage, first_action)
    client.force_login(colleague(people, "guangdong" if stage == "province" else "national"))
    url = action_url(page, second_action, stale)

    response = client.get(url, **XHR)
    assert response.status_code == 200
    body = response.json()
    assert body == {"step": "success", "redirect": "/admin/review/"}
    assert already_done() in shown(client, body["redirect"])

    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, "/admin/review/")


@pytest.mark.django_db
def test_pop_up_opened_after_a_colleague_approved_the_step(client, people):
    """The step moved on to the national stage: the pop-up says so when it opens, rather
    than only after the moderator has written a comment."""
    page = factories.activity(owner=people["submitter"], title="省级已通过的活动")
    submit(page, people["submitter"])
    stale = current_task_state(page)
    stale.task.specific.on_action(stale, people["guangdong"], "approve", comment="")
    client.force_login(colleague(people, "guangdong"))

    response = client.get(action_url(page, "reject", stale) + "?next=/admin/", **XHR)
    assert response.json() == {"step": "success", "redirect": "/admin/"}
    assert already_done() in shown(client, "/admin/")


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_editor_pop_up_after_the_review_ended(client, people, action):
    """The editor's pop-up (approve with a comment, request changes) only collects the
    comment, then the editor posts everything: it hands on nothing, and the editor refuses
    the action with what was typed kept, as it does when a colleague approved the step."""
    national = colleague(people, "national")
    client.force_login(national)
    page = factories.activity(owner=people["submitter"], title="编辑器中审核的活动")
    submit(page, people["submitter"])
    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "approve", comment="")
    state = current_task_state(page)
    form = open_editor(client, page)  # opened before the colleague rejects
    state.task.specific.on_action(state, people["national"], "reject", **DATA["reject"])

    response = client.get(collect_url(page, action, state), **XHR)
    assert response.status_code == 200
    assert response.json() == {"step": "success", "cleaned_data": {}}
    response = client.post(collect_url(page, action, state), DATA[action], **XHR)
    assert response.json() == {"step": "success", "cleaned_data": {}}

    # What the editor's script posts next.
    form.update(
        {
            "action-workflow-action": "true",
            "workflow-action-name": action,
            "workflow-action-extra-data": "{}",
            "title": "审核员改过的标题",
        }
    )
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert translation.gettext(STEP_GONE) in [
            str(message) for message in response.context["messages"]
        ]
    assert "审核员改过的标题" in response.content.decode()
    assert ActivityPage.objects.get(pk=page.pk).get_latest_revision().user == people["submitter"]

    # Without JavaScript, the editor is where the message is shown.
    response = client.get(collect_url(page, action, state))
    assert (response.status_code, response["Location"]) == (302, EDIT_URL.format(pk=page.pk))
    assert already_done() in shown(client, response["Location"])
