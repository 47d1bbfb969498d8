from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from .forms import OnboardingForm
from .models import Organization, Region
from .notifications import request_received
from .queries import certified_matching
from .widgets import REGION_CODE

AUTOCOMPLETE_LIMIT = 20


@require_GET
@never_cache  # per person: no cache may keep it (PIPL audit)
@login_required
def autocomplete(request):
    """Suggestions for the pickers (R5): certified organizations only, one query."""
    category = request.GET.get("category") or None
    if category and category not in Organization.Category.values:
        return JsonResponse({"results": [], "error": _("Unknown category.")}, status=400)
    try:
        limit = min(max(int(request.GET.get("limit", AUTOCOMPLETE_LIMIT)), 1), 50)
    except ValueError:
        limit = AUTOCOMPLETE_LIMIT
    labels = dict(Organization.Category.choices)
    rows = certified_matching(request.GET.get("q"), category).values_list(
        "pk", "name", "category", "province__name"
    )[:limit]
    return JsonResponse(
        {
            "results": [
                {
                    "id": pk,
                    "name": name,
                    "category": cat,
                    "category_label": str(labels[cat]),
                    "province": province or "",
                }
                for pk, name, cat, province in rows
            ]
        }
    )


@require_GET
@cache_control(max_age=86400, public=True)
def regions(request):
    """Children of a region, for the cascading province → city → county selects."""
    queryset = Region.objects.all()
    parent = request.GET.get("parent")
    level = request.GET.get("level")
    if level and level not in Region.Level.values:
        return JsonResponse({"results": [], "error": _("Unknown level.")}, status=400)
    if parent and not REGION_CODE.fullmatch(parent):
        # Not a GB/T 2260 code, so it has no children (and a NUL would fail the query).
        return JsonResponse({"results": []})
    queryset = queryset.filter(parent_id=parent) if parent else queryset.filter(parent=None)
    if level:
        queryset = queryset.filter(level=level)
    return JsonResponse(
        {"results": [{"code": c, "name": n} for c, n in queryset.values_list("code", "name")]}
    )


@never_cache  # per person: no cache may keep it (PIPL audit)
@login_required
def onboarding(request):
    form = OnboardingForm(request.POST or None, requester=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                organization = form.save(requested_by=request.user)
        except IntegrityError:
            # The same name was requested (or certified) by another request between this
            # form's check and its insert (a double submit, two people at once): a fresh
            # form sees that row and answers as a sequential duplicate does.
            form = OnboardingForm(request.POST, requester=request.user)
            if form.is_valid():
                raise
        else:
            # The reviewers hear of it (batched at the peak), rather than finding it only
            # if they open the list.
            request_received(organization, request.user)
            messages.success(
                request,
                _("Your request for %(name)s was received; an administrator will review it.")
                % {"name": organization.name},
            )
            return redirect("organizations:requests")
    return render(request, "organizations/onboarding.html", {"form": form})


@never_cache  # per person: no cache may keep it (PIPL audit)
@login_required
def my_requests(request):
    requests = (
        Organization.objects.filter(requested_by=request.user)
        .select_related("province", "city", "county")
        .order_by("-created_at")
    )
    return render(request, "organizations/my_requests.html", {"requests": requests})
