from urllib.parse import urlsplit

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views import workflows as wagtail_workflows
from wagtail.models import Page, Revision, TaskState

from activities.models import ActivityPage, ActivityType
from activities.paging import KeysFirstPaginator
from activities.states import province_task_content_type_ids
from home.converters import is_db_id
from organizations.models import CHANNEL_CATEGORY_CHOICES, Organization, Region

from .coverage import unattended_context
from .models import RejectReason, TakeDown, page_id_of
from .takedown import can_take_down, open_take_down, restore, take_down


def _reviewed(key):
    """One fact of the version under review, as its revision stores it: a probe of that
    revision by primary key, evaluated for the rows shown only."""
    revision = Revision.objects.filter(pk=OuterRef("revision_id"))
    return Subquery(revision.values_list(KT(f"content__{key}"))[:1])


def _reviewed_name(model, key, key_field=None):
    """The name of what the version under review names by `key` (its region, type or
    channel): the revision's id, then that row's name, in one nested probe."""
    value = KT(f"content__{key}")
    if key_field is not None:
        value = Cast(value, key_field)
    names = model.objects.filter(pk=OuterRef("reviewed_id")).values("name")[:1]
    return Subquery(
        Revision.objects.filter(pk=OuterRef("revision_id"))
        .annotate(reviewed_id=value)
        .values_list(Subquery(names))[:1]
    )


def reviewable_task_states(user):
    """The in-progress task states `user` may act on, each with its activity's facts, in
    one query (TaskState.reviewable_by ORs every task's own rule).

    The facts are those of the version under review (the step's revision), not of the
    activity's row: a live activity under re-review keeps its public version in its row,
    so the desk showed the old channel, region, type and start of a changed activity
    (audit, the administrator's journeys, finding 2)."""
    page_type = ContentType.objects.get_for_model(Page)
    activity = ActivityPage.objects.filter(
        pk=Cast(OuterRef("workflow_state__object_id"), output_field=BigIntegerField())
    )
    return (
        TaskState.objects.reviewable_by(user)
        .filter(workflow_state__base_content_type=page_type)
        .select_related("task", "workflow_state__requested_by")
        .annotate(
            activity_title=Subquery(activity.values("draft_title")[:1]),
            # The activity's own region (R9), as everywhere else; the province whose
            # moderators review it (the channel's) is named on a province step only: the
            # row records it from the version under review when the step starts.
            activity_province=_reviewed_name(Region, "province"),
            activity_review_province=Subquery(activity.values("review_province__name")[:1]),
            activity_type=_reviewed_name(ActivityType, "activity_type", BigIntegerField()),
            activity_channel=_reviewed_name(Organization, "channel", BigIntegerField()),
            # Text as the revision stores it; read as a time for the rows shown.
            reviewed_start=_reviewed("start_at"),
            reviewed_end=_reviewed("end_at"),
            # Taken off the public site while under review: the reviewer must know.
            activity_taken_down=Exists(
                TakeDown.objects.filter(
                    page_id=Cast(OuterRef("workflow_state__object_id"), BigIntegerField()),
                    restored_at__isnull=True,
                )
            ),
        )
        .order_by("started_at", "pk")
    )


def with_start_times(rows):
    """The rows of a desk page, each with `activity_start` as a time (None if unset)."""
    rows = list(rows)
    now = timezone.now()
    for row in rows:
        row.activity_start = parse_datetime(row.reviewed_start) if row.reviewed_start else None
        # Approving it publishes an activity under way, or one that has ended:
        # the reviewer must see it at a glance.
        row.activity_started = row.activity_start is not None and row.activity_start <= now
        end = parse_datetime(row.reviewed_end) if row.reviewed_end else None
        row.activity_ended = end is not None and end < now
    return rows


class ModerationFilterSet(WagtailFilterSet):
    province = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Province"),
        queryset=Region.objects.filter(level=Region.Level.PROVINCE),
        method="filter_activity",
    )
    activity_type = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Activity type"),
        queryset=ActivityType.objects.all(),
        method="filter_activity",
    )
    channel_category = django_filters.ChoiceFilter(
        label=gettext_lazy("Channel category"),
        choices=CHANNEL_CATEGORY_CHOICES,
        method="filter_activity",
    )
    started_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Submitted"), widget=DateRangePickerWidget
    )

    class Meta:
        model = TaskState
        fields = []

    def filter_activity(self, queryset, name, value):
        # "province" is where the activity takes place (R9): a ministry's or a national
        # society's activity has no reviewing province and must still be found by it.
        return reviewed_version_says(queryset, name, getattr(value, "pk", value))


