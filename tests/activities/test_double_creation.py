"""One new-activity form creates one activity (R6, R26): the same form sent twice (a second
tab, the back button after creating, a request retried after a timeout) keeps what was
typed and names the activity it created, instead of creating a duplicate that a moderator
would have to review and reject."""

import datetime

import pytest
import time_machine
from bs4 import BeautifulSoup
from wagtail.models import Page

from activities.models import ActivityPage
from tests import factories

from .editor import editor_data, open_editor

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)


def new_form_token(client, add_url):
    response = client.get(add_url)
    assert response.status_code == 200
    field = BeautifulSoup(response.content, "html.parser").select_one("input[name=creation_token]")
    assert field is not None and len(field["value"]) == 32
    return field["value"]


def draft(image, channel, token, **fields):
    return {
        **editor_data(image, channel, action=None, **fields),
        "creation_token": token,
    }


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_same_form_sent_twice_creates_one_activity(client, submitter, add_url):
    image, channel = factories.poster(submitter), factories.channel()
    token = new_form_token(client, add_url)
    first = client.post(add_url, draft(image, channel, token))
    assert first.status_code == 302
    assert ActivityPage.objects.filter(owner=submitter).count() == 1

    # Sent again, e.g. from a duplicated tab where the name was then corrected.
    again = client.post(
        add_url, draft(image, channel, token, title="广州青少年机器人科普体验日（二）")
    )
    assert again.status_code == 200
    html = again.content.decode()
    assert "这张表单已经创建了活动“广州青少年机器人科普体验日”" in html
    assert ActivityPage.objects.filter(owner=submitter).count() == 1
    # Nothing typed is lost.
    assert 'value="广州青少年机器人科普体验日（二）"' in html
    assert "华南理工大学机器人团队" in html


@time_machine.travel(IN_WINDOW, tick=False)
def test_each_new_form_creates_its_own_activity(client, submitter, add_url):
    image, channel = factories.poster(submitter), factories.channel()
    first, second = new_form_token(client, add_url), new_form_token(client, add_url)
    assert first != second
    for token, title in ((first, "广州机器人科普体验日"), (second, "深圳天文科普观测夜")):
        response = client.post(add_url, draft(image, channel, token, title=title))
        assert response.status_code == 302
    assert ActivityPage.objects.filter(owner=submitter).count() == 2
    # A form sent without its token (an old tab from before this rule) still creates.
    response = client.post(add_url, draft(image, channel, "", title="佛山科普讲座"))
    assert response.status_code == 302
    assert ActivityPage.objects.filter(owner=submitter).count() == 3


@time_machine.travel(IN_WINDOW, tick=False)
def test_another_units_token_reveals_and_blocks_nothing(client, submitter, add_url):
    """Tokens are looked up among the sender's own activities: one copied from another
    unit's form neither names that unit's activity nor stops this one."""
    other = factories.submitter()
    theirs = factories.activity(owner=other, title="某单位未公开的草稿")
    ActivityPage.objects.filter(pk=theirs.pk).update(creation_token="a" * 32)
    image = factories.poster(submitter)
    response = client.post(add_url, draft(image, factories.channel(), "a" * 32))
    assert response.status_code == 302
    assert "某单位未公开的草稿" not in response.content.decode()
    assert ActivityPage.objects.filter(owner=submitter).count() == 1


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_forged_token_is_refused_as_a_field_and_the_edit_form_has_none(
    client, submitter, add_url
):
    image, channel = factories.poster(submitter), factories.channel()
    response = client.post(add_url, draft(image, channel, "<script>"))
    assert response.status_code == 200
    assert not ActivityPage.objects.filter(owner=submitter).exists()
    response = client.post(add_url, draft(image, channel, new_form_token(client, add_url)))
    page = ActivityPage.objects.get(owner=submitter)
    assert len(page.creation_token) == 32
    assert "creation_token" not in open_editor(client, page)


def test_a_copy_does_not_carry_the_token(submitter):
    page = factories.activity(owner=submitter, title="广州机器人科普体验日")
    ActivityPage.objects.filter(pk=page.pk).update(creation_token="b" * 32)
    page.refresh_from_db()
    copy = page.copy(
        update_attrs={"title": "广州机器人科普体验日（复制）", "slug": "copy-of-it"},
        user=submitter,
    )
    assert Page.objects.filter(pk=copy.pk).exists()
    assert ActivityPage.objects.get(pk=copy.pk).creation_token == ""
