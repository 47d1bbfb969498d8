"""Who may do what at each review step (R20, R21, issue "Permission matrix").

Every cell goes through the real admin URLs (and, where it matters, the model API) and is
checked against the explicit tables below, so a change in any rule turns exactly one cell red.
"""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from tests.activities.editor import EDIT_URL, editor_data
from workflow.models import NationalApprovalTask, ProvinceApprovalTask, TakeDown

from .conftest import action_url, current_task_state, submit

pytestmark = pytest.mark.django_db

ROLES = ("submitter", "guangdong", "beijing", "national", "superuser")
STAGES = ("province", "national")
CAPABILITIES = ("inbox", "editor", "approve", "reject", "bulk_approve")
TITLE = {"province": "权限矩阵省级待审活动", "national": "权限矩阵全国待审活动"}
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}

# The activity's channel is 广东省科学技术协会, so its province step belongs to Guangdong (440000).
# 1 = allowed, 0 = refused.
#   editor: the submitter owns the page (Wagtail's owner rule) and national moderators hold
#   change_page on the activity index, so both may open the (locked) editor at any step;
#   province moderators only get in through the province task's user_can_access_editor.
MATRIX = {
    # (stage, role):          inbox editor approve reject bulk_approve
    ("province", "submitter"): (0, 1, 0, 0, 0),
    ("province", "guangdong"): (1, 1, 1, 1, 1),
    ("province", "beijing"): (0, 0, 0, 0, 0),
    ("province", "national"): (0, 1, 0, 0, 0),
    ("province", "superuser"): (1, 1, 1, 1, 1),
    ("national", "submitter"): (0, 1, 0, 0, 0),
    ("national", "guangdong"): (0, 0, 0, 0, 0),
    ("national", "beijing"): (0, 0, 0, 0, 0),
    ("national", "national"): (1, 1, 1, 1, 1),
    ("national", "superuser"): (1, 1, 1, 1, 1),
}
STAGE_ROLES = [(stage, role) for stage in STAGES for role in ROLES]
assert list(MATRIX) == STAGE_ROLES

# Listing actions (R18) do not depend on the review step.
TAKE_DOWN = {"submitter": 0, "guangdong": 0, "beijing": 0, "national": 1, "superuser": 1}
PUT_BACK = {"submitter": 0, "guangdong": 0, "beijing": 0, "national": 1, "superuser": 1}


def allowed(stage, role, capability):
    return bool(MATRIX[stage, role][CAPABILITIES.index(capability)])


def cells(capability):
    return [
        pytest.param(stage, role, allowed(stage, role, capability), id=f"{stage}-{role}")
        for stage in STAGES
        for role in ROLES
    ]


def refused_cells(capability):
    return [
        pytest.param(stage, role, id=f"{stage}-{role}")
        for stage in STAGES
        for role in ROLES
        if not allowed(stage, role, capability)
    ]


# --- builders --------------------------------------------------------------------------


def activity_at(stage, people, title=None, **fields):
    """A Guangdong-channel activity submitted by the submitter, waiting at `stage`."""
    page = factories.activity(owner=people["submitter"], title=title or TITLE[stage], **fields)
    submit(page, people["submitter"])
    if stage == "national":
        state = current_task_state(page)
        state.task.specific.on_action(state, people["guangdong"], "approve", comment="")
    state = current_task_state(page)
    expected = ProvinceApprovalTask if stage == "province" else NationalApprovalTask
    assert isinstance(state.task.specific, expected)
    assert state.status == TaskState.STATUS_IN_PROGRESS
    return ActivityPage.objects.get(pk=page.pk), state


def snapshot(page, state):
    """Everything a refused attempt must leave exactly as it was."""
    state = TaskState.objects.get(pk=state.pk)
    workflow = WorkflowState.objects.get(pk=state.workflow_state_id)
    page = ActivityPage.objects.get(pk=page.pk)
    return {
        "task_status": state.status,
        "task_finished": (state.finished_at, state.finished_by_id, state.comment),
        "workflow_status": workflow.status,
        "current_task_state": workflow.current_task_state_id,
        "task_states": TaskState.objects.filter(workflow_state=workflow).count(),
        "live": page.live,
        "live_revision": page.live_revision_id,
    }


