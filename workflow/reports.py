"""Wagtail's two workflow reports (Reports > Workflows, Workflow tasks), with the same
rows, filters and exports, but a query that stays fast at national scale.

Wagtail keeps the states of pages the user may edit with `object_id IN (SELECT every
editable page id as text) OR content_type_id IN (…)`. Behind the OR PostgreSQL cannot
join the two, and a million page ids do not fit the memory for hashing them, so each
state was compared with the whole list: the page never came back (minutes, holding a
database connection) with 1,000,000 activities. Any submitter can open these reports
(Wagtail asks for add, change or publish permission). Here each state looks up its own
page by primary key: an index probe per state.

Their exports, and those of every other report with an export (Site history, Locked pages,
Aging pages), write cells as `SafeExportMixin` says."""

import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from wagtail.admin.views.reports import aging_pages, audit_logging, locked_pages, workflows
from wagtail.models import Page, TaskState, WorkflowState
from wagtail.permissions import policy_registry

from home.spreadsheets import ExcelCsvMixin, as_text

from .models import page_id_of

# Seconds, unlike the library's minutes: these are audit trails, whose order matters.
EXPORT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class SafeExportMixin(ExcelCsvMixin):
    """CSV/XLSX cells of Wagtail's reports (R25, R32). Titles and real names are typed by
    submitters: a CSV cell starting with = + - @ would run as a formula in Excel or WPS,
    so it is written as text, as the statistics and library exports do (XLSX cells are
    kept as strings by Wagtail). Times are the reader's local time (Asia/Shanghai) to the
    second, not UTC with microseconds (R34). The CSV starts with a BOM, for Excel."""

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            local = local.replace(microsecond=0)
            if export_format == self.FORMAT_CSV:
                return local.strftime(EXPORT_TIME_FORMAT)
            # A naive local datetime: Excel has no time zones, and Wagtail's own function
            # would make it naive in UTC.
            return local.replace(tzinfo=None)
        value = super().preprocess_field_value(field, value, export_format)
        return as_text(value) if export_format == self.FORMAT_CSV else value


def _editable(request, prefix=""):
    """The states (or task states, through `prefix`) whose page `request.user` may edit,
    or whose object is of a model the user may edit: Wagtail's rule. The queryset must be
    annotated with `report_page_id=page_id_of(prefix)`."""
    policy = policy_registry.get_by_type(Page)
    pages = policy.instances_user_has_permission_for(request.user, "change")
    editable_page = Exists(pages.filter(pk=OuterRef("report_page_id")))
    editable_object = Q(
        **{f"{prefix}content_type_id__in": workflows.get_editable_content_type_ids(request)}
    )
    return editable_page | editable_object


class WorkflowReportView(SafeExportMixin, workflows.WorkflowView):
    def get_queryset(self):
        return (
            WorkflowState.objects.annotate(report_page_id=page_id_of())
            .filter(_editable(self.request))
            .select_related("workflow", "requested_by")
            .prefetch_related("content_object", "content_object__latest_revision")
            .order_by("-created_at")
        )


class WorkflowTasksReportView(SafeExportMixin, workflows.WorkflowTasksView):
    def get_queryset(self):
        prefix = "workflow_state__"
        return (
            TaskState.objects.annotate(report_page_id=page_id_of(prefix))
            .filter(_editable(self.request, prefix))
            .select_related("workflow_state", "task")
            .prefetch_related(
                "workflow_state__content_object",
                "workflow_state__content_object__latest_revision",
            )
            .order_by("-started_at")
        )


class SiteHistoryReportView(SafeExportMixin, audit_logging.LogEntriesView):
    """Reports > Site history, Wagtail's own (rows, filters, access) but for its export."""


class LockedPagesReportView(SafeExportMixin, locked_pages.LockedPagesView):
    """Reports > Locked pages: a submitter's title, exported when a moderator locks it."""


class AgingPagesReportView(SafeExportMixin, aging_pages.AgingPagesView):
    """Reports > Aging pages: every live activity's title."""


def urlpatterns():
    """Mounted ahead of Wagtail's admin URLs (config/urls.py) under the same paths, so
    Wagtail's menu, links and URL names lead here; the admin access check as Wagtail's."""
    from django.urls import path
    from wagtail.admin.auth import require_admin_access

    views = [
        ("workflow/", WorkflowReportView.as_view()),
        ("workflow/results/", WorkflowReportView.as_view(results_only=True)),
        ("workflow_tasks/", WorkflowTasksReportView.as_view()),
        ("workflow_tasks/results/", WorkflowTasksReportView.as_view(results_only=True)),
        ("site-history/", SiteHistoryReportView.as_view()),
        ("site-history/results/", SiteHistoryReportView.as_view(results_only=True)),
        ("locked/", LockedPagesReportView.as_view()),
        ("locked/results/", LockedPagesReportView.as_view(results_only=True)),
        ("aging-pages/", AgingPagesReportView.as_view()),
        ("aging-pages/results/", AgingPagesReportView.as_view(results_only=True)),
    ]
    return [path(f"admin/reports/{route}", require_admin_access(view)) for route, view in views]
