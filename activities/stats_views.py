"""The statistics report in the admin (R32): tables, server-side SVG bar charts, a quota
suggestion, and CSV/XLSX exports of exactly what the page shows."""

import csv
import io

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from home.models import CampaignSettings
from home.spreadsheets import as_text
from organizations.models import Region

from . import stats

MAX_PLACES = 10000
CHART_LABEL_WIDTH = 220
CHART_BAR_WIDTH = 360
CHART_ROW_HEIGHT = 24
CHART_BAR_HEIGHT = 16
CHART_COUNT_WIDTH = 60
# What the figures count, shown with them on the page and in the exports: 我的活动 calls a
# taken-down activity approved (已通过 · 下架), yet it is not counted (stats.py).
COUNTED_NOTE = gettext_lazy(
    "Approved activities now on the public site; taken-down activities are not counted."
)


def sees_everything(user):
    return user.is_authenticated and (
        user.is_superuser
        or roles.in_group(user, roles.NATIONAL_MODERATORS)
        or roles.in_group(user, roles.ADMINISTRATORS)
    )


def can_view_stats(user):
    return sees_everything(user) or (
        roles.in_group(user, roles.PROVINCE_MODERATORS) and bool(user.province_id)
    )


def forced_province(user):
    """None for users who see every province; their own province for province moderators,
    whose report is then their channels' activities (stats.approved_activities)."""
    if sees_everything(user):
        return None
    if roles.in_group(user, roles.PROVINCE_MODERATORS) and user.province_id:
        return user.province_id
    raise PermissionDenied


class StatsForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Campaign year"), min_value=2000, max_value=2100)
    # The province's report, as its moderators see it: by channel, not by where held.
    province = forms.ChoiceField(
        label=gettext_lazy("Province of the channels"),
        required=False,
        help_text=gettext_lazy(
            "Activities whose responsible channel belongs to this province, wherever they are "
            "held: the province's review scope."
        ),
    )
    places = forms.IntegerField(
        label=gettext_lazy("Recommendation places"),
        min_value=0,
        max_value=MAX_PLACES,
        required=False,
        help_text=gettext_lazy("Split across channels in proportion to approved activities."),
    )

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = Region.objects.filter(level=Region.Level.PROVINCE)
        if scope:
            provinces = provinces.filter(code=scope)
            self.fields["province"].choices = list(provinces.values_list("code", "name"))
        else:
            self.fields["province"].choices = [
                ("", _("All provinces")),
                *provinces.values_list("code", "name"),
            ]


def _params(request, scope):
    default_year = CampaignSettings.for_request(request).year
    data = {
        "year": request.GET.get("year") or default_year,
        "province": scope or request.GET.get("province", ""),
        "places": request.GET.get("places", ""),
    }
    form = StatsForm(data, scope=scope)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    year = cleaned.get("year") or default_year
    province = scope or cleaned.get("province") or None
    places = cleaned.get("places")
    return form, year, province, places


def chart(title, rows):
    """Geometry of a horizontal bar chart; the template draws it as inline SVG."""
    top = max((count for _label, count in rows), default=0)
    bars = []
    for position, (label, count) in enumerate(rows):
        width = round(CHART_BAR_WIDTH * count / top) if top else 0
        y = position * CHART_ROW_HEIGHT
        bars.append(
            {
                "label": label,
                "count": count,
                "y": y,
                "text_y": y + CHART_BAR_HEIGHT - 3,
                "width": max(width, 1) if count else 0,
                "count_x": CHART_LABEL_WIDTH + width + 6,
            }
        )
    summary = "; ".join(f"{label}: {count}" for label, count in rows)
    return {
        "title": title,
        "description": summary,
        "bars": bars,
        "label_x": CHART_LABEL_WIDTH - 8,
        "bar_x": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR_HEIGHT,
        "width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + CHART_COUNT_WIDTH,
        "height": max(len(rows), 1) * CHART_ROW_HEIGHT,
    }


