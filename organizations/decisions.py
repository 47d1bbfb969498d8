"""Certifying and rejecting organizations (R4).

The review page and the library's own create and edit forms both decide; they share these
two functions so that every decision carries its time and reaches the audit log, a
rejection with its reason."""

from django.utils import timezone
from wagtail.log_actions import log

from .models import Organization

# Who certifies and rejects (the review page, its menu item and dashboard notice, the
# mail of a new request): superusers and 平台管理员.
REVIEW_PERMISSION = "organizations.change_organization"

LOG_ACTIONS = {
    Organization.Status.CERTIFIED: "organizations.certify",
    Organization.Status.REJECTED: "organizations.reject",
}


def decide(organization, status, reason=""):
    """Give `organization` its new status in memory; the caller saves it."""
    organization.status = status
    organization.rejection_reason = reason if status == Organization.Status.REJECTED else ""
    organization.reviewed_at = timezone.now()


def log_decision(organization, user):
    data = {}
    if organization.status == Organization.Status.REJECTED:
        data["reason"] = organization.rejection_reason
    log(organization, LOG_ACTIONS[organization.status], user=user, data=data)