def reviewed_version_says(task_states, name, value):
    """The task states among `task_states` whose version under review has `value` for the
    activity's field `name`: what the desk shows (reviewable_task_states). An activity that
    is not live keeps that version in its row too (Wagtail's editor saves the row of a page
    that is not live), probed as before (for_activities); the row of a live activity under
    re-review holds its public version, so its revision is read instead. Each is a probe
    by primary key, and only the re-reviews' revisions are read: filtering on the
    revisions' JSON alone read every waiting revision, and as EXISTS PostgreSQL hashed
    every matching revision of the table (1.3 s instead of 0.2 s a desk at 20,000
    waiting). As measured there: about 0.1 s more per filtered desk, with 2,000 of the
    20,000 re-reviews."""
    if "review_activity_pk" not in task_states.query.annotations:
        task_states = task_states.alias(review_activity_pk=page_id_of("workflow_state__"))
    activity = OuterRef("review_activity_pk")
    revision_says = Revision.objects.filter(
        pk=OuterRef("revision_id"), **{f"content__{name}": value}
    ).values(says=Value(True))[:1]
    return task_states.alias(
        review_live=Subquery(Page.objects.filter(pk=activity).order_by().values("live")[:1])
    ).filter(
        Case(
            # Scalar probes, which PostgreSQL evaluates row by row and only when reached.
            When(
                review_live=True,
                then=Coalesce(Subquery(revision_says, output_field=BooleanField()), False),
            ),
            default=Exists(ActivityPage.objects.filter(pk=activity, **{name: value})),
            output_field=BooleanField(),
        )
    )


# The most activities one bulk action handles (BulkActionForm.clean).
MAX_BULK = 20


class BulkActionForm(forms.Form):
    # Plain ids: a step a colleague just handled, or one outside the user's queue, must not
    # invalidate the rest of the selection; each id is checked when it is handled.
    task_states = forms.TypedMultipleChoiceField(coerce=int, choices=())
    action = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Reasons"),
        choices=RejectReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_states"].valid_value = lambda value: str(value).isdigit()

    def clean(self):
        cleaned = super().clean()
        if len(cleaned.get("task_states") or ()) > MAX_BULK:
            # Each approval publishes in the request (about 0.3 s each at the peak): a page
            # of 100 took 46 s, past the proxy's timeout, the work going on unseen.
            self.add_error(
                "task_states",
                forms.ValidationError(
                    _("Approve or send back at most %(count)d activities at a time.")
                    % {"count": MAX_BULK},
                    code="too_many",
                ),
            )
        if cleaned.get("action") == "reject" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Requesting changes needs a comment for the submitter."))
        return cleaned


DESK_PAGE_SIZE = 100


def _page_url(request, number):
    query = request.GET.copy()
    query["p"] = number
    return f"?{query.urlencode()}"


def filterset_rows(filterset, params, queryset):
    """The rows the valid filters keep. One mistyped date dropped every filter: the desk
    showed the national total under "广东省" still selected. The form shows its error."""
    if not filterset.is_bound:
        return queryset
    if filterset.is_valid():
        return filterset.qs
    valid = params.copy()
    for name in filterset.errors:
        for key in list(valid):
            if key == name or key.startswith(f"{name}_"):
                del valid[key]
    retried = ModerationFilterSet(valid, queryset=queryset)
    return retried.qs if retried.is_valid() else queryset


def moderation(request):
    """审核工作台: everything awaiting the user's review, filterable, with bulk actions that
    go through each task's own on_action (same permission rules as one by one)."""
    queryset = reviewable_task_states(request.user)
    filterset = ModerationFilterSet(request.GET or None, queryset=queryset)
    rows = filterset_rows(filterset, request.GET, queryset)
    form = BulkActionForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            done, refused = _apply_bulk(request, form.cleaned_data)
            if done and form.cleaned_data["action"] == "approve":
                messages.success(
                    request,
                    ngettext("%(count)d activity approved.", "%(count)d activities approved.", done)
                    % {"count": done},
                )
            elif done:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d activity sent back for changes.",
                        "%(count)d activities sent back for changes.",
                        done,
                    )
                    % {"count": done},
                )
            for title, reason in refused:
                messages.error(request, f"{title}: {reason}")
            return redirect(request.get_full_path())
        if form.has_error("task_states", "too_many"):
            messages.error(request, " ".join(form.errors["task_states"]))
        else:
            messages.error(
                request, _("Choose activities and an action; requesting changes needs a comment.")
            )
    # Oldest first, a page at a time: the desk showed the first 200 and no way to the rest.
    # The page's keys first, then its rows: PostgreSQL computed every probe of every row
    # an OFFSET skips (the last page 1.3 s at 22,000 waiting, page 1 0.2 s).
    paginator = KeysFirstPaginator(rows, DESK_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "workflow/admin/moderation.html",
        {
            "rows": with_start_times(page.object_list),
            "page": page,
            "previous_url": _page_url(request, page.previous_page_number())
            if page.has_previous()
            else None,
            "next_url": _page_url(request, page.next_page_number()) if page.has_next() else None,
            "total": paginator.count,
            "filters": filterset,
            "form": form,
            "page_title": _("Review desk"),
            "province_task_types": province_task_content_type_ids(),
            # Superusers act on what no province moderator can: they see which and why.
            **unattended_context(request.user),
        },
    )