def awaiting_review_panel(html):
    match = re.search(
        r'<section[^>]*id="awaiting-review-section".*?</section>', html, flags=re.DOTALL
    )
    return match.group(0) if match else ""


def action_names(page, user):
    state = current_task_state(page)
    return [name for name, _label, _modal in state.task.specific.get_actions(page, user)]


def assert_moved(page, state, stage, outcome):
    """An allowed approve/reject moved the step on (approve) or sent it back (reject)."""
    state = TaskState.objects.get(pk=state.pk)
    workflow = state.workflow_state
    page = ActivityPage.objects.get(pk=page.pk)
    if outcome == "reject":
        assert state.status == TaskState.STATUS_REJECTED
        assert workflow.status == WorkflowState.STATUS_NEEDS_CHANGES
        assert not page.live
    elif stage == "province":
        assert state.status == TaskState.STATUS_APPROVED
        following = current_task_state(page)
        assert isinstance(following.task.specific, NationalApprovalTask)
        assert following.status == TaskState.STATUS_IN_PROGRESS
        assert not page.live
    else:
        assert state.status == TaskState.STATUS_APPROVED
        assert workflow.status == WorkflowState.STATUS_APPROVED
        assert page.live


# --- the matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "role", "expected"), cells("inbox"))
def test_inbox(client, people, stage, role, expected):
    """R20/R21: the dashboard panel, reviewable_by and the review desk agree."""
    page, state = activity_at(stage, people)
    user = people[role]
    client.force_login(user)

    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    panel = awaiting_review_panel(dashboard.content.decode())
    assert (page.title in panel) is expected

    reviewable = TaskState.objects.reviewable_by(user)
    assert reviewable.filter(pk=state.pk).exists() is expected

    desk = client.get("/admin/review/")
    assert desk.status_code == 200
    rows = desk.content.decode()
    assert (page.title in rows) is expected
    assert (f'name="task_states" value="{state.pk}"' in rows) is expected


@pytest.mark.parametrize(("stage", "role", "expected"), cells("editor"))
def test_open_editor(client, people, stage, role, expected):
    page, _state = activity_at(stage, people)
    client.force_login(people[role])
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    if expected:
        assert response.status_code == 200
        assert page.title in response.content.decode()
        # Only those who can act on the step may change the activity while it waits there.
        can_act = allowed(stage, role, "reject")
        assert page.get_lock().for_user(people[role]) is not can_act
    else:
        # Wagtail turns the PermissionDenied into a message and a redirect to the dashboard.
        assert response.status_code == 302
        assert response["Location"] == "/admin/"


ACTION_DATA = {
    "approve": {"comment": ""},
    "reject": {"comment": "请补充联系人", "reasons": ["details"]},
}


@pytest.mark.parametrize("mode", ["post", "xhr"])
@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize(("stage", "role"), STAGE_ROLES)
def test_approve_and_reject_through_the_action_url(client, people, stage, role, action, mode):
    expected = allowed(stage, role, action)
    page, state = activity_at(stage, people)
    before = snapshot(page, state)
    client.force_login(people[role])
    data = ACTION_DATA[action]
    extra = XHR if mode == "xhr" else {}
    response = client.post(action_url(page, action, state), data, **extra)

    if expected:
        if mode == "xhr":
            assert response.status_code == 200
            assert response.json()["step"] == "success"
        else:
            assert response.status_code == 302
            assert response["Location"] == f"/admin/pages/{page.pk}/edit/"
        assert_moved(page, state, stage, action)
    else:
        if mode == "xhr":
            assert response.status_code == 403
        else:
            assert response.status_code == 302
            assert response["Location"] == "/admin/"
        assert snapshot(page, state) == before
        assert TaskState.objects.get(pk=state.pk).status == TaskState.STATUS_IN_PROGRESS
        assert not ActivityPage.objects.get(pk=page.pk).live


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize(("stage", "role"), refused_cells("approve"))
def test_direct_on_action_by_a_refused_user(people, stage, role, action):
    page, state = activity_at(stage, people)
    before = snapshot(page, state)
    with pytest.raises(PermissionDenied):
        state.task.specific.on_action(state, people[role], action, comment="伪造的操作")
    assert snapshot(page, state) == before


