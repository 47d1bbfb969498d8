"""Login lockouts in the Wagtail admin (issue #9): who is paused now, and a button that lifts
the pause. For the users who manage accounts (accounts.change_user: platform administrators
and superusers); `manage.py axes_reset_username <number>` does the same from a shell."""

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import User
from .validators import normalize_mobile

MANAGE_PERMISSION = "accounts.change_user"


def can_manage_lockouts(user):
    return user.is_authenticated and user.is_active and user.has_perm(MANAGE_PERMISSION)


def recent_attempts():
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.all()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


def _grouped(attempts, field, limit):
    # Only NULL is excluded: an empty string would reach the address column as NULL too,
    # and "NOT (column = NULL)" drops every row.
    rows = (
        attempts.exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .order_by("-last")
    )
    return [{**row, "key": row[field], "locked": row["failures"] >= limit} for row in rows[:200]]


class UnlockForm(forms.Form):
    username = forms.CharField(required=False, max_length=255)
    ip_address = forms.GenericIPAddressField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("username") and not data.get("ip_address"):
            raise forms.ValidationError(gettext_lazy("Choose an account or an address to unlock."))
        return data


def lockouts_view(request):
    if not can_manage_lockouts(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = UnlockForm(request.POST)
        if form.is_valid():
            username = normalize_mobile(form.cleaned_data["username"])
            address = form.cleaned_data["ip_address"]
            removed = 0
            if username:
                removed += AccessAttempt.objects.filter(username=username).delete()[0]
            if address:
                removed += AccessAttempt.objects.filter(ip_address=address).delete()[0]
            who = {"who": username or address}
            if removed:
                messages.success(request, _("Login unlocked for %(who)s.") % who)
            else:
                messages.info(request, _("%(who)s had no failed logins to clear.") % who)
        else:
            errors = [error for errors in form.errors.values() for error in errors]
            messages.error(request, " ".join(errors))
        return redirect("login_lockouts")

    attempts = recent_attempts()
    cool_off = get_cool_off()
    accounts = _grouped(attempts, "username", settings.AXES_FAILURE_LIMIT)
    names = dict(
        User.objects.filter(phone__in=[row["key"] for row in accounts]).values_list(
            "phone", "real_name"
        )
    )
    for row in accounts:
        row["real_name"] = names.get(row["key"], "")
    return TemplateResponse(
        request,
        "accounts/admin/lockouts.html",
        {
            "page_title": _("Login lockouts"),
            "accounts": accounts,
            "addresses": _grouped(attempts, "ip_address", settings.LOGIN_IP_FAILURE_LIMIT),
            "account_limit": settings.AXES_FAILURE_LIMIT,
            "address_limit": settings.LOGIN_IP_FAILURE_LIMIT,
            "minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
        },
    )