def _apply_bulk(request, data):
    action = data["action"]
    comment = data["comment"].strip()
    done, refused = 0, []
    # A number no row can have is only "no longer awaiting" (SQLite cannot even bind it).
    possible = [task_state_id for task_state_id in data["task_states"] if is_db_id(task_state_id)]
    reviewable = {
        task_state.pk: task_state
        for task_state in TaskState.objects.reviewable_by(request.user)
        .filter(pk__in=possible)
        .select_related("workflow_state", "task")
    }
    for task_state_id in data["task_states"]:
        task_state = reviewable.get(task_state_id)
        if task_state is None:
            # Not in this user's queue (any more): say which selection, not whose activity.
            refused.append((f"#{task_state_id}", _("No longer awaiting your review.")))
            continue
        task = task_state.task.specific
        title = task_state.workflow_state.content_object.get_admin_display_title()
        kwargs = {"comment": comment}
        if action == "reject":
            kwargs["reasons"] = data["reasons"]
        try:
            task.on_action(task_state, request.user, action, **kwargs)
        except PermissionDenied as error:
            refused.append((title, str(error) or _("Not allowed.")))
        else:
            done += 1
    return done, refused


class TakeDownForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea({"rows": 3}),
        help_text=gettext_lazy("The submitter receives this reason."),
    )


def _return_url(request, page):
    """Where the moderator came from: an explicit `next`, else the page that linked here
    (全部活动 with its filters, or the editor), on this site only; else 全部活动. Wagtail's
    explorer, where both went back to, shows a taken-down activity as a draft."""
    own = {reverse("take_down", args=[page.pk]), reverse("restore_listing", args=[page.pk])}
    candidates = (
        request.POST.get("next"),
        request.GET.get("next"),
        request.headers.get("referer"),
    )
    for candidate in candidates:
        if not _on_this_site(request, candidate):
            continue
        # The referer is absolute; only its path and query are kept, and checked again
        # ("https://host//elsewhere/" leaves "//elsewhere/").
        parts = urlsplit(candidate)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        # A page's own confirmation, posted from itself, is nowhere to return to.
        if parts.path not in own and _on_this_site(request, url):
            return url
    return reverse("all_activities")


def _on_this_site(request, url):
    # A path, or an absolute URL of this host: redirect() takes a bare word for a URL name.
    return (
        bool(url)
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and (url.startswith("/") or bool(urlsplit(url).netloc))
    )


def take_down_view(request, page_id):
    page = get_object_or_404(ActivityPage, pk=page_id)
    if not can_take_down(request.user):
        raise PermissionDenied
    next_url = _return_url(request, page)
    record = None if page.live else open_take_down(page)
    if record is not None:
        return TemplateResponse(
            request,
            "workflow/admin/restore.html",
            {"page": page, "record": record, "page_title": _("Put back"), "next_url": next_url},
        )
    form = TakeDownForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            take_down(page, request.user, form.cleaned_data["reason"])
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("“%(title)s” was taken down.") % {"title": page.title})
        return redirect(next_url)
    return TemplateResponse(
        request,
        "workflow/admin/take_down.html",
        {"page": page, "form": form, "page_title": _("Take down"), "next_url": next_url},
    )


@require_POST
def restore_view(request, page_id):
    page = get_object_or_404(ActivityPage, pk=page_id)
    if not can_take_down(request.user):
        raise PermissionDenied
    try:
        restore(page, request.user)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        # The title put back, not that of a draft saved while it was down.
        page.refresh_from_db(fields=["title"])
        messages.success(request, _("“%(title)s” is listed again.") % {"title": page.title})
    return redirect(_return_url(request, page))


# Routed workflows stay enabled (R19) ------------------------------------------------------