def build_report(year, province, places):
    """Everything the page shows, as (key, title, headings, rows) tables plus charts."""
    queryset = stats.counts(year, province)
    tables = []
    for key, title, function in stats.dimensions():
        rows = function(queryset)
        tables.append(
            {
                "key": key,
                "title": title,
                "headings": [_("Group"), _("Approved activities")],
                "rows": [list(row) for row in rows],
                "total": sum(count for _label, count in rows),
                "chart": chart(title, rows),
            }
        )
    quota = None
    if places is not None:
        channel_rows = next(table["rows"] for table in tables if table["key"] == "channel")
        quota = {
            "key": "quota",
            "title": _("Suggested recommendation places (%(places)s in all)") % {"places": places},
            "headings": [_("Responsible channel"), _("Approved activities"), _("Places")],
            "rows": [list(row) for row in stats.split_quota(places, channel_rows)],
        }
    return tables, quota


def _export_sections(tables, quota):
    sections = [(table["title"], table["headings"], table["rows"]) for table in tables]
    if quota is not None:
        sections.append((quota["title"], quota["headings"], quota["rows"]))
    return sections


def _filename(year, province, extension):
    suffix = f"-{province}" if province else ""
    return f"kepuri-stats-{year}{suffix}.{extension}"


def export_csv(sections, filename, note=COUNTED_NOTE):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel needs the BOM to read UTF-8 Chinese.
    writer = csv.writer(response)
    for position, (title, headings, rows) in enumerate(sections):
        # The note beside the first title: a reader sees what is counted, and each
        # section still starts with its title.
        writer.writerow([as_text(title), *([as_text(str(note))] if position == 0 else [])])
        writer.writerow([as_text(heading) for heading in headings])
        writer.writerows([as_text(value) for value in row] for row in rows)
        writer.writerow([])
    return response


def _sheet_title(title, used):
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in str(title))[:28].strip()
    name, number = cleaned or "Sheet", 2
    while name in used:
        name, number = f"{cleaned[:25]} {number}", number + 1
    used.add(name)
    return name


def export_xlsx(sections, filename, note=COUNTED_NOTE):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used = set()
    for title, headings, rows in sections:
        sheet = workbook.create_sheet(_sheet_title(title, used))
        sheet.append([title, str(note)])
        sheet["A1"].font = Font(bold=True)
        sheet.append(headings)
        for row in rows:
            sheet.append(row)
        for line in sheet.iter_rows():
            for cell in line:
                if cell.data_type == "f":
                    # openpyxl writes a string starting with "=" as a formula: text here.
                    cell.data_type = "s"
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def stats_view(request):
    # A 403 in the admin's frame, not PermissionDenied, which Wagtail turns into a redirect to
    # the dashboard: whoever followed a link to the report learns why it is closed.
    if not can_view_stats(request.user):
        return TemplateResponse(
            request,
            "accounts/admin/forbidden.html",
            {"reason": _("Statistics are for moderators and administrators.")},
            status=403,
        )
    scope = forced_province(request.user)
    form, year, province, places = _params(request, scope)
    tables, quota = build_report(year, province, places)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        sections = _export_sections(tables, quota)
        exporter = export_csv if export == "csv" else export_xlsx
        return exporter(sections, _filename(year, province, export))
    query = request.GET.copy()
    query.pop("export", None)
    query["year"] = year
    if province:
        query["province"] = province
    province_name = (
        Region.objects.filter(code=province).values_list("name", flat=True).first()
        if province
        else None
    )
    return TemplateResponse(
        request,
        "activities/admin/stats.html",
        {
            "page_title": _("Statistics"),
            "form": form,
            "year": year,
            "province": province,
            "province_name": province_name,
            "province_forced": bool(scope),
            "tables": tables,
            "quota": quota,
            "counted_note": COUNTED_NOTE,
            "total": tables[0]["total"] if tables else 0,
            "csv_query": _with(query, "csv"),
            "xlsx_query": _with(query, "xlsx"),
            "generated_at": timezone.localtime(),
        },
    )


def _with(query, export):
    query = query.copy()
    query["export"] = export
    return query.urlencode()
