import django_filters
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.models import Page, WorkflowState

from accounts import roles
from home.models import CampaignSettings, beijing_date
from organizations.models import CHANNEL_CATEGORY_CHOICES, Organization, Region

from .models import ActivityPage
from .nomination_models import last_filing_day
from .paging import ActivityPaginator, KeysFirstMixin
from .states import (
    ActivityState,
    ListingState,
    ReviewState,
    annotate_review_state,
    filter_by_activity_state,
    filter_by_review_state,
    province_task_content_type_ids,
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
    if state == ReviewState.APPROVED and _has_unsubmitted_changes(page):
        # A correction saved but never submitted: the public still reads the old text.
        return {"label": _("Approved; changes not submitted"), "tone": "warn"}
    return {"label": state.label, "tone": tone}


def _has_unsubmitted_changes(page):
    """Whether a version was saved after the approved one. Wagtail's unpublish marks a
    taken-down activity as having unpublished changes although nobody edited it: its
    approved version is the one the take-down recorded (annotate_review_state)."""
    if not page.has_unpublished_changes:
        return False
    if not page.live and getattr(page, "_taken_down", False):
        taken = getattr(page, "_take_down_revision", None)
        return taken is None or page.latest_revision_id != taken
    return True


def _review_comment(page):
    """The reviewer's comment on an activity sent back, or why it was taken down (R18):
    the submitter reads either here, not only in the editor's banner."""
    if getattr(page, "_taken_down", False) and getattr(page, "_take_down_reason", None):
        return _("Taken down: %(reason)s") % {"reason": page._take_down_reason}
    return page.review_comment


def _activity_badge(page):
    state = page.activity_state()
    return {"label": state.label if state else "—", "tone": "neutral"}


def _listing_badge(page):
    state = page.listing_state
    tone = {"on": "ok", "taken_down": "danger"}.get(state, "neutral")
    return {"label": state.label, "tone": tone}


class NominationColumn(Column):
    """推优 (R33) at a glance: where the activity's nomination stands, until when it can be
    filed, and the link to its form. Reads only the columns _with_nomination adds."""

    cell_template_name = "activities/nomination/cell.html"

    def __init__(self, name, moment, extra_days, **kwargs):
        super().__init__(name, **kwargs)
        self.moment = moment
        self.extra_days = extra_days

    def get_value(self, instance):
        return _nomination_state(instance, self.moment, self.extra_days)


def _with_nomination(queryset):
    """The nomination's state in the listing's own query (a LEFT JOIN on the one-to-one):
    no query per row."""
    return queryset.annotate(
        _nomination_id=F("nomination__id"),
        _nomination_complete=F("nomination__is_complete"),
        _nomination_recommended=F("nomination__recommended"),
        _nomination_marked_at=F("nomination__marked_at"),
    )


NOMINATION_STATES = {
    "not_filed": _("Not filed"),
    "started": _("Started, incomplete"),
    "submitted": _("Submitted, awaiting the decision"),
    "recommended": _("Recommended as an excellent activity"),
    "not_recommended": _("Reviewed, not recommended"),
}


def _nomination_state(page, moment, extra_days):
    """Where the activity's nomination stands for its submitter (R33): not filed, started
    but incomplete, complete and so before the national moderators, or their decision.
    None where there is none and none can be filed (not approved, or not ended yet)."""
    approved = page.live and not getattr(page, "_taken_down", False)
    ended = page.end_at is not None and page.end_at <= moment
    started = page._nomination_id is not None
    if not started and not (approved and ended):
        return None
    last_day = page.end_at and last_filing_day(page.end_at, extra_days)
    is_open = approved and ended and beijing_date(moment) <= last_day
    if page._nomination_recommended:
        state, tone = "recommended", "ok"
    elif page._nomination_complete:
        decided = page._nomination_marked_at is not None
        state, tone = ("not_recommended" if decided else "submitted"), "neutral"
    else:
        # The submitter's move: urgent while the form is open.
        state, tone = ("started" if started else "not_filed"), "warn" if is_open else "neutral"
    note = ""
    if state != "recommended" and is_open:
        note = _("Deadline: %(date)s") % {"date": last_day.strftime("%Y-%m-%d")}
    elif state == "started" and approved and ended:
        # Only the summary is due within the window (R33): material can still be added,
        # which completes a nomination whose summary was filed in time.
        note = _("Summary closed: %(date)s") % {"date": last_day.strftime("%Y-%m-%d")}
    elif state in ("started", "not_filed"):
        # Nothing filed by the deadline, so no summary: it can never be complete.
        note = _("Filing closed")
    return {
        "state": state,
        "label": NOMINATION_STATES[state],
        "tone": tone,
        "note": note,
        "url": reverse("nomination_form", args=[page.pk]),
    }


class MyActivitiesView(BaseListingView):
    """用户中心 · 我的活动 (R26): a submitter's own activities with their three states."""

    page_title = _("User centre")
    page_subtitle = _("My activities")
    paginator_class = ActivityPaginator
    header_icon = "doc-full-inverse"
    index_url_name = "my_activities"
    index_results_url_name = "my_activities_results"
    filterset_class = MyActivitiesFilterSet
    default_ordering = "-latest_revision_created_at"
    paginate_by = 20
    results_template_name = "activities/admin/scrolling_results.html"

    def get_base_queryset(self):
        mine = ActivityPage.objects.filter(owner=self.request.user).select_related("activity_type")
        return _with_nomination(annotate_review_state(mine))

    @cached_property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No activity of yours matches these filters.")
        # A unit's first visit, right after registering: where to begin, not "no results".
        return format_html(
            '{} <a href="{}">{}</a>',
            _("You have no activities yet."),
            reverse("new_activity"),
            _("Publish your first activity"),
        )

    @cached_property
    def _moment(self):
        return timezone.now()

    @cached_property
    def _nomination_extra_days(self):
        """The campaign's extra days for filing nominations, read once for every row."""
        return CampaignSettings.for_request(self.request).nomination_extra_days

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
            Column("review_comment", label=_("Review comment"), accessor=_review_comment),
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
            NominationColumn(
                "nomination",
                self._moment,
                self._nomination_extra_days,
                label=_("Nomination"),
            ),
        ]


