"""The activity's editor and review action, hardened against simultaneous use (issue #9).

Wagtail 8 refuses a stale save on the server only for autosave's JSON requests, which
WAGTAIL_AUTOSAVE_INTERVAL = 0 turns off; a plain "save draft" or "submit" from an editor
opened before someone else saved replaces their version, guarded only by the editing-session
ping in the browser (every 10 s, and not at all without JavaScript). Here each save and review
of one activity takes the activity's row lock (ReviewTask.on_action takes the same one), and a
save from a form loaded before the latest revision is refused with everything typed kept.
"""

import json
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.utils import get_user_display_name, get_valid_next_url_from_request
from wagtail.admin.views.generic.models import (
    RevisionsCompareView as GenericRevisionsCompareView,
)
from wagtail.admin.views.generic.preview import PreviewRevision
from wagtail.admin.views.pages.create import CreateView
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.views.pages.history import PageHistoryView
from wagtail.admin.views.pages.revisions import RevisionsCompareView, RevisionsView
from wagtail.admin.views.pages.workflow import CollectWorkflowActionDataView, WorkflowActionView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import Page, TaskState

from accounts.roles import is_submitter_only
from workflow.models import (
    NotPublishable,
    ReviewRefused,
    StepAlreadyCompleted,
    may_withdraw,
    route_changed,
)
from workflow.publishing import publication_problems

from .models import ActivityPage


def lock_page(page_id):
    """Row lock on the page until the transaction ends; a no-op on SQLite, whose
    IMMEDIATE transactions already serialise writers."""
    list(Page.objects.select_for_update().filter(pk=page_id).values_list("pk", flat=True))


# StepAlreadyCompleted's own words (workflow.models), for a step found finished before
# on_action is reached.
ALREADY_DONE = gettext_lazy("This review step has already been completed by someone else.")

STEP_GONE = gettext_lazy(
    "This review step is no longer waiting for you: someone else has completed it, or it "
    "has moved on. Nothing was saved."
)

# Draftail gives every block of rich text it did not write a data-block-key.
BLOCK_KEY = re.compile(r'\sdata-block-key="[^"]*"')


def changed_by_hand(form):
    """Whether the editor's form differs from the version it was opened on, ignoring the
    block keys Draftail adds on its own."""
    for formset in form.formsets.values():
        if any(child.has_changed() for child in formset.forms):
            return True
    for name in form.changed_data:
        initial, value = form[name].initial, form.cleaned_data.get(name)
        same_text = (
            isinstance(initial, str)
            and isinstance(value, str)
            and BLOCK_KEY.sub("", initial) == BLOCK_KEY.sub("", value)
        )
        if not same_text:
            return True
    return False


def review_already_ended(state):
    if state.status == state.STATUS_APPROVED:
        return _(
            "The review had already ended when you withdrew: the activity was approved. "
            "Nothing was withdrawn or saved; what you typed is kept below. Submit it to "
            "have your changes reviewed."
        )
    return _(
        "This submission was already withdrawn. Nothing was saved; what you typed is kept "
        "below. Save it as a draft or submit it again."
    )


def submitted_to_my_activities(view):
    """A submitter who has just (re)submitted goes to 我的活动, which shows the review
    states they follow (R16, R26); Wagtail's explorer shows its own page states. Moderators
    and administrators keep Wagtail's destination, and an explicit `next` wins."""
    if (
        not view.next_url
        and view.action_name in ("submit", "restart_workflow")
        and is_submitter_only(view.request.user)
    ):
        return redirect("my_activities")
    return None


class ActivityCreateView(CreateView):
    def redirect_away(self):
        return submitted_to_my_activities(self) or super().redirect_away()


