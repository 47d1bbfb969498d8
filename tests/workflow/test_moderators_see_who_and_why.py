"""Moderators see who submitted an activity and whether that person's real name is verified
where they approve it (R1: the dashboard and the editor, as on the review desk), and the
audit log shows a take-down's reason (R18, R25)."""

import pytest

from tests import factories
from workflow.takedown import take_down

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("verified", [True, False])
def test_the_dashboard_names_the_submitter_and_their_verification(client, people, verified):
    submitter = people["submitter"]
    submitter.real_name = "送审的人"
    submitter.is_real_name_verified = verified
    submitter.save()
    page = factories.activity(owner=submitter, title="等待审核的活动")
    submit(page, submitter)
    client.force_login(people["guangdong"])
    html = client.get("/admin/").content.decode()
    panel = html[html.index("awaiting-review-content") :]
    row = panel[panel.index("等待审核的活动") :]
    assert "送审的人" in row
    assert ("已实名" if verified else "未实名") in row
    assert f"/admin/pages/workflow/action/{page.pk}/approve/" in row


@pytest.mark.parametrize("verified", [True, False])
def test_the_editor_tells_the_reviewer_who_submitted(client, people, verified):
    submitter = people["submitter"]
    submitter.is_real_name_verified = verified
    submitter.save()
    page = factories.activity(owner=submitter)
    submit(page, submitter)
    client.force_login(people["guangdong"])
    html = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert "提交人" in html
    assert ("实名已核实" if verified else "实名未核实") in html


def test_the_submitter_is_not_told_about_themself(client, people):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    client.force_login(people["submitter"])
    assert "实名未核实" not in client.get(f"/admin/pages/{page.pk}/edit/").content.decode()


def test_the_history_shows_the_reason_of_a_take_down(client, people):
    page = factories.activity(owner=people["submitter"], publish=True)
    take_down(page, people["national"], "海报含有商业广告")
    client.force_login(people["national"])
    html = client.get(f"/admin/pages/{page.pk}/history/").content.decode()
    assert "海报含有商业广告" in html