# 全部活动 (R16-R18, R20) ---------------------------------------------------------------------


def sees_every_activity(user):
    """National moderators and administrators (superusers, platform administrators)."""
    return (
        user.is_authenticated
        and user.is_active
        and (
            user.is_superuser
            or roles.in_group(user, roles.NATIONAL_MODERATORS)
            or roles.in_group(user, roles.ADMINISTRATORS)
        )
    )


def moderated_province(user):
    """The province whose activities a province moderator sees, or None."""
    if (
        user.is_authenticated
        and user.is_active
        and roles.in_group(user, roles.PROVINCE_MODERATORS)
        and user.province_id
    ):
        return user.province_id
    return None


def can_list_all_activities(user):
    return sees_every_activity(user) or moderated_province(user) is not None


def submitted_at_least_once(queryset):
    """Activities that reached review at least once: any workflow state, cancelled ones
    included (a submission withdrawn by its unit was still seen by a moderator), or a
    publication (the seeded and bulk-loaded activities were published without a workflow).
    A draft never submitted stays its unit's own business: review_state calls it "draft"
    like a withdrawn one, so that alone cannot tell them apart."""
    page_type = ContentType.objects.get_for_model(Page)
    any_workflow = WorkflowState.objects.filter(
        base_content_type=page_type, object_id=Cast(OuterRef("pk"), output_field=CharField())
    )
    return queryset.filter(Q(first_published_at__isnull=False) | Exists(any_workflow))


def activities_visible_to(user):
    """Every activity submitted at least once for national moderators and administrators;
    for a province moderator those whose review province is theirs: the column and rule
    the province review step uses (ProvinceApprovalTask.filter_moderatable, R20)."""
    activities = ActivityPage.objects.all()
    if not sees_every_activity(user):
        province = moderated_province(user)
        if province is None:
            raise PermissionDenied
        activities = activities.filter(review_province_id=province)
    return submitted_at_least_once(activities)


