"""What a forged or unusual editor request gets: the same rules as the buttons (R8, R12, R15),
a clear error beside the field and never a 500 (issue #9's rule for bad input)."""

import datetime

import pytest
import time_machine
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import rich_text

from activities.models import ActivityPage
from tests import factories

from .editor import EDIT_URL, editor_data
from .test_editor_journey import errors_of

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
AFTER_WINDOW = datetime.datetime(2026, 10, 15, 10, 0, tzinfo=datetime.UTC)


def test_r15_restarting_the_review_follows_the_submission_rules(client, submitter):
    """The editor's "restart workflow" on a rejected activity submits it again, so the
    submission rules apply: a start already past is refused like "submit". (The window
    does not: it answers the request for changes, test_rules R15.)"""
    with time_machine.travel(IN_WINDOW, tick=False):
        page = factories.activity(owner=submitter)
        page.save_revision(user=submitter)
        state = page.get_workflow().start(page, submitter)
        task_state = state.current_task_state
        moderator = factories.user(None, is_superuser=True, is_staff=True)
        task_state.task.specific.on_action(task_state, moderator, "reject", comment="请修改")
    with time_machine.travel(AFTER_WINDOW, tick=False):
        data = editor_data(
            page.poster,
            factories.channel(),
            "action-restart-workflow",
            start_at=AFTER_WINDOW - datetime.timedelta(days=1),
        )
        response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    assert "start_at" in errors_of(response)
    statuses = set(WorkflowState.objects.for_instance(page).values_list("status", flat=True))
    assert statuses == {WorkflowState.STATUS_NEEDS_CHANGES}


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999", "-3"])
@pytest.mark.parametrize("field", ["poster", "channel", "host_units-0-organization"])
@pytest.mark.parametrize("action", ["", "action-submit"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_an_impossible_chooser_id_is_an_error_not_a_500(
    client, submitter, add_url, field, value, action
):
    image = factories.poster(submitter)
    data = editor_data(image, factories.channel(), action, title="伪造编号的活动")
    data[field] = value
    response = client.post(add_url, data)
    # A draft may save without the choice (poster and channel are required to submit; a
    # unit may be plain text); otherwise the form comes back with what was typed.
    assert response.status_code in {200, 302}
    saved = ActivityPage.objects.filter(title="伪造编号的活动").first()
    if response.status_code == 200:
        assert "伪造编号的活动" in response.content.decode()
        assert saved is None
    else:
        assert field == "host_units-0-organization" or not action
        assert getattr(saved, f"{field}_id", None) is None


@time_machine.travel(IN_WINDOW, tick=False)
def test_r12_another_units_image_is_not_a_poster(client, submitter, add_url):
    """The chooser shows submitters their own uploads only; a forged id is refused too."""
    theirs = factories.poster(factories.submitter(), title="别的单位的海报")
    response = client.post(add_url, editor_data(theirs, factories.channel(), ""))
    assert response.status_code == 200
    assert "poster" in errors_of(response)
    assert not ActivityPage.objects.exists()
    # The activity's own poster stays choosable for those who edit it later.
    own = factories.poster(submitter)
    assert client.post(add_url, editor_data(own, factories.channel(), "")).status_code == 302


@pytest.mark.parametrize("title", ["？？？", "🎉🎉", "!!!"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_a_name_without_slug_characters_still_gets_a_unique_address(
    client, submitter, add_url, title
):
    image = factories.poster(submitter)
    slugs = []
    for _ in range(2):
        response = client.post(add_url, editor_data(image, factories.channel(), "", title=title))
        assert response.status_code == 302, errors_of(response)
    for page in ActivityPage.objects.filter(title=title).order_by("pk"):
        assert page.slug
        assert "//" not in page.url_path
        slugs.append(page.slug)
    assert len(set(slugs)) == 2


EMPTY_DETAILS = [
    '<p data-block-key="a"></p><p data-block-key="b"></p>',
    "<p> </p>",
    "<p>\u3000</p>",
    "<p>&nbsp;</p>",
]


@pytest.mark.parametrize("details", EMPTY_DETAILS)
@time_machine.travel(IN_WINDOW, tick=False)
def test_r13_empty_paragraphs_are_no_details(client, submitter, add_url, details):
    image = factories.poster(submitter)
    data = editor_data(image, factories.channel(), "action-submit", title="详情为空的活动")
    data["details"] = rich_text(details)
    response = client.post(add_url, data)
    assert response.status_code == 200
    assert "details" in errors_of(response)
    # A draft may still be saved with nothing in it yet.
    data = editor_data(image, factories.channel(), "", title="详情为空的活动")
    data["details"] = rich_text(details)
    assert client.post(add_url, data).status_code == 302


@pytest.mark.parametrize("start", ["0001-01-01 00:00", "1999-12-31 23:00", "2101-01-01 10:00"])
@pytest.mark.parametrize("action", ["", "action-submit"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_r8_dates_outside_any_campaign_are_refused_not_a_500(
    client, submitter, add_url, start, action
):
    image = factories.poster(submitter)
    data = editor_data(image, factories.channel(), action, title="年份离谱的活动")
    data["start_at"] = start
    data["end_at"] = start
    response = client.post(add_url, data)
    assert response.status_code == 200
    errors = errors_of(response)
    assert "start_at" in errors
    assert "年份离谱的活动" in response.content.decode()


@time_machine.travel(IN_WINDOW, tick=False)
def test_r8_a_past_start_is_not_also_reported_as_after_the_end(client, submitter):
    """Editing a saved activity with a past start and an end two hours after it: one error,
    on the start (the model compared the stored start with the new end)."""
    page = factories.activity(owner=submitter)
    past = IN_WINDOW - datetime.timedelta(days=3)
    data = editor_data(
        page.poster,
        factories.channel(),
        "action-submit",
        start_at=past,
        end_at=past + datetime.timedelta(hours=2),
    )
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    errors = errors_of(response)
    assert "start_at" in errors
    assert "end_at" not in errors


@time_machine.travel(IN_WINDOW, tick=False)
def test_r34_wagtails_own_editor_messages_are_in_chinese(client, submitter, add_url):
    """Wagtail 8's zh_Hans catalogue lacks its editor's error banners; ours has them."""
    data = editor_data(factories.poster(submitter), factories.channel(), "", title="")
    html = client.post(add_url, data).content.decode()
    assert "由于存在验证错误，无法创建页面。" in html
    assert "could not be created" not in html
    page = factories.activity(owner=submitter)
    explorer = client.get(f"/admin/pages/{page.get_parent().pk}/").content.decode()
    assert "Exploring" not in explorer and "Date updated" not in explorer


@pytest.mark.parametrize("formset", ["host_units", "organizer_units", "partner_societies"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_a_forged_row_count_builds_no_more_rows(client, submitter, add_url, formset):
    """TOTAL_FORMS=100000000 built and rendered 2,000 empty forms (14 s of both cores)."""
    data = editor_data(factories.poster(submitter), factories.channel(), "", title="行数伪造")
    data[f"{formset}-TOTAL_FORMS"] = "100000000"
    response = client.post(add_url, data)
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        form = response.context["form"].formsets[formset]
        assert len(form.forms) <= 100
        assert "行数伪造" in response.content.decode()
