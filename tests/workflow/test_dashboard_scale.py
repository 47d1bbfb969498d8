"""The moderators' dashboard at scale (issue #8, R21): Wagtail's "awaiting your review"
panel listed every waiting task with several queries each (54 s for a thousand); ours
shows the oldest few and links to the review desk, in queries that do not grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import Organization
from tests import factories

from .conftest import submit

pytestmark = pytest.mark.django_db


def waiting(people, count, start=0):
    chem = Organization.objects.get(name="中国化学会")
    image = factories.poster(people["submitter"])
    for number in range(start, start + count):
        page = factories.activity(
            owner=people["submitter"],
            title=f"待审活动{number:03d}",
            poster=image,
            channel_category="national_society",
            channel=chem,
            start_at=timezone.now() + datetime.timedelta(days=30 + number),
        )
        submit(page, people["submitter"])


def dashboard(client, user):
    client.force_login(user)
    client.get("/admin/")  # per-process caches (content types, permissions) warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def test_dashboard_shows_the_oldest_waiting_and_links_to_the_rest(client, people):
    waiting(people, 12)
    body, queries_at_12 = dashboard(client, people["national"])
    assert "待审活动000" in body and "待审活动009" in body
    assert "待审活动011" not in body
    assert "全部 12 个待审活动" in body and "/admin/review/" in body
    waiting(people, 18, start=12)
    body, queries_at_30 = dashboard(client, people["national"])
    assert "全部 30 个待审活动" in body
    assert queries_at_30 == queries_at_12


def test_a_province_moderator_sees_none_of_the_national_queue(client, people):
    waiting(people, 3)
    body, _queries = dashboard(client, people["guangdong"])
    assert "待审活动000" not in body


def test_review_desk_joins_no_revisions(client, people):
    """#8: the review desk joined every waiting task to its revision, which it never shows;
    at a million activities PostgreSQL hashed the whole revision table for it (215 of the
    page's 360 ms). It now shows the facts of the version under review (audit of the
    administrator's journeys, finding 2), each a probe of the row's revision by primary
    key, never a join. Queries stay the same however many are waiting."""

    def desk():
        client.force_login(people["national"])
        client.get("/admin/review/")
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/admin/review/")
        assert response.status_code == 200
        return response.content.decode(), [query["sql"] for query in captured]

    waiting(people, 3)
    body, at_3 = desk()
    assert "待审活动000" in body and "待审活动002" in body
    assert not [sql for sql in at_3 if 'JOIN "wagtailcore_revision"' in sql]
    waiting(people, 5, start=3)
    body, at_8 = desk()
    assert "待审活动007" in body
    assert len(at_8) == len(at_3)
