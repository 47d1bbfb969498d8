"""The library's CSV and XLSX export (R3) in the reader's language and time zone (R34)."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook

from organizations.models import Organization
from organizations.wagtail_hooks import OrganizationAdmin

pytestmark = pytest.mark.django_db

LIBRARY = "/admin/organizations/organization/"
# 02:30:15.123456 UTC is 10:30 in Beijing.
CREATED = datetime.datetime(2026, 9, 1, 2, 30, 15, 123456, tzinfo=datetime.UTC)


@pytest.fixture
def entry():
    organization = Organization.objects.create(
        name="某县科学技术协会",
        category="county",
        province_id="440000",
        city_id="440100",
        county_id="440106",
    )
    Organization.objects.filter(pk=organization.pk).update(created_at=CREATED)
    return organization


def expected_row():
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "name": "某县科学技术协会",
            "short_name": "",
            "category": str(Organization.Category.COUNTY.label),
            "province": "广东省",
            "city": "广州市",
            "county": "天河区",
            "parent": "",
            "status": str(Organization.Status.PENDING.label),
            "contact_person": "",
            "contact_email": "",
            "created_at": "2026-09-01 10:30",
        }


def export(client, export_format):
    response = client.get(LIBRARY, {"export": export_format, "q": "某县科学技术协会"})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_r3_r34_csv_export_shows_labels_local_minutes_and_empty_cells(admin_client, entry):
    content = export(admin_client, "csv")
    # Without the BOM, Excel on a Chinese Windows read the UTF-8 as GBK: garbled names.
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 2
    row = dict(zip(OrganizationAdmin.list_export, rows[1], strict=True))
    expected = expected_row()
    assert {name: row[name] for name in expected} == expected


def test_r3_r34_xlsx_export_shows_labels_local_minutes_and_empty_cells(admin_client, entry):
    sheet = load_workbook(io.BytesIO(export(admin_client, "xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    row = dict(zip(OrganizationAdmin.list_export, rows[1], strict=True))
    expected = expected_row()
    assert {name: row[name] or "" for name in expected} == expected
