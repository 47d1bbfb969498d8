"""The reviewers' dashboard notice: how many onboarding requests wait, since when, and a
link to the list (R4). Before, a request was found only by opening the list."""

from django.db.models import Count, Min
from django.urls import reverse
from wagtail.admin.ui.components import Component

from .models import Organization
from .notifications import may_review


class OrganizationRequestsPanel(Component):
    """For those who certify requests only (may_review); nothing when none waits. One
    query, on the status index."""

    name = "organization_requests"
    order = 20  # after the unattended provinces' notice (workflow.dashboard)
    template_name = "organizations/admin/requests_notice.html"

    def get_context_data(self, parent_context):
        found = Organization.objects.pending().aggregate(
            waiting=Count("pk"), oldest=Min("created_at")
        )
        if not found["waiting"]:
            return {}
        return {**found, "review_url": reverse("organizations_review")}


def add_requests_panel(request, panels):
    if may_review(request.user):
        panels.append(OrganizationRequestsPanel())
