"""The submitter's journey through Wagtail's real editor (R6–R15, R26)."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from wagtail.models import WorkflowState

from activities.models import ActivityPage
from activities.states import ReviewState
from tests import factories

from .editor import EDIT_URL, editor_data

pytestmark = pytest.mark.django_db

# Inside the default campaign window (21 Aug – 30 Sep) of the year the tests freeze.
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)


def errors_of(response):
    form = response.context["form"]
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    for name, formset in form.formsets.items():
        for index, child in enumerate(formset.forms):
            for field, errs in child.errors.items():
                errors[f"{name}-{index}-{field}"] = [str(e) for e in errs]
        if formset.non_form_errors():
            errors[name] = [str(e) for e in formset.non_form_errors()]
    return errors


@time_machine.travel(IN_WINDOW, tick=False)
def test_submitter_creates_and_submits_a_complete_activity(client, submitter, add_url):
    image = factories.poster(submitter)
    response = client.post(add_url, editor_data(image, factories.channel()))
    assert response.status_code == 302, errors_of(response)
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert page.owner == submitter
    assert not page.live
    assert page.review_province_id == "440000"
    assert WorkflowState.objects.for_instance(page).filter(status="in_progress").exists()
    assert page.review_state != ReviewState.DRAFT

    listing = client.get("/admin/my-activities/").content.decode()
    assert "广州青少年机器人科普体验日" in listing


@time_machine.travel(IN_WINDOW, tick=False)
def test_incomplete_draft_saves_and_keeps_everything_typed(client, submitter, add_url):
    data = editor_data(None, factories.channel(), action=None, content="", audience="")
    response = client.post(add_url, data)
    assert response.status_code == 302
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert page.review_state == ReviewState.DRAFT
    assert page.get_latest_revision_as_object().scientists == "华南理工大学机器人团队"


@time_machine.travel(IN_WINDOW, tick=False)
def test_submitting_an_incomplete_activity_names_each_missing_field(client, submitter, add_url):
    data = editor_data(None, factories.channel(), content="", audience="")
    response = client.post(add_url, data)
    assert response.status_code == 200
    errors = errors_of(response)
    assert {"poster", "content", "audience"} <= set(errors)
    body = response.content.decode()
    assert "华南理工大学机器人团队" in body  # nothing typed is lost
    assert not ActivityPage.objects.exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_submitter_sees_only_own_activities(client, submitter):
    other = factories.submitter(real_name="他人")
    mine = factories.activity(owner=submitter, title="我的活动一")
    theirs = factories.activity(owner=other, title="别人的活动")
    listing = client.get("/admin/my-activities/").content.decode()
    assert "我的活动一" in listing and "别人的活动" not in listing

    explorer = client.get(f"/admin/pages/{factories.index().pk}/").content.decode()
    assert "我的活动一" in explorer and "别人的活动" not in explorer
    search = client.get("/admin/pages/search/", {"q": "活动"}).content.decode()
    assert "我的活动一" in search and "别人的活动" not in search
    chooser = client.get("/admin/choose-page/search/", {"q": "活动"}).content.decode()
    assert "别人的活动" not in chooser

    assert client.get(EDIT_URL.format(pk=mine.pk)).status_code == 200
    for url in (
        EDIT_URL.format(pk=theirs.pk),
        f"/admin/pages/{theirs.pk}/edit/preview/",
        f"/admin/pages/{theirs.pk}/view_draft/",
        f"/admin/pages/{theirs.pk}/delete/",
        f"/admin/pages/{theirs.pk}/history/",
    ):
        response = client.get(url)
        assert response.status_code in {302, 403, 404}, url
        if response.status_code == 302:
            assert f"/admin/pages/{theirs.pk}" not in response["Location"], url


@time_machine.travel(IN_WINDOW, tick=False)
def test_forged_posts_on_anothers_activity_change_nothing(client, submitter):
    other = factories.submitter(real_name="他人")
    theirs = factories.activity(owner=other, title="别人的活动")
    image = factories.poster(submitter)
    client.post(
        EDIT_URL.format(pk=theirs.pk),
        editor_data(image, factories.channel(), action="action-submit", title="篡改"),
    )
    client.post(f"/admin/pages/{theirs.pk}/delete/")
    theirs.refresh_from_db()
    assert theirs.title == "别人的活动"
    assert theirs.get_latest_revision_as_object().title == "别人的活动"


@time_machine.travel(IN_WINDOW, tick=False)
def test_submitter_cannot_publish(client, submitter, add_url):
    image = factories.poster(submitter)
    page_html = client.get(add_url).content.decode()
    assert 'name="action-publish"' not in page_html

    response = client.post(add_url, editor_data(image, factories.channel(), "action-publish"))
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert response.status_code in {200, 302}
    assert not page.live

    edit = client.post(
        EDIT_URL.format(pk=page.pk), editor_data(image, factories.channel(), "action-publish")
    )
    assert edit.status_code in {200, 302}
    page.refresh_from_db()
    assert not page.live
    assert client.post(f"/admin/pages/{page.pk}/unpublish/").status_code in {302, 403}


@time_machine.travel(IN_WINDOW, tick=False)
def test_short_notice_warns_but_submits(client, submitter, add_url):
    image = factories.poster(submitter)
    soon = timezone.now() + datetime.timedelta(days=3)
    response = client.post(
        add_url, editor_data(image, factories.channel(), start_at=soon), follow=True
    )
    assert response.status_code == 200
    assert "少于7天" in response.content.decode()
    assert ActivityPage.objects.filter(title="广州青少年机器人科普体验日").exists()


@time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_outside_the_window_drafts_save_but_submission_is_refused(client, submitter, add_url):
    image = factories.poster(submitter)
    start = timezone.now() + datetime.timedelta(days=20)
    refused = client.post(add_url, editor_data(image, factories.channel(), start_at=start))
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "2026-08-21" in body and "2026-09-30" in body
    assert not ActivityPage.objects.exists()

    saved = client.post(add_url, editor_data(image, factories.channel(), None, start_at=start))
    assert saved.status_code == 302
    assert ActivityPage.objects.get().review_state == ReviewState.DRAFT


@time_machine.travel(IN_WINDOW, tick=False)
def test_r14_a_first_draft_saves_before_its_host_unit_is_known(client, submitter, add_url):
    """Found by an audit: a new activity with only its name could not be saved as a draft,
    because the host unit row the editor shows empty was refused on another tab. Submitting
    still asks for one."""
    empty_row = [{"organization": "", "name": ""}]
    data = editor_data(None, factories.channel(), action=None, host_units=empty_row)
    data["host_units-MIN_NUM_FORMS"] = "1"
    response = client.post(add_url, data)
    assert response.status_code == 302, errors_of(response)
    page = ActivityPage.objects.get(title="广州青少年机器人科普体验日")
    assert not page.host_units.exists()

    submitted = editor_data(
        factories.poster(submitter), factories.channel(), host_units=empty_row, title="另一个活动"
    )
    submitted["host_units-MIN_NUM_FORMS"] = "1"
    response = client.post(add_url, submitted)
    assert response.status_code == 200
    assert errors_of(response) == {
        "host_units-0-name": ["请从组织库中选择单位，或输入单位准确名称。"]
    }
    assert not ActivityPage.objects.filter(title="另一个活动").exists()
