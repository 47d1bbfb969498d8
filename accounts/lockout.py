"""Login throttling (issue #9) with django-axes: an account is locked after a few failed
logins whatever way its mobile number was typed, and a client address after more of them, so
guessing one password and spraying one password over many accounts are both slowed down.
See docs/accounts.md for the settings, the lockout page and how to unlock."""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.template.response import TemplateResponse
from django.urls import reverse

from .validators import normalize_mobile

# AccessAttempt.username is a CharField(255): never hand it more.
_USERNAME_MAX = 255


def attempted_username(request, credentials=None):
    """The account a login attempt names, in its stored form: "+86 138 0013 8000",
    "13800138000" and full-width digits all count against the same account."""
    value = None
    if credentials:
        value = credentials.get("username", credentials.get("phone"))
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    if value is None:
        return None
    return normalize_mobile(value)[:_USERNAME_MAX] or None


def _valid_ip(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (AttributeError, ValueError):
        return None


def client_ip(request):
    """The client's address. X-Forwarded-For is trusted only when TRUSTED_PROXY_COUNT says
    how many proxies of ours append to it: the entry that many places from the right is the
    address our outermost proxy saw. Anything to its left can be forged by the client."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = _valid_ip(forwarded[-proxies])
            if address:
                return address
    return _valid_ip(remote) or remote


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits instead of one: AXES_FAILURE_LIMIT failures
    lock an account, LOGIN_IP_FAILURE_LIMIT failures lock a client address. A whole office
    behind one NAT address shares the second, so it is the larger of the two."""

    def get_failures(self, request, credentials=None):
        threshold = self._threshold(request)
        username = attempted_username(request, credentials)
        account = 0
        if username is not None:
            account = self._count(AccessAttempt.objects.filter(username=username), threshold)
        address = self._count(
            AccessAttempt.objects.filter(ip_address=request.axes_ip_address), threshold
        )
        if address >= settings.LOGIN_IP_FAILURE_LIMIT:
            # Report the account limit as reached: axes compares this one number with it.
            return max(account, settings.AXES_FAILURE_LIMIT)
        return account

    def reset_user_attempts(self, request, credentials=None):
        """After a successful login only that account's failures are forgotten: a valid
        login must not wipe the failures its address collected against other accounts."""
        username = attempted_username(request, credentials)
        if username is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    @staticmethod
    def _threshold(request):
        cool_off = get_cool_off(request)
        if cool_off is None:
            return None
        return request.axes_attempt_time - cool_off

    @staticmethod
    def _count(attempts, threshold):
        if threshold is not None:
            attempts = attempts.filter(attempt_time__gte=threshold)
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def lockout_minutes(request=None):
    cool_off = get_cool_off(request)
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else None


def lockout_response(request, original_response=None, credentials=None):
    """A translated page with status 429, styled like the login page it replaces."""
    template = (
        "accounts/locked_out_admin.html"
        if request.path.startswith(reverse("wagtailadmin_home"))
        else "accounts/locked_out.html"
    )
    return TemplateResponse(
        request,
        template,
        {"minutes": lockout_minutes(request), "login_url": request.path},
        status=429,
    ).render()
