"""Wagtail's workflow reports at national scale (issue #8, R21). Wagtail's own query kept
the states of editable pages with `object_id IN (every editable page id) OR …`, which
PostgreSQL could not answer at 1,000,000 activities (minutes per request; any submitter
may open the report). workflow/reports.py keeps Wagtail's rows with a per-state probe."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.admin.views.reports import workflows

from tests import factories
from workflow import reports

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(people):
    image = factories.poster(people["submitter"])
    pages = [
        factories.activity(owner=people["submitter"], title=f"报表活动{n}", poster=image)
        for n in range(3)
    ]
    # Another submitter's: not editable by the first.
    other = factories.submitter(real_name="另一位提交人", email="other@example.cn")
    pages.append(factories.activity(owner=other, title="报表活动他人", poster=image))
    for page in pages:
        submit(page, page.owner)
    return pages


def _ids(view_class, user):
    request = RequestFactory().get("/")
    request.user = user
    view = view_class()
    view.setup(request)
    return sorted(view.get_queryset().values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("ours", "wagtails"),
    [
        (reports.WorkflowReportView, workflows.WorkflowView),
        (reports.WorkflowTasksReportView, workflows.WorkflowTasksView),
    ],
)
@pytest.mark.parametrize(
    ("who", "rows"), [("superuser", 4), ("submitter", 3), ("guangdong", 0), ("national", 4)]
)
def test_the_same_rows_as_wagtails_report(people, submitted, ours, wagtails, who, rows):
    mine = _ids(ours, people[who])
    # The submitter sees their own three, not the other submitter's.
    assert len(mine) == rows
    assert mine == _ids(wagtails, people[who])


def test_no_list_of_every_editable_page_in_the_query(people, submitted):
    for view_class in (reports.WorkflowReportView, reports.WorkflowTasksReportView):
        request = RequestFactory().get("/")
        request.user = people["superuser"]
        view = view_class()
        view.setup(request)
        sql = str(view.get_queryset().query)
        assert "EXISTS" in sql and '"id")::varchar' not in sql.replace("::text", "::varchar")
        assert "AS varchar" not in sql and "AS text)" not in sql


@pytest.mark.parametrize("path", ["/admin/reports/workflow/", "/admin/reports/workflow_tasks/"])
def test_the_reports_are_served_by_ours(client, people, submitted, path):
    client.force_login(people["superuser"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    # Ours (config/urls.py), not Wagtail's namespaced view under the same path.
    assert "wagtailadmin_reports" not in response.resolver_match.namespaces
    html = response.content.decode()
    assert all(page.title in html for page in submitted)
    assert not any("IN (SELECT" in q["sql"] and "wagtailcore_page" in q["sql"] for q in queries)
    # The results-only URL (filters) and Wagtail's access check.
    assert client.get(path + "results/").status_code == 200
    client.logout()
    assert client.get(path).status_code == 302