def routed_workflow_ids():
    """The workflows review routing sends activities through, on any site."""
    from .models import ReviewRouting

    ids = set()
    for routing in ReviewRouting.objects.all():
        ids.update({routing.province_workflow_id, routing.national_workflow_id} - {None})
    return ids


class _KeepRoutes:
    """Wagtail's disable views, except for what review routing uses. Disabling the route's
    workflow cancelled every review in progress on it and left new activities with no
    review at all; disabling one of its tasks skipped that step (province review) for every
    activity. Wagtail only warns on its confirmation page. The route is changed in Settings
    → Review routing first; then the old workflow can be disabled."""

    refused_url_name = ""

    def refusal(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.refuse() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refuse() or super().post(request, *args, **kwargs)

    def refuse(self):
        message = self.refusal()
        if not message:
            return None
        messages.error(self.request, message)
        return redirect(self.refused_url_name, self.object.pk)


def _open_reviews(**filters):
    from wagtail.models import WorkflowState

    open_states = [WorkflowState.STATUS_IN_PROGRESS, WorkflowState.STATUS_NEEDS_CHANGES]
    return WorkflowState.objects.filter(status__in=open_states, **filters).count()


class DisableWorkflowView(_KeepRoutes, wagtail_workflows.Disable):
    refused_url_name = "wagtailadmin_workflows:edit"

    def refusal(self):
        if self.object.pk not in routed_workflow_ids():
            return None
        count = _open_reviews(workflow=self.object)
        return ngettext(
            "“%(workflow)s” is a review route (Settings → Review routing): disabling it would "
            "cancel the review of %(count)d activity and leave new activities without review. "
            "Choose another workflow for the route there first.",
            "“%(workflow)s” is a review route (Settings → Review routing): disabling it would "
            "cancel the reviews of %(count)d activities and leave new activities without "
            "review. Choose another workflow for the route there first.",
            count,
        ) % {"workflow": self.object.name, "count": count}


class DisableTaskView(_KeepRoutes, wagtail_workflows.DisableTask):
    refused_url_name = "wagtailadmin_workflows:edit_task"

    def refusal(self):
        from wagtail.models import Workflow

        routes = Workflow.objects.filter(
            pk__in=routed_workflow_ids(), workflow_tasks__task=self.object
        ).order_by("name")
        names = "、".join(f"“{workflow.name}”" for workflow in routes)
        if not names:
            return None
        return _(
            "“%(task)s” is a step of the review route %(workflows)s: disabling it would skip "
            "that step for every activity. Choose another workflow for the route in Settings "
            "→ Review routing first."
        ) % {"task": self.object.name, "workflows": names}


def keeping_routes(request, respond, refused_url_name, pk):
    """Runs one of Wagtail's workflow views (`respond`) and undoes what it saved if a route
    that reviewed as R19 says no longer does: editing the route's workflow could remove or
    reorder its province step, and enabling a spare task in it could add one, so that
    province review was skipped or ministries waited for moderators of no province."""
    from django.db import transaction

    from .models import broken_routes

    before = broken_routes()
    with transaction.atomic():
        response = respond()
        broken = {key: value for key, value in broken_routes().items() if key not in before}
        if broken:
            transaction.set_rollback(True)
    if not broken:
        return response
    # Wagtail has said "saved": nothing was.
    list(messages.get_messages(request))
    for name, problem in sorted(set(broken.values())):
        messages.error(
            request,
            _(
                "Nothing was saved: the review route “%(workflow)s” would no longer review as "
                "the rules say. %(problem)s"
            )
            % {"workflow": name, "problem": problem},
        )
    return redirect(refused_url_name, pk)


class _SavesKeepingRoutes:
    """A Wagtail edit view whose save keeps the routes sound (keeping_routes)."""

    refused_url_name = ""

    def post(self, request, *args, **kwargs):
        return keeping_routes(
            request,
            lambda: super(_SavesKeepingRoutes, self).post(request, *args, **kwargs),
            self.refused_url_name,
            self.kwargs["pk"],
        )


class EditWorkflowView(_SavesKeepingRoutes, wagtail_workflows.Edit):
    refused_url_name = "wagtailadmin_workflows:edit"


class EditTaskView(_SavesKeepingRoutes, wagtail_workflows.EditTask):
    refused_url_name = "wagtailadmin_workflows:edit_task"


def enable_task(request, pk):
    return keeping_routes(
        request,
        lambda: wagtail_workflows.enable_task(request, pk),
        "wagtailadmin_workflows:edit_task",
        pk,
    )
