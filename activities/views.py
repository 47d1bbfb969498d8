import django_filters
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView

from .models import ActivityPage
from .states import (
    ActivityState,
    ReviewState,
    annotate_review_state,
    filter_by_activity_state,
    filter_by_review_state,
)


class MyActivitiesFilterSet(WagtailFilterSet):
    review_state = django_filters.ChoiceFilter(
        label=_("Review state"), choices=ReviewState.choices, method="filter_review_state"
    )
    activity_state = django_filters.ChoiceFilter(
        label=_("Activity state"), choices=ActivityState.choices, method="filter_activity_state"
    )

    class Meta:
        model = ActivityPage
        fields = []

    def filter_review_state(self, queryset, name, value):
        return filter_by_review_state(queryset, value)

    def filter_activity_state(self, queryset, name, value):
        return filter_by_activity_state(queryset, value)


class BadgeColumn(Column):
    cell_template_name = "activities/admin/badge_cell.html"

    def __init__(self, name, badge, **kwargs):
        super().__init__(name, **kwargs)
        self.badge = badge

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["badge"] = self.badge(instance)
        return context


class ActionsColumn(Column):
    cell_template_name = "activities/admin/actions_cell.html"


def _start(page):
    if page.start_at is None:
        return "—"
    return date_format(timezone.localtime(page.start_at), "Y-m-d H:i")


def _review_badge(page):
    state = page.review_state
    tone = {
        ReviewState.APPROVED: "ok",
        ReviewState.PROVINCE_REJECTED: "danger",
        ReviewState.NATIONAL_REJECTED: "danger",
        ReviewState.DRAFT: "neutral",
    }.get(state, "warn")
    return {"label": state.label, "tone": tone}


def _activity_badge(page):
    state = page.activity_state()
    return {"label": state.label if state else "—", "tone": "neutral"}


def _listing_badge(page):
    state = page.listing_state
    tone = {"on": "ok", "taken_down": "danger"}.get(state, "neutral")
    return {"label": state.label, "tone": tone}


class NominationColumn(Column):
    cell_template_name = "activities/nomination/cell.html"


def _nomination_link(page):
    """补充信息 (R33) for approved activities that have ended; the form says whether it is
    still open."""
    if page.live and page.end_at is not None and page.end_at <= timezone.now():
        return reverse("nomination_form", args=[page.pk])
    return ""


class MyActivitiesView(BaseListingView):
    """用户中心 · 我的活动 (R26): a submitter's own activities with their three states."""

    page_title = _("My activities")
    header_icon = "doc-full-inverse"
    index_url_name = "my_activities"
    index_results_url_name = "my_activities_results"
    filterset_class = MyActivitiesFilterSet
    default_ordering = "-latest_revision_created_at"
    per_page = 20

    def get_base_queryset(self):
        return annotate_review_state(
            ActivityPage.objects.filter(owner=self.request.user).select_related("activity_type")
        )

    @property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Activity name"),
                accessor="get_admin_display_title",
                url_name="wagtailadmin_pages:edit",
            ),
            BadgeColumn("review_state", _review_badge, label=_("Review state")),
            Column("review_comment", label=_("Review comment"), accessor="review_comment"),
            BadgeColumn("activity_state", _activity_badge, label=_("Activity state")),
            BadgeColumn("listing_state", _listing_badge, label=_("Listing state")),
            # DateColumn shows "time ago", which reads "just now" for future dates.
            Column("start_at", label=_("Starts"), sort_key="start_at", accessor=_start),
            DateColumn(
                "latest_revision_created_at",
                label=_("Last change"),
                sort_key="latest_revision_created_at",
            ),
            ActionsColumn("links", label=_("Actions")),
            NominationColumn("nomination", label=_("Nomination"), accessor=_nomination_link),
        ]


def new_activity(request):
    """我要发布: straight to a new activity under the index."""
    index = ActivityPage.index_for_user(request.user)
    if index is None:
        messages.error(request, _("You cannot publish activities. Ask an administrator."))
        return redirect("wagtailadmin_home")
    return redirect("wagtailadmin_pages:add", "activities", "activitypage", index.pk)
