"""What the downloads of Reports say (R25, R32, R34; audit of the administrator's journeys,
finding 4): every column of the workflow reports has a heading in the reader's language
(Wagtail left some as field names: workflow, requested_by, task, started_at, finished_at,
finished_by), the aging pages report names who published last by their real name (it
showed their mobile number), and the aging pages and page types downloads are named for
what they are, not "spreadsheet-export"."""

import csv
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests import factories

from .conftest import current_task_state, submit

pytestmark = pytest.mark.django_db

FIELD_NAMES = {
    "workflow",
    "requested_by",
    "task",
    "started_at",
    "finished_at",
    "finished_by",
    "title",
    "name",
    "count",
    "last_edited_page",
}


@pytest.fixture
def approved(people):
    """An activity through both steps: published by the national moderator's approval."""
    page = factories.activity(owner=people["submitter"], title="已通过的活动")
    submit(page, people["submitter"])
    for reviewer in ("guangdong", "national"):
        state = current_task_state(page)
        state.task.specific.on_action(state, people[reviewer], "approve", comment="")
    page.refresh_from_db()
    assert page.live
    return page


def download(client, user, path, export_format):
    client.force_login(user)
    response = client.get(path, {"export": export_format})
    assert response.status_code == 200
    content = b"".join(response.streaming_content if response.streaming else response)
    return response, content


def csv_rows(client, user, path):
    response, content = download(client, user, path, "csv")
    return response, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_headings(client, user, path):
    _response, content = download(client, user, path, "xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell.value for cell in next(sheet.iter_rows())]


def in_chinese(*msgids):
    with translation.override("zh-hans"):
        return [translation.gettext(msgid) for msgid in msgids]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/reports/workflow/", ("Workflow", "Requested by", "Started at")),
        (
            "/admin/reports/workflow_tasks/",
            ("Task", "Requested by", "Started at", "Completed at", "Completed by"),
        ),
    ],
)
def test_workflow_report_downloads_head_every_column(client, people, approved, path, expected):
    for headings in (
        csv_rows(client, people["national"], path)[1][0],
        xlsx_headings(client, people["national"], path),
    ):
        assert not FIELD_NAMES & set(headings), headings
        assert set(in_chinese(*expected)) <= set(headings), headings
    # Known translations, so that the check above is not comparing English to English.
    assert in_chinese("Workflow", "Task", "Completed at") == ["工作流", "任务", "完成于"]


def test_aging_pages_names_who_published_by_real_name(client, people, approved):
    national = people["national"]
    client.force_login(people["superuser"])
    html = client.get("/admin/reports/aging-pages/").content.decode()
    assert "已通过的活动" in html
    assert national.real_name in html and national.phone not in html
    response, rows = csv_rows(client, people["superuser"], "/admin/reports/aging-pages/")
    [row] = [row for row in rows[1:] if "已通过的活动" in row]
    assert national.real_name in row and national.phone not in row
    assert not FIELD_NAMES & set(rows[0]) and in_chinese("Title")[0] in rows[0]
    assert response["Content-Disposition"] == 'attachment; filename="aging-pages-2026-09-01.csv"'


def test_page_types_usage_downloads_what_it_lists_under_its_name(client, people, approved):
    client.force_login(people["superuser"])
    page = client.get("/admin/reports/page-types-usage/").content.decode()
    assert "?export=csv" in page  # offered now that it downloads something
    response, rows = csv_rows(client, people["superuser"], "/admin/reports/page-types-usage/")
    assert response["Content-Disposition"] == (
        'attachment; filename="page-types-usage-2026-09-01.csv"'
    )
    assert rows[0] == in_chinese("Type", "Pages", "Last edited page", "Last edit")
    [activities] = [row for row in rows[1:] if row[2] == "已通过的活动"]
    assert int(activities[1]) >= 1
    _response, content = download(
        client, people["superuser"], "/admin/reports/page-types-usage/", "xlsx"
    )
    assert content.startswith(b"PK")


@pytest.mark.parametrize("role", ["submitter", "guangdong", "national"])
def test_page_types_usage_stays_closed_to_all_but_administrators(client, people, role):
    client.force_login(people[role])
    for path in ("/admin/reports/page-types-usage/", "/admin/reports/page-types-usage/results/"):
        response = client.get(path, {"export": "csv"})
        assert (response.status_code, response["Location"]) == (302, "/admin/"), path


def test_aging_pages_reads_its_page_once(client, people, approved):
    """Found by an audit at the peak: the publishers were read by a second query of the
    page's slice, which recomputed the last-publication subquery for every row its offset
    skipped (the last page took 1.1-1.8 s at 30,000 activities)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["superuser"])
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/admin/reports/aging-pages/").content.decode()
    assert "已通过的活动" in html
    reads = [q["sql"] for q in captured if "wagtailcore_pagelogentry" in q["sql"]]
    assert len(reads) == 1, reads
