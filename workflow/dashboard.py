"""The dashboard's "awaiting your review" panel, bounded.

Wagtail's panel lists every task the user may act on, with several queries per task: a
national moderator with a thousand activities waiting got a 54-second dashboard (3,100
queries); at the September peak, with tens of thousands, it would never load. This panel
shows the oldest few, the way Wagtail's does, and links to the review desk for the rest."""

from django.conf import settings
from django.urls import reverse
from wagtail.admin.ui.components import Component
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel
from wagtail.models import Page, Revision, TaskState

SHOWN = 10


class BoundedWorkflowObjectsToModeratePanel(WorkflowObjectsToModeratePanel):
    template_name = "workflow/admin/dashboard_to_moderate.html"

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        context = {
            "states": [],
            "request": request,
            "csrf_token": parent_context["csrf_token"],
            "review_desk_url": reverse("review_desk"),
            "total": 0,
        }
        if not getattr(settings, "WAGTAIL_WORKFLOW_ENABLED", True):
            return context
        reviewable = TaskState.objects.reviewable_by(request.user)
        context["total"] = reviewable.count()
        # Oldest first: what has waited longest needs a decision first. Ties (a batch
        # submitted in one second) in the order they were submitted, the same on every
        # database and every visit.
        states = (
            reviewable.select_related(
                "revision",
                "revision__user",
                "workflow_state",
                "workflow_state__workflow",
                "workflow_state__requested_by",
            )
            .prefetch_related("revision__content_object")
            .annotate(previous_revision_id=Revision.objects.previous_revision_id_subquery())
            .order_by("started_at", "pk")[:SHOWN]
        )
        for state in states:
            obj = state.revision.content_object
            if not isinstance(obj, Page):
                continue  # only pages go through review here
            context["states"].append(
                {
                    "obj": obj,
                    "revision": state.revision,
                    "previous_revision_id": state.previous_revision_id,
                    "live_revision_id": obj.live_revision_id,
                    "task_state": state,
                    "actions": state.task.specific.get_actions(obj, request.user),
                    "workflow_tasks": state.workflow_state.all_tasks_with_status(),
                    "workflow_action_url_name": "wagtailadmin_pages:workflow_action",
                    "workflow_preview_url_name": (
                        "wagtailadmin_pages:workflow_preview"
                        if getattr(obj, "is_previewable", False)
                        else None
                    ),
                    "revisions_compare_url_name": "wagtailadmin_pages:revisions_compare",
                }
            )
        context["more"] = max(context["total"] - len(context["states"]), 0)
        return context


def bound_review_panel(request, panels):
    for position, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[position] = BoundedWorkflowObjectsToModeratePanel()


class UnattendedProvincesPanel(Component):
    """Superusers and platform administrators see, first on their dashboard, the
    provinces whose activities wait at a province review step nobody can act on, with how
    many, and where to assign a moderator (workflow.coverage). Nothing for anyone else."""

    name = "unattended_provinces"
    order = 10
    template_name = "workflow/admin/unattended_notice.html"

    def get_context_data(self, parent_context):
        from .coverage import unattended_context

        return unattended_context(parent_context["request"].user)


def add_unattended_provinces_panel(request, panels):
    from .coverage import may_assign_moderators

    if may_assign_moderators(request.user):
        panels.append(UnattendedProvincesPanel())