@pytest.mark.parametrize(("stage", "role", "expected"), cells("bulk_approve"))
def test_bulk_approve(client, people, stage, role, expected):
    page, state = activity_at(stage, people)
    before = snapshot(page, state)
    client.force_login(people[role])
    response = client.post(
        "/admin/review/", {"task_states": [state.pk], "action": "approve", "comment": ""}
    )
    if expected:
        assert response.status_code == 302
        assert_moved(page, state, stage, "approve")
    else:
        # The id is not among the user's reviewable task states: refused, nothing moves.
        assert response.status_code == 302
        assert snapshot(page, state) == before


@pytest.mark.parametrize("role", ROLES)
def test_take_down(client, people, role):
    page = factories.activity(owner=people["submitter"], publish=True, title="权限矩阵已上架活动")
    client.force_login(people[role])
    response = client.post(f"/admin/review/take-down/{page.pk}/", {"reason": "含商业推广内容"})
    assert response.status_code == 302
    page = ActivityPage.objects.get(pk=page.pk)
    if TAKE_DOWN[role]:
        assert response["Location"] == reverse("all_activities")
        assert not page.live
        record = TakeDown.objects.get(page=page)
        assert record.taken_by == people[role] and record.reason == "含商业推广内容"
        assert record.restored_at is None
    else:
        assert response["Location"] == "/admin/"
        assert page.live
        assert not TakeDown.objects.filter(page=page).exists()


@pytest.mark.parametrize("role", ROLES)
def test_put_back(client, people, role):
    page = factories.activity(owner=people["submitter"], publish=True, title="权限矩阵已下架活动")
    client.force_login(people["national"])
    client.post(f"/admin/review/take-down/{page.pk}/", {"reason": "海报不合规"})
    assert not ActivityPage.objects.get(pk=page.pk).live

    client.force_login(people[role])
    response = client.post(f"/admin/review/restore/{page.pk}/")
    assert response.status_code == 302
    page = ActivityPage.objects.get(pk=page.pk)
    record = TakeDown.objects.get(page=page)
    if PUT_BACK[role]:
        assert page.live
        assert record.restored_by == people[role] and record.restored_at is not None
    else:
        assert response["Location"] == "/admin/"
        assert not page.live
        assert record.restored_at is None


# --- no self-approval ------------------------------------------------------------------


def national_only_activity(owner, title="化学会自办科普活动"):
    return factories.activity(
        owner=owner,
        title=title,
        channel_category="national_society",
        channel=Organization.objects.get(name="中国化学会", category="national_society"),
    )


@pytest.fixture
def own_submission(people):
    """A national moderator submitted a national-only activity themselves."""
    national = people["national"]
    page = national_only_activity(national)
    submit(page, national)
    state = current_task_state(page)
    assert isinstance(state.task.specific, NationalApprovalTask)
    assert state.workflow_state.requested_by == national
    return ActivityPage.objects.get(pk=page.pk), state


def test_own_submission_is_in_the_inbox_but_has_no_approve_action(client, people, own_submission):
    page, state = own_submission
    national = people["national"]
    assert TaskState.objects.reviewable_by(national).filter(pk=state.pk).exists()
    assert action_names(page, national) == ["reject"]
    client.force_login(national)
    panel = awaiting_review_panel(client.get("/admin/").content.decode())
    assert page.title in panel
    assert action_url(page, "reject", state) in panel
    assert action_url(page, "approve", state) not in panel


@pytest.mark.parametrize("mode", ["post", "xhr"])
def test_own_submission_forged_approve_is_refused(client, people, own_submission, mode):
    page, state = own_submission
    before = snapshot(page, state)
    client.force_login(people["national"])
    extra = XHR if mode == "xhr" else {}
    response = client.post(action_url(page, "approve", state), {"comment": ""}, **extra)
    assert response.status_code == (403 if mode == "xhr" else 302)
    assert snapshot(page, state) == before


