"""A version saved during a review step is what that step reviews (R18-R21, R23): the step
starts again on it and its moderators hear of it, so a colleague who read the earlier
version cannot publish the new one unseen from the pop-up or the desk; the moderator who
saved it cannot approve it."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from wagtail.models import TaskState

from accounts import roles
from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

from .conftest import action_url, current_task_state, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_national_step(people):
    page = factories.activity(owner=people["submitter"], title="审核中修改的活动")
    submit(page, people["submitter"])
    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "approve", comment="")
    return page


def second_national():
    return factories.user(
        roles.NATIONAL_MODERATORS, real_name="全国审核员二", email="national2@example.cn"
    )


def edit_in_editor(client, user, page, **changes):
    client.force_login(user)
    data = open_editor(client, page)
    data.update({name: [value] for name, value in changes.items()})
    return client.post(EDIT_URL.format(pk=page.pk), data, follow=True)


def test_r21_an_edit_during_the_step_restarts_it_on_the_new_version(
    client, people, at_national_step
):
    page = at_national_step
    read_earlier = current_task_state(page)
    editor = second_national()
    mail.outbox.clear()
    response = edit_in_editor(client, editor, page, contact_phone="020-83549999")
    assert "本审核环节将对您保存的版本重新审核" in response.content.decode()

    restarted = current_task_state(page)
    assert restarted.pk != read_earlier.pk and restarted.task_id == read_earlier.task_id
    assert restarted.revision_id == page.get_latest_revision().pk
    earlier = TaskState.objects.get(pk=read_earlier.pk)
    assert earlier.status == TaskState.STATUS_CANCELLED
    # The step's other moderators are told a version awaits them; the editor is not.
    recipients = {address for message in mail.outbox for address in message.to}
    assert people["national"].email in recipients and editor.email not in recipients

    # The colleague's pop-up, opened on the earlier version, publishes nothing.
    client.force_login(people["national"])
    client.post(action_url(page, "approve", read_earlier), {"comment": ""})
    page.refresh_from_db()
    assert not page.live

    # The editor cannot approve their own version; the colleague, now shown it, can.
    with pytest.raises(PermissionDenied):
        restarted.task.specific.on_action(restarted, editor, "approve", comment="")
    restarted.task.specific.on_action(restarted, people["national"], "approve", comment="")
    page.refresh_from_db()
    assert page.live and page.specific.contact_phone == "020-83549999"


def test_r21_the_desk_refuses_the_earlier_version_by_its_step(client, people, at_national_step):
    page = at_national_step
    read_earlier = current_task_state(page)
    edit_in_editor(client, second_national(), page, contact_phone="020-83549999")
    client.force_login(people["national"])
    response = client.post(
        "/admin/review/",
        {"action": "approve", "task_states": [read_earlier.pk], "comment": ""},
        follow=True,
    )
    assert response.status_code == 200
    page.refresh_from_db()
    assert not page.live


def test_r23_a_save_without_changes_of_version_keeps_the_step(client, people, at_national_step):
    """Opening the editor and acting from it (approve) does not restart anything."""
    page = at_national_step
    state = current_task_state(page)
    client.force_login(people["national"])
    client.get(EDIT_URL.format(pk=page.pk))
    assert current_task_state(page).pk == state.pk


@pytest.mark.parametrize("live", [False, True], ids=["new", "correction-of-a-live-one"])
def test_r21_a_save_without_changes_leaves_the_step_and_the_reviewer_as_they_were(
    client, people, live
):
    """Found by a moderator's audit: the editor's first button for a reviewer is "save
    draft"; pressed without changing anything it started the step again and made the
    reviewer's own "work" of it, so the province's only moderator could no longer approve."""
    page = factories.activity(owner=people["submitter"], title="无修改保存的活动", publish=live)
    if live:
        edit_in_editor(client, people["submitter"], page, contact_phone="020-83549999")
        page.refresh_from_db()
    submit(page, people["submitter"])
    reviewing = current_task_state(page)
    response = edit_in_editor(client, people["guangdong"], page)
    assert response.status_code == 200
    assert "本审核环节将对您保存的版本重新审核" not in response.content.decode()
    assert current_task_state(page).pk == reviewing.pk
    task = reviewing.task.specific
    assert "approve" in [name for name, *_ in task.get_actions(page, people["guangdong"])]
    task.on_action(reviewing, people["guangdong"], "approve", comment="")
    assert current_task_state(page).task_id != reviewing.task_id

    # Any change, however small, is still a new version for the step to review.
    national = current_task_state(page)
    edit_in_editor(client, people["national"], page, audience="中小学生")
    assert current_task_state(page).pk != national.pk
