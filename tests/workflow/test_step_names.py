"""Review steps are named in the reader's language (R34): the two steps the migrations
create keep Chinese names in the data, which the English admin showed as they are."""

import pytest
from django.utils import translation
from wagtail.models import Task
from wagtail.users.models import UserProfile

from tests import factories
from workflow.models import step_name

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db


def in_english(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()


def test_r34_the_desk_and_the_feedback_name_the_step_in_english(client, people):
    page = factories.activity(owner=people["submitter"], title="英文界面的审核")
    submit(page, people["submitter"])
    in_english(people["guangdong"])
    client.force_login(people["guangdong"])
    desk = client.get("/admin/review/").content.decode()
    assert "Province review" in desk and "省级审核" not in desk
    dashboard = client.get("/admin/").content.decode()
    assert "Province review" in dashboard

    state = current_task_state(page)
    state.task.specific.on_action(state, people["guangdong"], "reject", comment="请补充地点")
    in_english(people["submitter"])
    client.force_login(people["submitter"])
    editor = client.get(f"/admin/pages/{page.pk}/edit/", follow=True)
    text = " ".join(str(message) for message in editor.context["messages"])
    assert "Province review asked for changes: 请补充地点" in text


def test_r34_chinese_names_and_renamed_steps():
    province, national = (Task.objects.get(name=name) for name in ("省级审核", "全国审核"))
    with translation.override("zh-hans"):
        assert (step_name(province), step_name(national)) == ("省级审核", "全国审核")
    with translation.override("en"):
        assert (step_name(province), step_name(national)) == (
            "Province review",
            "National review",
        )
        national.name = "全国终审"
        assert step_name(national) == "全国终审"
