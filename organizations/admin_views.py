from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .decisions import REVIEW_PERMISSION, decide, log_decision
from .forms import ReviewForm
from .models import Organization
from .notifications import notify_requesters

STATUSES = {"certify": Organization.Status.CERTIFIED, "reject": Organization.Status.REJECTED}


def review_requests(request):
    """Onboarding requests (组织入驻, R4): certify or reject a selection at once."""
    if not request.user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        reason = form.cleaned_data["reason"].strip()
        with transaction.atomic():
            # Re-read under lock: two administrators must not certify and reject at once.
            chosen = list(
                Organization.objects.pending()
                .select_for_update()
                .filter(pk__in=[org.pk for org in form.cleaned_data["organizations"]])
            )
            status = STATUSES[action]
            for organization in chosen:
                decide(organization, status, reason)
                organization.save(
                    update_fields=["status", "rejection_reason", "reviewed_at", "updated_at"]
                )
                log_decision(organization, request.user)
            # Queued with the decisions (home/mail.py): the requesters hear of them.
            notify_requesters(chosen, request.user)
        if action == "certify":
            text = ngettext(
                "%(count)d organization certified.",
                "%(count)d organizations certified.",
                len(chosen),
            )
        else:
            text = ngettext(
                "%(count)d organization rejected.", "%(count)d organizations rejected.", len(chosen)
            )
        messages.success(request, text % {"count": len(chosen)})
        return redirect("organizations_review")
    pending = Organization.objects.pending().select_related(
        "province", "city", "county", "requested_by"
    )
    return TemplateResponse(
        request,
        "organizations/admin/review.html",
        {"form": form, "pending": pending, "page_title": _("Organization requests")},
    )
