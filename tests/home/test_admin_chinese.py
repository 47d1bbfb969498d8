"""The admin in Chinese (R34): Wagtail's own strings that its zh_Hans catalogues lack or word
awkwardly are translated by the project's catalogues (home/wagtail_messages.py for Python,
locale/zh_Hans/LC_MESSAGES/djangojs.po for the admin's scripts). Found by a moderator's
audit: "通过 和发布" on the national step's button, and English screen-reader and editor
strings ("new items in this menu", "Insert a block", "Actions")."""

import json
import re

import pytest
import time_machine

from accounts import roles
from tests import factories
from tests.activities.editor import EDIT_URL
from tests.workflow.conftest import IN_WINDOW, current_task_state, submit

pytestmark = pytest.mark.django_db


def catalog(client):
    response = client.get("/admin/jsi18n/")
    assert response.status_code == 200
    text = response.content.decode()
    return json.loads(re.search(r"const newcatalog = (\{.*?\});\n", text, re.S).group(1))


def test_r34_the_admins_scripts_speak_chinese(client):
    client.force_login(factories.submitter())
    strings = catalog(client)
    assert strings["Insert a block"] == "插入内容块"
    assert strings["(%(number)s new items in this menu)"] == "（此菜单中有 %(number)s 个新项目）"
    assert strings["Actions"] == "操作"
    assert strings["Changes have been autosaved."] == "修改已自动保存。"


@time_machine.travel(IN_WINDOW, tick=False)
def test_r34_the_national_steps_publishing_button_reads_as_one_phrase(client):
    owner = factories.submitter()
    page = factories.activity(
        owner=owner,
        channel=factories.channel("中国化学会", "national_society"),
        channel_category="national_society",
    )
    submit(page, owner)
    assert current_task_state(page).task.specific.review_stage == "national"
    client.force_login(factories.user(roles.NATIONAL_MODERATORS))
    html = client.get(EDIT_URL.format(pk=page.pk)).content.decode()
    assert "通过并发布" in html and "和发布" not in html


def test_r34_the_help_menu_offers_no_english_wagtail_documentation_to_units(client):
    """Found by a new user's audit: a submitter's help menu offered "Wagtail 8.0 编辑指南",
    Wagtail's English documentation."""
    client.force_login(factories.submitter())
    html = client.get("/admin/").content.decode()
    assert "guide.wagtail.org" not in html and "docs.wagtail.org" not in html
    client.force_login(factories.user(is_superuser=True))
    assert "guide.wagtail.org" in client.get("/admin/").content.decode()