class ActivityEditView(EditView):
    def dispatch(self, request, page_id, **kwargs):
        if "overwrite_revision_id" in request.POST:
            # Autosave's way to rewrite a revision in place (autosave is off here): posted by
            # hand, it rewrote the approved, live revision with text nobody reviewed.
            request.POST = request.POST.copy()
            del request.POST["overwrite_revision_id"]
        if request.method != "POST" or self.expects_json_response:
            return super().dispatch(request, page_id, **kwargs)
        # Lock before Wagtail reads the page, its lock and its workflow, so what it decides
        # from them still holds when it writes.
        try:
            with transaction.atomic():
                lock_page(page_id)
                return super().dispatch(request, page_id, **kwargs)
        except PermissionDenied:
            if not request.POST.get("action-workflow-action"):
                raise
            # A province moderator whose colleague approved first no longer reviews the
            # activity at all: tell them that rather than "no permission".
            messages.error(request, STEP_GONE)
            return redirect("review_desk")

    def post(self, request, *args, **kwargs):
        if not self.expects_json_response and not self.page.alias_of_id and self.is_out_of_date:
            return self.refuse_stale_save()
        withdrawing = request.POST.get("action-cancel-workflow") or request.POST.get(
            "action-restart-workflow"
        )
        if withdrawing and self.workflow_state and not self.workflow_state.is_active:
            # Wagtail falls back to the last, finished review and "cancels" it: a
            # withdrawal that lost to the approval, or sent again from an older tab, got
            # "you do not have permission" and lost what was typed.
            return self.refuse(review_already_ended(self.workflow_state))
        if (
            withdrawing
            and self.workflow_state
            and not may_withdraw(self.workflow_state, request.user)
        ):
            return self.refuse(
                _(
                    "Only the submitter can withdraw a submission. To send it back, "
                    "request changes with a comment for the submitter."
                )
            )
        if request.POST.get("action-workflow-action") and self.action_name == "save":
            # Wagtail turns a review action that no longer applies into a plain save: a
            # moderator who lost a race to a colleague "saved" an unreviewed draft.
            return self.refuse(STEP_GONE)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if (
            self.action_name == "perform_workflow_action"
            and self.workflow_action == "approve"
            and not self.locked_for_user
        ):
            # Approval saves nothing: when the version submitted breaks a rule (a channel
            # uncertified since), "the page could not be saved" would not say what to do.
            problems = publication_problems(self.page)
            if problems:
                return self.refuse(str(NotPublishable.of(problems)))
        return super().form_invalid(form)

    def redirect_away(self):
        if not self.next_url and self.action_name == "perform_workflow_action":
            # Wagtail goes back to the activity index's explorer, which a province
            # moderator may not open: "approved" came with "you do not have permission".
            return redirect("review_desk")
        return submitted_to_my_activities(self) or super().redirect_away()

    def refuse(self, message, defer_required=True):
        """Save nothing, say why, and show the form again with what was typed."""
        self.form = self.form_class(
            self.request.POST,
            self.request.FILES,
            instance=self.page,
            subscription=self.subscription,
            parent_page=self.parent,
            for_user=self.request.user,
        )
        if defer_required:
            self.form.defer_required_fields()
        self.form.is_valid()
        self.form.restore_required_fields()
        messages.error(self.request, message)
        self.has_unsaved_changes = True
        return self.render_to_response(self.get_context_data())

    def refuse_stale_save(self):
        latest = self.latest_revision
        message = _(
            "Not saved: %(user)s saved a newer version at %(time)s, after you opened this "
            "page. What you typed is kept below. Open the activity in a new tab to see "
            "their version; save again only if yours should replace it."
        ) % {
            "user": get_user_display_name(latest.user) if latest.user else _("someone"),
            "time": timezone.localtime(latest.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        }
        # The form now carries the latest revision's id: a second save is a deliberate
        # overwrite, as Wagtail's own conflict dialog allows.
        return self.refuse(message, defer_required=self.action_name == "save")

    def submit_action(self):
        state = self.workflow_state
        if (
            state is not None
            and state.status == state.STATUS_NEEDS_CHANGES
            and route_changed(state, self.form.instance)
        ):
            # A new channel decides a new route (R19, R20): from its first step, not from
            # the stage that asked for changes.
            state.cancel(user=self.request.user)
            self.workflow_state = None
        return super().submit_action()

    def perform_workflow_action(self):
        try:
            extra = json.loads(self.request.POST.get("workflow-action-extra-data") or "{}")
        except ValueError:
            extra = None
        if not isinstance(extra, dict):
            return self.refuse(_("The review form could not be read. Nothing was saved."))
        if self.workflow_action == "approve":
            # Approval is of the version submitted. Saving the form first made the approver
            # its last editor, whom ReviewTask refuses (and whose own edit nobody reviewed),
            # and Draftail reports a change for rich text it did not write itself.
            return self.approve_submitted_version(extra)
        # The editor's "request changes" saves the moderator's changes first; a refused
        # action must not roll them back with this request's transaction.
        try:
            return super().perform_workflow_action()
        except PermissionDenied as error:
            messages.error(self.request, str(error) or _("You cannot act on this review step."))
            return self.redirect_and_remain()

    def approve_submitted_version(self, extra):
        if changed_by_hand(self.form):
            return self.refuse(
                _(
                    "Not approved: you changed the activity in the form, and approval is of "
                    "the version submitted. Save your changes as a draft for another "
                    "moderator of this step to review, request changes from the submitter, "
                    "or reload the page to approve the submitted version."
                )
            )
        try:
            with transaction.atomic():
                self.page.current_workflow_task.on_action(
                    self.page.current_workflow_task_state,
                    self.request.user,
                    "approve",
                    comment=extra.get("comment") or "",
                )
        except PermissionDenied as error:
            return self.refuse(str(error) or _("You cannot act on this review step."))
        messages.success(
            self.request,
            _("“%(title)s” is approved.") % {"title": self.page.get_admin_display_title()},
        )
        return self.run_hook("after_edit_page", self.request, self.page) or self.redirect_away()


def is_xhr(request):
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


class ActivityWorkflowActionView(WorkflowActionView):
    """A moderator who loses a race to a colleague, or whose approval the activity's rules
    refuse, is told so, instead of Wagtail's generic "you do not have permission to access
    this area" (other refusals keep that)."""

    def dispatch(self, request, *args, **kwargs):
        if self.task_state.status != TaskState.STATUS_IN_PROGRESS:
            # Wagtail redirects before post() once a colleague has ended the review
            # (requested changes, or gave the last approval): the pop-up's XHR followed the
            # redirect to an HTML page and spun forever, and the message was lost. A step
            # that merely moved on is told at once too, not after a comment was written.
            return self.refuse(ALREADY_DONE, self.step_gone_url())
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except StepAlreadyCompleted as error:
            return self.refuse(str(error), self.step_gone_url())
        except ReviewRefused as error:
            return self.refuse(str(error), self.redirect_url)

    def step_gone_url(self):
        # Wagtail's fallback is the activity's editor, which no longer opens for a province
        # moderator whose step is over: the message came with "you do not have permission".
        return get_valid_next_url_from_request(self.request) or reverse("review_desk")

    def refuse(self, message, url):
        messages.error(self.request, message)
        if is_xhr(self.request):
            # The review modal follows "redirect", where the message is shown.
            return self.render_modal_json(self.request, {"step": "success", "redirect": url})
        return redirect(url)


class ActivityCollectWorkflowActionDataView(CollectWorkflowActionDataView):
    """The editor's review pop-up only collects the comment; the editor then posts itself.
    Once the step is over, Wagtail's redirect left the pop-up spinning."""

    def dispatch(self, request, *args, **kwargs):
        if self.task_state.status != TaskState.STATUS_IN_PROGRESS:
            if is_xhr(request):
                # Let the editor post: it refuses a review action that no longer applies
                # and keeps what was typed (ActivityEditView.post). A message here would be
                # shown twice.
                return self.render_modal_json(request, {"step": "success", "cleaned_data": {}})
            messages.error(request, ALREADY_DONE)
            return redirect(self.redirect_url)
        return super().dispatch(request, *args, **kwargs)


# A province moderator holds no page permission (one on the index would open every
# province's activities to them); Wagtail lets them into the editor of an activity their
# step awaits (ReviewTask.user_can_access_editor), but its history, revision preview and
# comparison first ask for "any page permission". A resubmission is reviewed by what changed
# since the request for changes, so these three views keep only Wagtail's per-page check
# (can_edit, which includes the reviewer of the current step) and skip the blanket one.


class ActivityHistoryView(PageHistoryView):
    any_permission_required = None


class ActivityRevisionView(RevisionsView):
    def dispatch(self, request, *args, **kwargs):
        return PreviewRevision.dispatch(self, request, *args, **kwargs)


class ActivityRevisionsCompareView(RevisionsCompareView):
    def dispatch(self, request, *args, **kwargs):
        return GenericRevisionsCompareView.dispatch(self, request, *args, **kwargs)


class ActivityPageViewSet(PageViewSet):
    model = ActivityPage
    name = "activity_pages"
    add_view_class = ActivityCreateView
    edit_view_class = ActivityEditView
    workflow_action_view_class = ActivityWorkflowActionView
    collect_workflow_action_data_view_class = ActivityCollectWorkflowActionDataView
    history_view_class = ActivityHistoryView
    revisions_view_class = ActivityRevisionView
    revisions_compare_view_class = ActivityRevisionsCompareView
