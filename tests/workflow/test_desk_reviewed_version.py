"""The review desk shows and filters the facts of the version under review (R20, R21, R23;
audit of the administrator's journeys, finding 2). A live activity under re-review keeps
its public version in its row: the desk showed the old channel, region, type and start of
an activity whose unit had changed them, and its filters found it by the old ones."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import ActivityPage, ActivityType
from organizations.models import Organization
from tests import factories
from tests.activities.editor import EDIT_URL, local, open_editor

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db

OLD_START = datetime.datetime(2026, 9, 20, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Beijing
NEW_START = datetime.datetime(2026, 9, 27, 6, 30, tzinfo=datetime.UTC)  # 14:30


def beijing_association():
    return Organization.objects.get(name="北京市科学技术协会", category="provincial")


def exhibition():
    return ActivityType.objects.get(name="科普展览")


@pytest.fixture
def rereviewed(client, people):
    """A live Guangdong talk whose unit moves it, in the editor, to Beijing's association,
    Beijing, an exhibition and a later start, and submits it (R23): the public version
    stays, the change waits at Beijing's province step."""
    page = factories.activity(
        owner=people["submitter"],
        title="改期改址的活动",
        publish=True,
        start_at=OLD_START,
    )
    client.force_login(people["submitter"])
    data = open_editor(client, page)
    data.update(
        {
            "channel": [str(beijing_association().pk)],
            "channel_category": ["provincial"],
            "province": ["110000"],
            "city": [""],
            "county": [""],
            "activity_type": [str(exhibition().pk)],
            "start_at": [local(NEW_START)],
            "end_at": [local(NEW_START + datetime.timedelta(hours=3))],
            "action-submit": ["1"],
        }
    )
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = ActivityPage.objects.get(pk=page.pk)
    # What the public sees is still the Guangdong talk ...
    assert page.live and page.channel.name == "广东省科学技术协会" and page.start_at == OLD_START
    # ... and the change is under review at Beijing's province step.
    state = current_task_state(page)
    assert state is not None and state.task.specific.review_stage == "province"
    return page


def desk(client, user, **filters):
    client.force_login(user)
    response = client.get("/admin/review/", filters)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html, title):
    start = html.index(f'aria-label="{title}"')
    return html[start : html.index("</tr>", start)]


def test_the_desk_shows_the_version_under_review(client, people, rereviewed):
    row = row_of(desk(client, people["beijing"]), "改期改址的活动")
    assert "北京市科学技术协会" in row and "广东省科学技术协会" not in row
    assert "<td>北京市</td>" in row and "<td>广东省</td>" not in row
    assert "科普展览" in row and "科普讲座" not in row
    assert "2026-09-27 14:30" in row and "2026-09-20" not in row


def test_the_desk_filters_by_the_version_under_review(client, people, rereviewed):
    root = people["superuser"]
    talk = ActivityType.objects.get(name="科普讲座")
    assert "改期改址的活动" in desk(client, root, province="110000")
    assert "改期改址的活动" not in desk(client, root, province="440000")
    assert "改期改址的活动" in desk(client, root, activity_type=exhibition().pk)
    assert "改期改址的活动" not in desk(client, root, activity_type=talk.pk)
    assert "改期改址的活动" in desk(client, root, channel_category="provincial")


def test_a_new_activity_is_shown_and_filtered_as_before(client, people):
    page = factories.activity(owner=people["submitter"], title="新提交的活动", start_at=OLD_START)
    submit(page, people["submitter"])
    row = row_of(desk(client, people["guangdong"]), "新提交的活动")
    assert "广东省科学技术协会" in row and "<td>广东省</td>" in row and "科普讲座" in row
    assert "2026-09-20 10:00" in row
    root = people["superuser"]
    assert "新提交的活动" in desk(client, root, province="440000")
    assert "新提交的活动" not in desk(client, root, province="110000")


def rereviews(people, count, start=0):
    """Live activities whose unit changed their region, type and start and resubmitted."""
    for number in range(start, start + count):
        page = factories.activity(
            owner=people["submitter"], title=f"再审活动{number:02d}", publish=True
        )
        page = ActivityPage.objects.get(pk=page.pk)
        page.province_id, page.city_id = "440000", "440300"
        page.activity_type = exhibition()
        page.start_at = timezone.now() + datetime.timedelta(days=40 + number)
        page.end_at = page.start_at + datetime.timedelta(hours=2)
        submit(page, people["submitter"])


@pytest.mark.parametrize("filters", [{}, {"province": "440000"}, {"activity_type": "exhibition"}])
def test_queries_do_not_grow_with_the_rows(client, people, filters):
    """The facts of each row are probes in the desk's one query, and a filter reads the
    revision of re-reviews only: the number of queries is the same for 2 rows as for 6."""
    if filters.get("activity_type"):
        filters = {"activity_type": exhibition().pk}

    def counted():
        client.force_login(people["guangdong"])
        client.get("/admin/review/", filters)
        with CaptureQueriesContext(connection) as captured:
            html = desk(client, people["guangdong"], **filters)
        return html, len(captured)

    rereviews(people, 2)
    html, at_2 = counted()
    assert "再审活动01" in html and html.count("科普展览") >= 2
    rereviews(people, 4, start=2)
    html, at_6 = counted()
    assert "再审活动05" in html
    assert at_6 == at_2
