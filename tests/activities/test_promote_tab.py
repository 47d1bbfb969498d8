"""The activity editor is the guide's form (R5-R14): its tabs are basic information, content
and units. Wagtail's "Promote" tab (slug, title tag, meta description, menus) is for the
site's operators only; a submitter's saves keep what an operator set there."""

import datetime
import re

import pytest
import time_machine
from django.utils.text import slugify

from activities.models import ActivityPage
from tests import factories

from .editor import EDIT_URL, editor_data, open_editor

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
PROMOTE_FIELDS = ("slug", "seo_title", "search_description", "show_in_menus")
# Wagtail names a tab after its translated heading: 推广.
PROMOTE_TAB = 'id="tab-label-u63a8u5e7f"'


def editor_html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_r5_a_submitter_sees_no_promote_tab(client, submitter, add_url):
    page = factories.activity(owner=submitter)
    for url in (add_url, EDIT_URL.format(pk=page.pk)):
        html = editor_html(client, url)
        assert "基本信息" in html
        assert PROMOTE_TAB not in html
        for name in PROMOTE_FIELDS:
            assert f'name="{name}"' not in html


def test_r5_a_superuser_still_has_the_promote_tab(client, superuser):
    page = factories.activity(owner=factories.submitter())
    client.force_login(superuser)
    html = editor_html(client, EDIT_URL.format(pk=page.pk))
    assert PROMOTE_TAB in html
    for name in PROMOTE_FIELDS:
        assert f'name="{name}"' in html


@time_machine.travel(IN_WINDOW, tick=False)
def test_r5_a_submitters_save_keeps_what_an_operator_set(client, submitter):
    page = factories.activity(owner=submitter, publish=True)
    page.slug, page.seo_title, page.search_description = "robot-day", "机器人日", "一段摘要"
    page.save_revision(user=factories.user(None, is_superuser=True)).publish()

    form = open_editor(client, ActivityPage.objects.get(pk=page.pk))
    # A forged value too: fields the user may not see are not in their form.
    form.update({"title": "改过名字的机器人日", "slug": "forged", "seo_title": ""})
    form["action-submit"] = "1"
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 302
    latest = ActivityPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert latest.title == "改过名字的机器人日"
    assert (latest.slug, latest.seo_title, latest.search_description) == (
        "robot-day",
        "机器人日",
        "一段摘要",
    )


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize(
    "title, expected", [("广州青少年机器人科普体验日", None), ("？？？", "activity")]
)
def test_r5_a_new_activity_gets_its_slug_from_its_name(client, submitter, add_url, title, expected):
    image = factories.poster(submitter)
    data = editor_data(image, factories.channel(), "", title=title)
    data.pop("slug")
    response = client.post(add_url, data)
    assert response.status_code == 302
    page = ActivityPage.objects.get(title=title)
    assert page.slug == (expected or slugify(title, allow_unicode=True))


@time_machine.travel(IN_WINDOW, tick=False)
def test_r5_a_submitters_copy_takes_its_slug_from_its_name(client, submitter):
    """Wagtail's copy page asked for a "new slug": a submitter chose their copy's public
    address there, which approval then published."""
    page = factories.activity(owner=submitter, title="机器人科普日")
    html = editor_html(client, f"/admin/pages/{page.pk}/copy/")
    assert 'type="hidden" name="new_slug"' in html
    # No label left over with nothing under it.
    label = re.search(r'<label[^>]*for="id_new_slug"[^>]*>(.*?)</label>', html, re.S)
    assert label is None or not label.group(1).strip()
    response = client.post(
        f"/admin/pages/{page.pk}/copy/",
        {
            "new_title": "机器人科普日（第二场）",
            "new_slug": "chosen-by-submitter",
            "new_parent_page": page.get_parent().pk,
        },
    )
    assert response.status_code == 302
    copy = ActivityPage.objects.get(title="机器人科普日（第二场）")
    assert copy.slug == slugify("机器人科普日（第二场）", allow_unicode=True)
    # A second copy of the same name gets the next free address.
    client.post(
        f"/admin/pages/{page.pk}/copy/",
        {"new_title": "机器人科普日（第二场）", "new_parent_page": page.get_parent().pk},
    )
    second = ActivityPage.objects.filter(title="机器人科普日（第二场）").exclude(pk=copy.pk).get()
    assert second.slug == f"{copy.slug}-2"


def test_r5_a_superuser_still_chooses_the_copys_slug(client, superuser):
    page = factories.activity(owner=factories.submitter(), title="机器人科普日")
    client.force_login(superuser)
    client.post(
        f"/admin/pages/{page.pk}/copy/",
        {
            "new_title": "机器人科普日（副本）",
            "new_slug": "robot-day-copy",
            "new_parent_page": page.get_parent().pk,
        },
    )
    assert ActivityPage.objects.get(title="机器人科普日（副本）").slug == "robot-day-copy"
