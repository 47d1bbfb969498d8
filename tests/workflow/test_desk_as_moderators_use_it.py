"""The review desk and the editor's review actions as moderators use them (R16, R20, R22),
found by a submitter's audit and an audit at the September peak: the editor's "request
changes" ended on the submitter's "submit your draft" reminder; bulk actions said only
"handled", took a whole page in the request (46 s) and could not say what they did; a
mistyped date dropped every filter; 全部活动's search count looked exact at its bound."""

import json

import pytest
from django.contrib.messages import get_messages

from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db


def test_r22_sending_back_in_the_editor_says_so_not_submit_it(client, people):
    page = factories.activity(owner=people["submitter"], title="编辑器中退回的活动")
    submit(page, people["submitter"])
    client.force_login(people["guangdong"])
    form = open_editor(client, page)
    form.update(
        {
            "action-workflow-action": "1",
            "workflow-action-name": "reject",
            "workflow-action-extra-data": json.dumps(
                {"comment": "请补充地点", "reasons": ["time_place"]}
            ),
        }
    )
    response = client.post(EDIT_URL.format(pk=page.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    said = " ".join(str(message) for message in get_messages(response.wsgi_request))
    assert "已退回修改，提交人将看到您的意见。" in said
    assert "提交审核" not in said
    page.refresh_from_db()
    assert current_task_state(page).status == "rejected"


def test_r22_the_desk_says_what_its_bulk_action_did(client, people):
    """It said "已处理 2 个活动。" for an approval and a request for changes alike."""
    from django.core.cache import cache

    pages = []
    for number in range(4):
        page = factories.activity(owner=people["submitter"], title=f"批量处理活动{number}")
        submit(page, people["submitter"])
        pages.append(current_task_state(page).pk)
    client.force_login(people["guangdong"])

    def said(data):
        cache.clear()
        response = client.post("/admin/review/", data)
        assert response.status_code == 302
        return " ".join(str(message) for message in get_messages(response.wsgi_request))

    assert "已通过 2 个活动。" in said({"task_states": pages[:2], "action": "approve"})
    assert "已退回修改 2 个活动。" in said(
        {
            "task_states": pages[2:],
            "action": "reject",
            "reasons": ["details"],
            "comment": "请补充活动对象",
        }
    )


def test_a_bulk_action_takes_at_most_a_bounded_number(client, people):
    """Found by an audit at the peak: approving a desk page of 100 took 46 s in the request,
    past the proxy's timeout, the work going on unseen."""
    from workflow.views import MAX_BULK

    ids = []
    for number in range(MAX_BULK + 1):
        page = factories.activity(owner=people["submitter"], title=f"超量活动{number}")
        submit(page, people["submitter"])
        ids.append(current_task_state(page).pk)
    client.force_login(people["guangdong"])
    response = client.post("/admin/review/", {"task_states": ids, "action": "approve"})
    said = " ".join(str(message) for message in get_messages(response.wsgi_request))
    assert f"一次最多通过或退回 {MAX_BULK} 个活动。" in said
    from wagtail.models import TaskState

    assert not TaskState.objects.filter(pk__in=ids, status="approved").exists()


def test_r20_a_mistyped_desk_date_leaves_the_other_filters_applied(client, people):
    """Found by an audit at the peak: "?province=440000&started_at_from=2026-13-45" showed
    every activity awaiting the moderator under 广东省 still selected."""
    guangdong = factories.activity(owner=people["submitter"], title="广东待审活动")
    beijing = factories.activity(
        owner=people["submitter"], title="北京待审活动", province_id="110000", city_id=None
    )
    for page in (guangdong, beijing):
        submit(page, people["submitter"])
    client.force_login(people["national"])
    for page in (guangdong, beijing):
        state = current_task_state(page)
        state.task.specific.on_action(state, people["superuser"], "approve", comment="")
    html = client.get(
        "/admin/review/", {"province": "440000", "started_at_from": "2026-13-45"}
    ).content.decode()
    assert "广东待审活动" in html and "北京待审活动" not in html


def test_r16_a_search_of_all_activities_at_its_bound_says_more_than(client, people, monkeypatch):
    """Found by an audit at the peak: 科普 matched 17,212 activities and 全部活动 said "1000"
    as if exact (the search keeps its best 1,000, and the count was capped at as many)."""
    from activities.views import CappedPaginator

    monkeypatch.setattr("activities.listing.MAX_SEARCH_HITS", 2)
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    for number in range(3):
        factories.activity(owner=people["submitter"], publish=True, title=f"机器人活动{number}")
    client.force_login(people["national"])
    html = client.get("/admin/all-activities/", {"q": "机器人"}).content.decode()
    assert "超过 2 个活动" in html
