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
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.reports import (
    aging_pages,
    audit_logging,
    locked_pages,
    page_types_usage,
    workflows,
)
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


def dated(name):
    """A download's name: what it is and the day it was taken, as Wagtail names its
    workflow reports ("workflow-report-2026-09-01")."""
    return f"{name}-{timezone.localdate():%Y-%m-%d}"


class WorkflowReportView(SafeExportMixin, workflows.WorkflowView):
    # Every column has its heading: Wagtail names only some, and the others fell back to
    # the field's name ("workflow", "requested_by"), since the export gets a list.
    export_headings = {
        **workflows.WorkflowView.export_headings,
        "workflow": _("Workflow"),
        "requested_by": _("Requested by"),
    }

    def get_queryset(self):
        return (
            WorkflowState.objects.annotate(report_page_id=page_id_of())
            .filter(_editable(self.request))
            # The export reads each row's content type: one query a row (6,000 for 6 s).
            .select_related("workflow", "requested_by", "content_type")
            .prefetch_related("content_object", "content_object__latest_revision")
            .order_by("-created_at")
        )


class WorkflowTasksReportView(SafeExportMixin, workflows.WorkflowTasksView):
    export_headings = {
        **workflows.WorkflowTasksView.export_headings,
        # As the Workflows report names the same person.
        "workflow_state.requested_by": _("Requested by"),
        "task": _("Task"),
        "started_at": _("Started at"),
        "finished_at": _("Completed at"),
        "finished_by": _("Completed by"),
    }

    def get_queryset(self):
        prefix = "workflow_state__"
        return (
            TaskState.objects.annotate(report_page_id=page_id_of(prefix))
            .filter(_editable(self.request, prefix))
            # The export names who asked and who decided, and each row's content type:
            # one or two queries a row before (15,000 for 7,550 rows).
            .select_related(
                "workflow_state",
                "workflow_state__content_type",
                "workflow_state__requested_by",
                "task",
                "finished_by",
            )
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
    """Reports > Aging pages: every live activity's title. Who published last by their
    real name, as everywhere else in the admin, not by their mobile number (Wagtail shows
    the username); the download named for what it is."""

    export_headings = {**aging_pages.AgingPagesView.export_headings, "title": _("Title")}

    def get_filename(self):
        return dated("aging-pages")

    def decorate_paginated_queryset(self, queryset):
        # The page's own rows give the publishers: a second query of the slice recomputed
        # the last-publication subquery for every row its offset skips (1.1-1.8 s for the
        # last page at 30,000 activities).
        pages = list(queryset)
        user_ids = {page.last_published_by for page in pages} - {None}
        names = {
            user.pk: user.get_full_name()
            for user in self.user_model.objects.filter(pk__in=user_ids)
        }
        for page in pages:
            self.add_last_publisher_name_to_page(names, page)
        return pages


class PageTypesUsageReportView(SafeExportMixin, page_types_usage.PageTypesUsageReportView):
    """Reports > Page types usage, for those who may see it (sees_page_types_report, which
    activities.permissions also checks by URL name: this route has none of Wagtail's), with
    a download of what it lists, named for it. Wagtail's offered no download; one asked for
    by hand was named "spreadsheet-export" and had no columns."""

    export_headings = {
        "name": _("Type"),
        "count": _("Pages"),
        "last_edited_page": _("Last edited page"),
        "last_edited_page.latest_revision_created_at": _("Last edit"),
    }
    list_export = list(export_headings)

    def dispatch(self, request, *args, **kwargs):
        from wagtail.admin.auth import permission_denied

        from activities.permissions import sees_page_types_report

        if not sees_page_types_report(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_filename(self):
        return dated("page-types-usage")

    def to_row_dict(self, item):
        page = item.last_edited_page  # decorate_paginated_queryset's; None without pages
        return {
            "name": item.name,
            "count": item.count,
            "last_edited_page": page.get_admin_display_title() if page is not None else "",
            "last_edited_page.latest_revision_created_at": (
                page.latest_revision_created_at if page is not None else None
            ),
        }


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
        ("page-types-usage/", PageTypesUsageReportView.as_view()),
        ("page-types-usage/results/", PageTypesUsageReportView.as_view(results_only=True)),
    ]
    return [path(f"admin/reports/{route}", require_admin_access(view)) for route, view in views]
