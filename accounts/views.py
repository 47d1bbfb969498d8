import ipaddress
import logging
from functools import cached_property

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import account as wagtail_account
from wagtail.users.models import UserProfile

from .forms import AvatarForm, NotificationsForm
from .lockout import client_ip
from .models import User


class RealNameEmailForm(forms.ModelForm):
    """Wagtail's "Name and Email" panel edits first/last name; ours edits the single real
    name, which is frozen once an administrator has verified it."""

    class Meta:
        model = User
        fields = ["real_name", "email"]
        widgets = {
            "real_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

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


class AvatarSettingsPanel(wagtail_account.AvatarSettingsPanel):
    """Wagtail's panel never showed its field's errors: a refused picture left the page
    as it was, with no word of why."""

    form_class = AvatarForm
    template_name = "accounts/account/avatar_panel.html"


class NotificationsSettingsPanel(wagtail_account.NotificationsSettingsPanel):
    form_class = NotificationsForm


# Wagtail's panels replaced by ours, by the class they are an instance of.
OWN_PANELS = {
    wagtail_account.NameEmailSettingsPanel: RealNameEmailSettingsPanel,
    wagtail_account.AvatarSettingsPanel: AvatarSettingsPanel,
    wagtail_account.NotificationsSettingsPanel: NotificationsSettingsPanel,
}


def remember_form(panel):
    """Wagtail asks a panel for its form again for each use (validation, media, rendering),
    each time a new form: an uploaded picture was read and decoded once per use, and the
    page shown after a refusal rendered fresh forms rather than those refused."""
    get_form = panel.get_form
    forms = []

    def remembered():
        if not forms:
            forms.append(get_form())
        return forms[0]

    panel.get_form = remembered
    return panel


class AccountView(wagtail_account.AccountView):
    @cached_property
    def profile(self):
        return UserProfile.get_for_user(self.request.user)

    @cached_property
    def panels(self):
        panels = []
        for panel in super().get_panels():
            own = OWN_PANELS.get(type(panel))
            if own is not None:
                panel = own(self.request, panel.user, panel.profile)
            panels.append(remember_form(panel))
        # Wagtail leaves out a panel it finds inactive; ours may have fields for the user
        # (a province moderator's notification switches).
        shown = {type(panel) for panel in panels}
        for own in OWN_PANELS.values():
            if own not in shown:
                panel = own(self.request, self.request.user, self.profile)
                if panel.is_active():
                    panels.append(remember_form(panel))
        return panels

    def get_panels(self):
        return self.panels

    def post(self, request):
        refused = [
            (panel, form)
            for panel in self.get_panels()
            if (form := panel.get_form()).is_bound and not form.is_valid()
        ]
        if refused:
            # Wagtail re-shows the page without a word: the errors sit in their panels,
            # some on a tab not in view, and the avatar's were not shown at all.
            problems = " ".join(
                _("%(section)s: %(problem)s") % {"section": panel.title, "problem": problem}
                for panel, form in refused
                for problem in dict.fromkeys(
                    str(error) for errors in form.errors.values() for error in errors
                )
            )
            messages.error(
                request,
                _("Your account settings were not saved. %(problems)s") % {"problems": problems},
            )
        return super().post(request)


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


def count_attempt(key, window):
    """This attempt's number among those counted under `key` in the last `window` seconds,
    or None when the shared cache does not answer (django-redis answers None, ignoring
    the error): the caller then lets it through, with only the limit off until the cache
    is back."""
    cache.add(key, 0, window)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        attempts = 1
    if attempts is None:
        logger.warning("attempt limit %s: the cache did not answer", key.split(":")[0])
    return attempts


def registration_throttled(request):
    """Counts this client's registration attempts in the last hour. The form says whether a
    number is registered, as it must for a person typing theirs; the limit keeps that from
    becoming a way to list who has an account (R1)."""
    key = f"registration-attempts:{client_network(client_ip(request))}"
    attempts = count_attempt(key, REGISTRATION_WINDOW_SECONDS)
    return attempts is not None and attempts > settings.REGISTRATION_ATTEMPTS_PER_HOUR


def password_reset_throttled(request, form):
    """Whether this reset request is over a limit: per client network (one client asking
    for many addresses), then per account the mail would go to (many clients mailing one
    inbox). Over either, nothing is sent: an anonymous form must not let anyone bury an
    inbox in mail or spoil the sender's reputation with the mail provider.

    An account's budget is spent only by mails it would receive: a request the client
    limit refuses, or an address that finds no account (another spelling of it, say),
    spends nothing of it, so nobody can switch off another's reset without sending them
    working links. Counted by account, not by the typed text: PostgreSQL matches "ſ" to
    "s", so each spelling would have had a budget of its own."""
    by_client = count_attempt(
        f"password-reset-client:{client_network(client_ip(request))}",
        REGISTRATION_WINDOW_SECONDS,
    )
    if (by_client or 0) > settings.PASSWORD_RESET_REQUESTS_PER_HOUR:
        return True
    over = False
    for user in form.get_users(form.cleaned_data["email"]):
        mails = count_attempt(f"password-reset-account:{user.pk}", REGISTRATION_WINDOW_SECONDS)
        over = over or (mails or 0) > settings.PASSWORD_RESET_MAILS_PER_ADDRESS_PER_HOUR
    return over


class PasswordResetView(wagtail_account.PasswordResetView):
    """Wagtail's reset by e-mail, with limits (password_reset_throttled). Over a limit the
    answer is the usual "done" page, as for an unknown address: it says nothing about
    accounts or limits to whoever is trying."""

    # Adds, when the campaign names a support contact, whom to ask without an email address.
    template_name = "accounts/password_reset_form.html"
    # Wagtail's subject, "Password reset", is "密码已重置。" (already reset) in Chinese.
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form):
        if password_reset_throttled(self.request, form):
            logger.warning(
                "password reset not sent: over the limit for %s",
                client_network(client_ip(self.request)),
            )
            return redirect(self.get_success_url())
        return super().form_valid(form)


def registration_next(request):
    """Where the person was going when sent to log in (我要发布 leads to the login with
    ?next=/admin/my-activities/new/): passed on by the login's "Register" link and kept
    through a refused form, checked as the login checks it."""
    url = request.POST.get("next", request.GET.get("next", ""))
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def register(request):
    from .registration import RegistrationForm

    next_url = registration_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "wagtailadmin_home")
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
            return redirect(next_url or "my_activities")
    return render(
        request,
        "accounts/register.html",
        {"form": form, "next": next_url},
        status=429 if throttled else 200,
    )


class AdminLogoutView(wagtail_account.LogoutView):
    """Wagtail's logout deletes the session cookie whatever the answer, so a plain link
    (GET, refused with 405) from any other site still signed an editor out mid-edit, and
    left the session itself valid on the server. Only a POST signs out."""

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)
