"""A moderator re-reviewing a resubmission sees what changed since they asked for changes
(R22): the history, a revision's preview and the comparison of two revisions open for the
reviewer of the current step, as the editor does, and stay closed to everyone else (R20)."""

import pytest

from activities.models import ActivityPage
from tests import factories

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db


def resubmitted(people):
    """Submitted, sent back by Guangdong, renamed by its submitter and resubmitted."""
    page = factories.activity(owner=people["submitter"], title="原来的活动名称")
    submit(page, people["submitter"])
    rejected = ActivityPage.objects.get(pk=page.pk).get_latest_revision()
    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "reject", comment="名称不清楚")
    page = ActivityPage.objects.get(pk=page.pk)
    page.title = "修改以后的活动名称"
    resubmission = page.save_revision(user=people["submitter"])
    page.current_workflow_state.resume(people["submitter"])
    return page, rejected, resubmission


def urls(page, earlier, later):
    return {
        "history": f"/admin/pages/{page.pk}/history/",
        "history_results": f"/admin/pages/{page.pk}/history/results/",
        "revision": f"/admin/pages/{page.pk}/revisions/{earlier.pk}/view/",
        "compare": f"/admin/pages/{page.pk}/revisions/compare/{earlier.pk}...{later.pk}/",
    }


def test_the_province_reviewer_sees_what_changed_since_the_request(client, people):
    page, rejected, resubmission = resubmitted(people)
    client.force_login(people["guangdong"])
    links = urls(page, rejected, resubmission)
    editor = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert links["history"] in editor
    for name, url in links.items():
        assert client.get(url).status_code == 200, name
    comparison = client.get(links["compare"]).content.decode()
    assert "原来的活动名称" in comparison and "修改以后的活动名称" in comparison
    assert "原来的活动名称" in client.get(links["revision"]).content.decode()


@pytest.mark.parametrize("who", ["beijing", "other_submitter"])
def test_others_are_still_refused(client, people, who):
    page, rejected, resubmission = resubmitted(people)
    user = people.get(who) or factories.submitter(real_name="别的单位")
    client.force_login(user)
    for name, url in urls(page, rejected, resubmission).items():
        response = client.get(url)
        # Another province's moderator: Wagtail's refusal (a redirect with a message);
        # another unit's submitter: the activity does not exist for them.
        assert response.status_code in {302, 404}, name
        assert "原来的活动名称" not in response.content.decode()


def test_the_reviewer_of_a_finished_step_is_refused(client, people):
    page, rejected, resubmission = resubmitted(people)
    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "approve", comment="")
    client.force_login(people["guangdong"])
    response = client.get(urls(page, rejected, resubmission)["compare"])
    assert response.status_code == 302