def _open_review_page_ids(status, province_stage):
    """Ids of the pages whose open workflow (at most one per page, Wagtail's constraint
    unique_in_progress_workflow) has `status` at a province or national step. Read from the
    workflow states, a few thousand rows at the peak, rather than by the review state
    annotated on every activity (a subquery per row of a million)."""
    from wagtail.models import Task

    from workflow.models import page_id_of

    # The stage's tasks as a list (a handful of rows): a join to the task table as well
    # made PostgreSQL scan every activity instead of probing the few found here.
    tasks = Task.objects.all()
    province = Q(content_type__in=province_task_content_type_ids())
    tasks = tasks.filter(province) if province_stage else tasks.exclude(province)
    states = WorkflowState.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        status=status,
        current_task_state__task__in=list(tasks.values_list("pk", flat=True)),
    )
    return states.annotate(review_page_id=page_id_of()).values("review_page_id")


OPEN_REVIEW_STATES = {
    ReviewState.PROVINCE_REVIEWING: (WorkflowState.STATUS_IN_PROGRESS, True),
    ReviewState.NATIONAL_REVIEWING: (WorkflowState.STATUS_IN_PROGRESS, False),
    ReviewState.PROVINCE_REJECTED: (WorkflowState.STATUS_NEEDS_CHANGES, True),
    ReviewState.NATIONAL_REJECTED: (WorkflowState.STATUS_NEEDS_CHANGES, False),
}


def _open_take_downs():
    from workflow.models import TakeDown

    return TakeDown.objects.filter(restored_at=None).values("page_id")


class AllActivitiesFilterSet(WagtailFilterSet):
    review_state = django_filters.ChoiceFilter(
        label=_("Review state"), choices=ReviewState.choices, method="filter_review_state"
    )
    listing_state = django_filters.ChoiceFilter(
        label=_("Listing state"), choices=ListingState.choices, method="filter_listing_state"
    )
    province = django_filters.ModelChoiceFilter(
        label=_("Province"),
        queryset=Region.objects.filter(level=Region.Level.PROVINCE),
        field_name="province",
    )
    channel_category = django_filters.ChoiceFilter(
        label=_("Channel category"),
        choices=CHANNEL_CATEGORY_CHOICES,
        field_name="channel_category",
    )

    class Meta:
        model = ActivityPage
        fields = []

    def filter_review_state(self, queryset, name, value):
        if value in OPEN_REVIEW_STATES:
            status, province_stage = OPEN_REVIEW_STATES[value]
            return queryset.filter(pk__in=Subquery(_open_review_page_ids(status, province_stage)))
        # Approved and draft (review_state_from): no open review, then live or last
        # approved. The open review is probed by the page's own key (Wagtail's partial
        # unique index on open workflow states); comparing the annotated status instead
        # drops the activities that have no workflow state at all (NULL, never "not open").
        page_type = ContentType.objects.get_for_model(Page)
        open_review = Exists(
            WorkflowState.objects.filter(
                base_content_type=page_type,
                object_id=Cast(OuterRef("pk"), output_field=CharField()),
                status__in=(WorkflowState.STATUS_IN_PROGRESS, WorkflowState.STATUS_NEEDS_CHANGES),
            )
        )
        approved = Q(_workflow_status=WorkflowState.STATUS_APPROVED)
        queryset = queryset.filter(~open_review)
        if value == ReviewState.APPROVED:
            return queryset.filter(Q(live=True) | approved)
        # A draft that reached review had its review cancelled (withdrawn): found from
        # those workflow states, not by testing every activity that is not listed. (An
        # activity unpublished with no workflow at all, only in bulk-loaded data, reads
        # "draft" in the list but is not found here.)
        from workflow.models import page_id_of

        withdrawn = (
            WorkflowState.objects.filter(
                base_content_type=page_type, status=WorkflowState.STATUS_CANCELLED
            )
            .annotate(review_page_id=page_id_of())
            .values("review_page_id")
        )
        return queryset.filter(
            Q(pk__in=Subquery(withdrawn)),
            Q(live=False),
            Q(_workflow_status__isnull=True) | ~approved,
        )

    def filter_listing_state(self, queryset, name, value):
        taken_down = Q(pk__in=Subquery(_open_take_downs()))
        if value == ListingState.ON:
            return queryset.filter(live=True)
        if value == ListingState.TAKEN_DOWN:
            return queryset.filter(taken_down, live=False)
        return queryset.filter(~taken_down, live=False)


