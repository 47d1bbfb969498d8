from django.contrib import messages
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.action_menu import (
    CancelWorkflowMenuItem,
    PublishMenuItem,
    RestartWorkflowMenuItem,
    SubmitForModerationMenuItem,
    WorkflowMenuItem,
)
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogFormatter
from wagtail.models import TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityIndexPage, ActivityPage

from .models import may_withdraw, review_new_version, step_name
from .takedown import can_take_down, open_take_down
from .views import moderation, restore_view, take_down_view


@hooks.register("register_admin_urls")
def register_urls():
    return [
        path("review/", moderation, name="review_desk"),
        path("review/take-down/<id:page_id>/", take_down_view, name="take_down"),
        path("review/restore/<id:page_id>/", restore_view, name="restore_listing"),
    ]


class ReviewDeskMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser or TaskState.objects.reviewable_by(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_review_desk_menu_item():
    return ReviewDeskMenuItem(
        gettext_lazy("Review desk"), reverse("review_desk"), icon_name="tasks", order=110
    )


@hooks.register("register_log_actions")
def register_log_actions(actions):
    @actions.register_action("workflow.take_down")
    class TakeDownFormatter(LogFormatter):
        label = gettext_lazy("Take down")
        message = gettext_lazy("Taken down")

        def format_comment(self, log_entry):
            # The reason is what the owner and later moderators need to read (R18, R25).
            return log_entry.data.get("reason", "")

    actions.register_action("workflow.restore", gettext_lazy("Put back"), gettext_lazy("Put back"))


class RoutedSubmitMenuItem(SubmitForModerationMenuItem):
    """On a new activity the route is unknown until its channel is chosen, so the button
    must not name the parent's workflow."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        page = context.get("page")
        if not (page and page.pk):
            context["label"] = _("Submit for review")
        return context


@hooks.register("construct_page_action_menu")
def use_routed_submit_item(menu_items, request, context):
    page, parent = context.get("page"), context.get("parent_page")
    is_activity = isinstance(page, ActivityPage) or (
        page is None and parent is not None and parent.specific_class is ActivityIndexPage
    )
    if not is_activity:
        return
    for position, item in enumerate(menu_items):
        if type(item) is SubmitForModerationMenuItem:
            menu_items[position] = RoutedSubmitMenuItem(order=item.order)
    submits = [item for item in menu_items if isinstance(item, RoutedSubmitMenuItem)]
    decides = any(isinstance(item, (PublishMenuItem, WorkflowMenuItem)) for item in menu_items)
    if submits and not decides:
        # The guide's clerk fills the form and presses the one button at the bottom, which
        # files the activity. Wagtail's first button only saves a draft: a live activity's
        # correction then never reached review and the public kept the old text (R23).
        menu_items.remove(submits[0])
        menu_items.insert(0, submits[0])
    state = page.current_workflow_state if page is not None else None
    if state is not None and not may_withdraw(state, request.user):
        menu_items[:] = [
            item
            for item in menu_items
            if not isinstance(item, (CancelWorkflowMenuItem, RestartWorkflowMenuItem))
        ]


def review_saved_version(request, page):
    if request.method != "POST" or request.POST.get("action-workflow-action"):
        return
    if isinstance(page.specific, ActivityPage) and review_new_version(page, request.user):
        messages.info(
            request,
            _(
                "This review step starts again on the version you saved; another moderator "
                "of this step reviews it."
            ),
        )


hooks.register("after_edit_page", review_saved_version)


def remind_unsubmitted(request, page):
    """Saving is not filing: a unit that saved and left believed its activity (or its
    correction of a live one) was on its way to review (R23, R26)."""
    page = page.specific
    if not isinstance(page, ActivityPage):
        return
    if request.POST.get("action-workflow-action"):
        # A reviewer's decision taken in the editor is no unfiled draft: the moderator who
        # sent an activity back was told to submit it, and not that it went back.
        if request.POST.get("workflow-action-name") == "reject":
            messages.success(
                request, _("Sent back for changes; the submitter will see your comment.")
            )
        return
    # Asked afresh: the editor's page caches the workflow states it had before a submit.
    states = WorkflowState.objects.for_instance(page)
    if states.filter(status=WorkflowState.STATUS_IN_PROGRESS).exists():
        return
    if page.permissions_for_user(request.user).can_publish():
        return
    live_start = page._live_start() if page.live else None  # not the edited start
    if (
        live_start is not None
        and live_start <= timezone.now()
        and not roles.corrects_activities_under_way(request.user)
    ):
        # Submitting is refused now (ActivityPage.submission_errors): not "submit them".
        messages.warning(
            request,
            _(
                "Saved as a draft. This activity has already started, so changes can no "
                "longer be submitted; the approved version stays public. Ask the "
                "platform's support to submit them."
            ),
        )
    elif page.live:
        messages.warning(
            request,
            _(
                "Saved, not submitted: the site still shows the approved version. Submit "
                "your changes for review to have them published."
            ),
        )
    else:
        messages.info(
            request,
            _("Saved as a draft, not submitted for review. Submit it once it is complete."),
        )


hooks.register("after_create_page", remind_unsubmitted)
hooks.register("after_edit_page", remind_unsubmitted)


@hooks.register("register_page_header_buttons")
def take_down_buttons(page, user, view_name, next_url=None):
    if not isinstance(page.specific_deferred, ActivityPage) or not can_take_down(user):
        return
    if page.live:
        yield Button(
            _("Take down"), reverse("take_down", args=[page.pk]), icon_name="cross", priority=62
        )
    elif open_take_down(page) is not None:
        yield Button(
            _("Put back"), reverse("take_down", args=[page.pk]), icon_name="upload", priority=62
        )


def show_submitter(request, page, state):
    """The reviewer of the current step sees, on the editor they review in, who submitted
    the activity and whether that person's real name is verified (R1)."""
    if state is None or state.status != state.STATUS_IN_PROGRESS:
        return
    submitter = state.requested_by
    task_state = state.current_task_state
    if submitter is None or task_state is None or submitter.pk == request.user.pk:
        return
    if not task_state.task.specific.user_can_review(page, request.user):
        return
    if submitter.is_real_name_verified:
        text = _("Submitted by %(name)s; real name verified.")
    else:
        text = _("Submitted by %(name)s; real name not verified.")
    messages.info(request, text % {"name": submitter.get_full_name()})


@hooks.register("before_edit_page")
def show_review_feedback(request, page):
    """The submitter sees why the activity came back, on the edit page itself (R22)."""
    if request.method != "GET" or not isinstance(page.specific_deferred, ActivityPage):
        return
    state = page.current_workflow_state
    show_submitter(request, page, state)
    if state is not None and state.status == state.STATUS_NEEDS_CHANGES:
        task_state = state.current_task_state
        if task_state is not None and task_state.comment:
            messages.warning(
                request,
                _("%(step)s asked for changes: %(comment)s")
                % {"step": step_name(task_state.task), "comment": task_state.comment},
            )
    record = open_take_down(page)
    if record is not None and not page.live:
        messages.warning(
            request, _("Taken down by a national moderator: %(reason)s") % {"reason": record.reason}
        )


@hooks.register("construct_homepage_panels")
def bound_review_panel(request, panels):
    from .dashboard import bound_review_panel as bound

    bound(request, panels)


@hooks.register("construct_homepage_panels")
def unattended_provinces_panel(request, panels):
    from .dashboard import add_unattended_provinces_panel

    add_unattended_provinces_panel(request, panels)


@hooks.register("after_bulk_action")
def warn_of_deactivated_owners(request, action_type, objects, action):
    """Users deactivated in bulk (Settings → Users) who own activities under review are
    named, as the user editor names them (accounts.viewsets.warn_deactivated_owners)."""
    from django.contrib.auth import get_user_model
    from wagtail.users.views.bulk_actions.set_active_state import SetActiveStateBulkAction

    from accounts.viewsets import warn_deactivated_owners

    if not isinstance(action, SetActiveStateBulkAction) or action.model is not get_user_model():
        return
    if action.cleaned_form.cleaned_data["mark_as_active"]:
        return
    # The objects as they were read before the change; the acting user is never changed.
    deactivated = [user for user in objects if user.is_active and user.pk != request.user.pk]
    warn_deactivated_owners(request, deactivated)
