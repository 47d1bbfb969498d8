"""CSV and XLSX exports of Reports > Workflows, Workflow tasks and Site history (R25, R32,
R34): a title or real name a spreadsheet would run as a formula is written as text, and
times are Beijing time to the second."""

import csv
import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from home.spreadsheets import FORMULA_STARTS
from tests import factories

from .conftest import IN_WINDOW, submit

pytestmark = pytest.mark.django_db

TITLE = '=HYPERLINK("http://evil.example/x","点此查看")'
REAL_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
# IN_WINDOW (10:00 UTC, the frozen clock) in Asia/Shanghai.
LOCAL_TEXT = "2026-09-01 18:00:00"
LOCAL = datetime.datetime(2026, 9, 1, 18, 0, 0)

REPORTS = ["/admin/reports/workflow/", "/admin/reports/workflow_tasks/"]
ALL_REPORTS = [*REPORTS, "/admin/reports/site-history/"]


@pytest.fixture
def submitted(people):
    owner = factories.submitter(real_name=REAL_NAME, email="formula@example.cn")
    # Stored times with microseconds, for the exports to drop.
    with time_machine.travel(IN_WINDOW.replace(microsecond=734594), tick=False):
        page = factories.activity(owner=owner, title=TITLE)
        submit(page, owner)
    return page


@pytest.fixture
def national_client(client, people):
    client.force_login(people["national"])
    return client


def exported(client, path, export_format):
    response = client.get(path, {"export": export_format})
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return b"".join(response)


def csv_rows(client, path):
    text = exported(client, path, "csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(client, path):
    sheet = load_workbook(io.BytesIO(exported(client, path, "xlsx"))).active
    return [list(row) for row in sheet.iter_rows()]


@pytest.mark.parametrize("path", ALL_REPORTS)
def test_r32_csv_exports_write_formula_like_titles_and_names_as_text(
    national_client, submitted, path
):
    """R32, R25: no CSV cell starts with = + - @ or a tab or carriage return; the title
    (and the submitter's real name where the report shows it) read as typed, marked as text."""
    rows = csv_rows(national_client, path)
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) > 1
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert "'" + TITLE in cells
    if path in REPORTS:
        assert "'" + REAL_NAME in cells


@pytest.mark.parametrize("path", ALL_REPORTS)
def test_r34_csv_exports_give_beijing_time_to_the_second(national_client, submitted, path):
    """R34: times in the reader's zone (Asia/Shanghai), no microseconds or UTC offset."""
    rows = csv_rows(national_client, path)
    cells = {cell for row in rows[1:] for cell in row}
    assert LOCAL_TEXT in cells
    assert not [cell for cell in cells if "+00:00" in cell or cell.startswith("2026-09-01 10:")]


@pytest.mark.parametrize("path", ALL_REPORTS)
def test_r32_r34_xlsx_exports_keep_text_as_text_and_give_beijing_time(
    national_client, submitted, path
):
    """R32, R34: XLSX cells holding the title are strings, never formulas (Wagtail's own
    guard, kept), and times are Beijing time without microseconds."""
    cells = [cell for row in xlsx_rows(national_client, path)[1:] for cell in row]
    titles = [cell for cell in cells if cell.value == TITLE]
    assert titles and all(cell.data_type == "s" for cell in titles)
    times = [cell.value for cell in cells if isinstance(cell.value, datetime.datetime)]
    assert LOCAL in times
    assert all(value.microsecond == 0 for value in times)


def test_r25_the_site_history_report_is_ours_and_still_lists(national_client, submitted):
    """R25: Reports > Site history is served by workflow/reports.py (for its export) with
    Wagtail's rows."""
    for path in ("/admin/reports/site-history/", "/admin/reports/site-history/results/"):
        response = national_client.get(path)
        assert response.status_code == 200
        assert "wagtailadmin_reports" not in response.resolver_match.namespaces
        assert TITLE in response.content.decode().replace("&quot;", '"')