def test_own_submission_bulk_and_direct_approve_are_refused(client, people, own_submission):
    page, state = own_submission
    before = snapshot(page, state)
    client.force_login(people["national"])
    response = client.post("/admin/review/", {"task_states": [state.pk], "action": "approve"})
    assert response.status_code == 302
    assert snapshot(page, state) == before
    with pytest.raises(PermissionDenied):
        state.task.specific.on_action(state, people["national"], "approve", comment="")
    assert snapshot(page, state) == before


def test_own_submission_can_still_be_sent_back(client, people, own_submission):
    page, state = own_submission
    client.force_login(people["national"])
    response = client.post(
        action_url(page, "reject", state), {"comment": "撤回修改", "reasons": ["time_place"]}
    )
    assert response.status_code == 302
    assert_moved(page, state, "national", "reject")


def test_moderator_who_saved_the_submitted_revision_cannot_approve(client, people):
    """The submitter sends a revision the national moderator saved: not the submitter's own
    work, but the national moderator's, so they may not approve it."""
    national = people["national"]
    page = national_only_activity(people["submitter"], title="全国审核员改过的活动")
    page = ActivityPage.objects.get(pk=page.pk)
    page.contact_person = "李老师"
    page.save_revision(user=national)
    page.get_workflow().start(page, people["submitter"])
    state = current_task_state(page)
    assert state.revision.user == national
    assert state.workflow_state.requested_by == people["submitter"]
    assert action_names(page, national) == ["reject"]

    before = snapshot(page, state)
    client.force_login(national)
    response = client.post(action_url(page, "approve", state), {"comment": ""})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert snapshot(page, state) == before
    with pytest.raises(PermissionDenied):
        state.task.specific.on_action(state, national, "approve", comment="")
    assert snapshot(page, state) == before
    assert action_names(page, people["superuser"]) == ["reject", "approve", "approve"]


def test_moderator_who_edits_during_review_cannot_approve_their_edit(client, people):
    """R20, R21: approval is of the version submitted. The editor's 'approve' with changes
    in the form is refused with everything typed kept: nothing saved in the moderator's name
    (which made them the step's last editor), nothing approved."""
    national = people["national"]
    page = national_only_activity(people["submitter"], title="审核中被改写的活动")
    submit(page, people["submitter"])
    state = current_task_state(page)
    revisions = page.revisions.count()
    client.force_login(national)
    data = editor_data(
        page.poster,
        page.channel,
        action="action-workflow-action",
        title=page.title,
        slug=page.slug,
        contact_person="审核员自己",
    )
    data["workflow-action-name"] = "approve"
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    assert "审核员自己" in response.content.decode()
    assert "未通过" in " ".join(str(m) for m in response.context["messages"])

    page = ActivityPage.objects.get(pk=page.pk)
    assert page.revisions.count() == revisions
    assert not page.live
    assert TaskState.objects.get(pk=state.pk).status == TaskState.STATUS_IN_PROGRESS


# --- submitters, inactive and unbound moderators ---------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_submitter_never_gets_actions_on_their_own_task(client, people, stage):
    page, state = activity_at(stage, people)
    submitter = people["submitter"]
    assert action_names(page, submitter) == []
    assert not state.task.specific.user_can_access_editor(page, submitter)
    assert state.task.specific.locked_for_user(page, submitter)
    client.force_login(submitter)
    edit = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert action_url(page, "approve", state) not in edit
    assert action_url(page, "reject", state) not in edit


@pytest.mark.parametrize(("owner", "stage"), [("guangdong", "province"), ("national", "national")])
def test_moderator_submitting_their_own_activity_gets_only_reject(people, owner, stage):
    """A moderator who is also the submitter reviews their own work: never approve."""
    user = people[owner]
    if stage == "province":
        page = factories.activity(owner=user, title="审核员自己提交的活动")
    else:
        page = national_only_activity(user)
    submit(page, user)
    state = current_task_state(page)
    assert state.task.specific.review_stage == stage
    assert action_names(page, user) == ["reject"]
    assert not state.task.specific.user_can_approve(page, user, state)


