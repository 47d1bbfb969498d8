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
    content = exported(client, path, "csv")
    assert content.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    text = content.decode("utf-8-sig")
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


# Reports whose rows are live or locked pages rather than reviews.
PAGE_REPORTS = ["/admin/reports/locked/", "/admin/reports/aging-pages/"]


@pytest.fixture
def locked_live(people):
    """A live activity with a formula-like title, locked by the national moderator."""
    page = factories.activity(owner=people["submitter"], title=TITLE, publish=True)
    page.locked, page.locked_by = True, people["national"]
    page.locked_at = page.last_published_at
    page.save(update_fields=["locked", "locked_by", "locked_at"])
    return page


@pytest.mark.parametrize("path", PAGE_REPORTS)
def test_r32_locked_and_aging_page_exports_write_formula_like_titles_as_text(
    national_client, locked_live, path
):
    """Found by an attacker's review: a submitter's title starting with = ran as a formula
    in the Locked pages and Aging pages exports of the moderators who opened them."""
    rows = csv_rows(national_client, path)
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + TITLE in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


def test_every_exporting_report_writes_cells_safely():
    """The rule, not the examples: every view mounted under Reports that can export is one
    of ours with SafeExportMixin, so a report Wagtail adds later is noticed here."""
    from django.urls import resolve
    from wagtail.admin.urls.reports import urlpatterns
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    from workflow.reports import SafeExportMixin

    checked = []
    for pattern in urlpatterns:
        func = resolve(f"/admin/reports/{pattern.pattern}").func
        while not hasattr(func, "view_class"):  # inside require_admin_access
            func = next(
                cell.cell_contents for cell in func.__closure__ if callable(cell.cell_contents)
            )
        view = func.view_class
        if issubclass(view, SpreadsheetExportMixin) and view.list_export:
            assert issubclass(view, SafeExportMixin), pattern.pattern
            checked.append(str(pattern.pattern))
    assert "locked/" in checked and "aging-pages/" in checked and "workflow/" in checked


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_exports_read_no_row_on_their_own(national_client, people, path, export_format):
    """Found by an audit at the peak: a query or two per row (6,000 rows took 6 s)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(count):
        for number in range(count):
            owner = factories.submitter(real_name=f"提交人{number}")
            submit(factories.activity(owner=owner, title=f"导出活动{number}"), owner)
        exported(national_client, path, export_format)  # warm the per-process caches
        with CaptureQueriesContext(connection) as captured:
            exported(national_client, path, export_format)
        return len(captured)

    few = queries(2)
    assert queries(4) == few