# The most rows counted and paged through (20 pages of 50, as the public search keeps its
# best 1,000): past it the list says "more than 1,000" and the filters narrow it. Counting
# every submitted activity read the whole table (a million rows at the peak). The first
# 1,000 in the list's order are read through the primary key's index in milliseconds; from
# about 5,000 on, PostgreSQL's estimates favoured hashing the whole table (0.5 s at 200,000
# activities with a state filter), so the bound is kept well below that.
COUNT_CAP = 1_000


class CappedPaginator(KeysFirstMixin, ActivityPaginator):
    # Each page's keys first, then its rows (activities/paging.py): PostgreSQL computes the
    # columns of every row an OFFSET skips, and the state and name subqueries made page 100
    # read 5,000 rows' worth of them (0.5 s at 200,000 activities).
    cap = COUNT_CAP
    capped = False

    @cached_property
    def count(self):
        # One bounded query: SELECT COUNT(*) FROM (… LIMIT cap + 1).
        counted = self.object_list[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)

    @cached_property
    def items_count_label(self):
        if self.count and self.capped:
            return _("More than %(count)s activities") % {"count": f"{self.cap:,}"}
        return super().items_count_label


def _when(moment):
    if moment is None:
        return "—"
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _submitter(page):
    """Who submitted it, of which unit, and whether their real name is verified (R1), as
    the review desk shows them."""
    name, unit = page._submitter_name, page._submitter_unit
    if not name:
        return "—"
    verified = (
        format_html(' <span class="w-status w-status--primary">{}</span>', _("Verified"))
        if page._submitter_verified
        else format_html(' <span class="w-status">{}</span>', _("Not verified"))
    )
    return format_html("{}{}", f"{unit} · {name}" if unit else name, verified)


def _channel(page):
    if page._channel_name is None:
        return page.get_channel_category_display() or "—"
    # Full-width brackets in Chinese, ASCII ones around an English category.
    return _("%(name)s (%(category)s)") % {
        "name": page._channel_name,
        "category": page.get_channel_category_display(),
    }


class ButtonsColumn(Column):
    cell_template_name = "activities/admin/buttons_cell.html"