@pytest.mark.parametrize("stage", STAGES)
def test_inactive_moderator_cannot_act(client, people, stage):
    page, state = activity_at(stage, people)
    moderator = people["guangdong" if stage == "province" else "national"]
    # Sanity: the same person, active, can act.
    assert "approve" in action_names(page, moderator)
    moderator.is_active = False
    moderator.save(update_fields=["is_active"])
    before = snapshot(page, state)

    assert not TaskState.objects.reviewable_by(moderator).exists()
    assert action_names(page, moderator) == []
    assert not state.task.specific.user_can_access_editor(page, moderator)
    for action in ("approve", "reject"):
        with pytest.raises(PermissionDenied):
            state.task.specific.on_action(state, moderator, action, comment="停用账号")
    # A deactivated account's session no longer authenticates: the admin sends it to log in.
    client.force_login(moderator)
    for url, data in (
        (action_url(page, "approve", state), {"comment": ""}),
        (action_url(page, "reject", state), {"comment": "停用账号", "reasons": []}),
        ("/admin/review/", {"task_states": [state.pk], "action": "approve"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert snapshot(page, state) == before


def test_province_moderator_without_a_province_sees_and_does_nothing(client, people):
    page, state = activity_at("province", people)
    unbound = factories.user(roles.PROVINCE_MODERATORS, real_name="未绑定省份审核员")
    assert unbound.province_id is None
    before = snapshot(page, state)

    assert not TaskState.objects.reviewable_by(unbound).exists()
    assert action_names(page, unbound) == []
    with pytest.raises(PermissionDenied):
        state.task.specific.on_action(state, unbound, "approve", comment="")
    client.force_login(unbound)
    assert page.title not in awaiting_review_panel(client.get("/admin/").content.decode())
    assert page.title not in client.get("/admin/review/").content.decode()
    editor = client.get(f"/admin/pages/{page.pk}/edit/")
    assert (editor.status_code, editor["Location"]) == (302, "/admin/")
    response = client.post(action_url(page, "approve", state), {"comment": ""}, **XHR)
    assert response.status_code == 403
    response = client.post("/admin/review/", {"task_states": [state.pk], "action": "approve"})
    assert response.status_code == 302  # refused: the id is outside the user's inbox
    assert snapshot(page, state) == before


# --- forged requests across provinces --------------------------------------------------


def test_action_url_with_another_provinces_task_state_is_refused(client, people):
    """The URL names a Guangdong activity the moderator may review, but the task state id
    belongs to a Beijing-channel activity: the rule follows the task state's own page."""
    own, own_state = activity_at("province", people, title="广东省级待审活动")
    other, other_state = activity_at(
        "province",
        people,
        title="北京省级待审活动",
        province_id="110000",
        city_id=None,
        channel=Organization.objects.get(name="北京市科学技术协会", category="provincial"),
    )
    assert other.review_province_id == "110000"
    before = snapshot(other, other_state)
    client.force_login(people["guangdong"])
    forged = f"/admin/pages/workflow/action/{own.pk}/approve/{other_state.pk}/"
    response = client.post(forged, {"comment": ""})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.post(forged, {"comment": ""}, **XHR).status_code == 403
    assert snapshot(other, other_state) == before
    assert TaskState.objects.get(pk=own_state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_bulk_with_a_forged_task_state_acts_on_nothing_forged(client, people):
    own, own_state = activity_at("province", people, title="广东批量待审活动")
    national, national_state = activity_at("national", people, title="全国批量待审活动")
    before = snapshot(national, national_state)
    client.force_login(people["guangdong"])
    client.post(
        "/admin/review/",
        {"task_states": [own_state.pk, national_state.pk], "action": "approve"},
    )
    assert snapshot(national, national_state) == before
    # Whether the Guangdong one is handled: test_concurrency.py, bulk request-changes tests.
