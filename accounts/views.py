import ipaddress
import logging

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import account as wagtail_account

from .lockout import client_ip
from .models import User


class RealNameEmailForm(forms.ModelForm):
    """Wagtail's "Name and Email" panel edits first/last name; ours edits the single real
    name, which is frozen once an administrator has verified it."""

    class Meta:
        model = User
        fields = ["real_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_real_name_verified:
            field = self.fields["real_name"]
            field.disabled = True
            field.help_text = _("Verified names can only be changed by an administrator.")
        if not wagtail_account.email_management_enabled():
            del self.fields["email"]


class RealNameEmailSettingsPanel(wagtail_account.NameEmailSettingsPanel):
    form_class = RealNameEmailForm


class AccountView(wagtail_account.AccountView):
    def get_panels(self):
        return [
            RealNameEmailSettingsPanel(self.request, panel.user, panel.profile)
            if isinstance(panel, wagtail_account.NameEmailSettingsPanel)
            else panel
            for panel in super().get_panels()
        ]


logger = logging.getLogger(__name__)

REGISTRATION_WINDOW_SECONDS = 60 * 60


def client_network(address):
    """What one client controls: its IPv4 address, or its IPv6 /64 (a host picks any
    address in its /64, which would otherwise be a fresh limit per attempt)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def registration_throttled(request):
    """Counts this client's registration attempts in the last hour. The form says whether a
    number is registered, as it must for a person typing theirs; the limit keeps that from
    becoming a way to list who has an account (R1)."""
    key = f"registration-attempts:{client_network(client_ip(request))}"
    cache.add(key, 0, REGISTRATION_WINDOW_SECONDS)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, REGISTRATION_WINDOW_SECONDS)
        attempts = 1
    if attempts is None:
        # The shared cache is down (django-redis answers None, ignoring the error): people
        # can still register; only the limit is off until it is back.
        logger.warning("registration limit: the cache did not answer")
        return False
    return attempts > settings.REGISTRATION_ATTEMPTS_PER_HOUR


def register(request):
    from .registration import RegistrationForm

    if request.user.is_authenticated:
        return redirect("wagtailadmin_home")
    throttled = request.method == "POST" and registration_throttled(request)
    form = RegistrationForm(request.POST or None, throttled=throttled)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:
            # The number was free when the form checked it and taken by another request
            # before the insert (two taps on "register", or two people at once): a fresh
            # form sees that account and answers as a second, sequential request would.
            form = RegistrationForm(request.POST)
            if form.is_valid():
                raise
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("my_activities")
    return render(
        request, "accounts/register.html", {"form": form}, status=429 if throttled else 200
    )


class AdminLogoutView(wagtail_account.LogoutView):
    """Wagtail's logout deletes the session cookie whatever the answer, so a plain link
    (GET, refused with 405) from any other site still signed an editor out mid-edit, and
    left the session itself valid on the server. Only a POST signs out."""

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)