class AllActivitiesView(BaseListingView):
    """全部活动: every activity submitted at least once (a province moderator: those of
    their review province) with its review, activity and listing state (R16-R18), so
    moderators find rejected and taken-down activities and put them back."""

    page_title = _("All activities")
    header_icon = "list-ul"
    index_url_name = "all_activities"
    index_results_url_name = "all_activities_results"
    results_template_name = "activities/admin/all_activities_results.html"
    filterset_class = AllActivitiesFilterSet
    paginator_class = CappedPaginator
    is_searchable = True
    # Newest first by creation: the primary key's index answers it at any size, alone or
    # within a filter. Wagtail's latest_revision_created_at has no index (a sort of the
    # whole table at a million activities), so the last change is shown, not sorted on.
    default_ordering = "-pk"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not can_list_all_activities(request.user):
            # A 403 in the admin frame, not Wagtail's redirect to the dashboard: the menu
            # never offers it.
            return TemplateResponse(
                request,
                "accounts/admin/forbidden.html",
                {"reason": _("The list of all activities is for moderators and administrators.")},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        # Names as subqueries of the rows shown, not joins. The project's PostgreSQL keeps
        # Django's join order past four tables (join_collapse_limit=4, config/settings):
        # with the owner, region and channel joined, a review-state filter keeping 3 of
        # 200,000 activities read all of them before its few workflow states (2 s, not
        # 2 ms); with the activity and its page only, the planner starts from those.
        from accounts.models import User

        owner = User.objects.filter(pk=OuterRef("owner_id"))
        return annotate_review_state(
            activities_visible_to(self.request.user).annotate(
                _submitter_name=Subquery(owner.values("real_name")[:1]),
                _submitter_unit=Subquery(owner.values("organization__name")[:1]),
                _submitter_verified=Subquery(owner.values("is_real_name_verified")[:1]),
                _province_name=Subquery(
                    Region.objects.filter(pk=OuterRef("province_id")).values("name")[:1]
                ),
                _channel_name=Subquery(
                    Organization.objects.filter(pk=OuterRef("channel_id"))
                    .order_by()
                    .values("name")[:1]
                ),
            )
        )

    def get_valid_orderings(self):
        return ["-pk", "pk"]

    def search_queryset(self, queryset):
        """Titles holding the query's words, among the activities the filters keep: the
        best 1,000 matches of the public search's bounded query (search.ranked, which
        reads the title index first), narrowed to those whose title has every word."""
        if not self.is_searching:
            return queryset
        from search.ranked import ranked_ids
        from search.segment import needed_words, segment_query

        from .listing import MAX_SEARCH_HITS

        segmented = segment_query(self.search_query)
        if not segmented:
            return queryset.none()
        # One past the bound, so that the count says "more than" when there are more: it
        # showed 1,000 for 17,000 matches as if exact.
        ids = ranked_ids(queryset, self.search_query, MAX_SEARCH_HITS + 1)
        queryset = queryset.filter(pk__in=ids)
        for word in needed_words(segmented).split():
            queryset = queryset.filter(title__icontains=word)
        return queryset

    # -- cells ----------------------------------------------------------------------------

    def _may_edit(self, page):
        """Whether the editor opens for this user, without a query per row: Wagtail's
        page permissions (cached per user: national moderators and administrators hold
        "change" on the activities), or the province step awaiting this province's
        moderators (ProvinceApprovalTask.stage_allows, on the recorded review province).
        The editor checks again."""
        user = self.request.user
        if user.is_superuser:
            return True
        tester = page.permissions_for_user(user)
        if "change" in tester.permissions:
            return True
        if "add" in tester.permissions and page.owner_id == user.pk:
            return True
        return (
            page.review_state == ReviewState.PROVINCE_REVIEWING
            and moderated_province(user) is not None
            and page.review_province_id == user.province_id
        )

    def _title_url(self, page):
        if self._may_edit(page):
            return reverse("wagtailadmin_pages:edit", args=[page.pk])
        if page.live:
            return page.get_url(self.request)
        # The preview, like the editor, is for those who may edit.
        return None

    def _buttons(self, page):
        from workflow.takedown import can_take_down
        from workflow.wagtail_hooks import take_down_buttons

        user = self.request.user
        if page.live:
            return list(take_down_buttons(page, user, "all_activities"))
        if page.listing_state == ListingState.TAKEN_DOWN and can_take_down(user):
            # take_down_buttons reads the open record again (a query per row); this list
            # has it annotated, and the same page offers "put back".
            from wagtail.admin.widgets import Button

            return [
                Button(
                    _("Put back"),
                    reverse("take_down", args=[page.pk]),
                    icon_name="upload",
                    priority=62,
                )
            ]
        return []

    @property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Activity name"),
                accessor="get_admin_display_title",
                get_url=self._title_url,
            ),
            Column("submitter", label=_("Submitted by"), accessor=_submitter),
            Column("channel", label=_("Responsible channel"), accessor=_channel),
            Column(
                "province",
                label=_("Province"),
                accessor=lambda page: page._province_name or "—",
            ),
            BadgeColumn("review_state", _review_badge, label=_("Review state")),
            BadgeColumn("activity_state", _activity_badge, label=_("Activity state")),
            BadgeColumn("listing_state", _listing_badge, label=_("Listing state")),
            Column(
                "latest_revision_created_at",
                label=_("Last change"),
                accessor=lambda page: _when(page.latest_revision_created_at),
            ),
            ButtonsColumn("buttons", label=_("Actions"), accessor=self._buttons),
        ]


def new_activity(request):
    """我要发布: straight to a new activity under the index."""
    index = ActivityPage.index_for_user(request.user)
    if index is None:
        messages.error(request, _("You cannot publish activities. Ask an administrator."))
        return redirect("wagtailadmin_home")
    return redirect("wagtailadmin_pages:add", "activities", "activitypage", index.pk)
