from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.db import transaction
from django.forms.utils import ErrorDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization

from .models import User
from .roles import SUBMITTERS
from .validators import normalize_mobile


class OrganizationSelect(forms.Select):
    """Certified organizations grouped by category; a filter box narrows it in the browser."""

    class Media:
        js = ["accounts/js/select-filter.js"]


class RegistrationForm(forms.ModelForm):
    """R1: mobile number (the login), real name, optional email, password twice, optional
    organization. Without an email nobody hears of review results (R24) or can reset the
    password by mail, so registration asks for one; like the user admin, it is optional
    and not unique."""

    # Longer than 11 so "+86 139 1234 5678" can be typed; the model's validator checks the
    # normalised number.
    phone = forms.CharField(
        label=capfirst(_("mobile number")),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "13800138000"}
        ),
    )

    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,
        help_text=_("Used for review results and password reset."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    # PIPL arts. 14 and 17: told what is collected and why, and agreeing to it.
    consent = forms.BooleanField(
        label=_("I have read and agree to the privacy policy."),
        required=True,
        error_messages={"required": _("Read and agree to the privacy policy to register.")},
    )

    class Meta:
        model = User
        fields = ["phone", "real_name", "email", "organization"]
        widgets = {
            "real_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "organization": OrganizationSelect(attrs={"data-filterable": "true"}),
        }
        help_texts = {
            "organization": _(
                "Optional: the unit you publish activities for. Not listed? After "
                "registering, ask for it under Organization onboarding."
            )
        }

    def __init__(self, *args, throttled=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.throttled = throttled
        field = self.fields["organization"]
        field.required = False
        certified = Organization.objects.certified().order_by("category", "name")
        field.queryset = certified
        labels = dict(Organization.Category.choices)
        groups = {}
        for pk, name, category in certified.values_list("pk", "name", "category"):
            groups.setdefault(str(labels[category]), []).append((pk, name))
        field.choices = [("", "---------"), *groups.items()]
        # The filter box (select-filter.js) shows this and is named by it, in the page's
        # language; the script has no catalogue of its own.
        field.widget.attrs["data-filter-placeholder"] = _("Type to filter organizations")
        # A link in the help, not the label: the error summary links each label to its field.
        self.fields["consent"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("privacy"),
            _("Read the privacy policy"),
        )

    def full_clean(self):
        if not (self.is_bound and self.throttled):
            return super().full_clean()
        # Checked before any field: the "already registered" answer of the number field
        # would otherwise keep telling, past the limit, which numbers have accounts.
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(
            None,
            forms.ValidationError(
                _("Too many registration attempts from your network. Try again in an hour."),
                code="throttled",
            ),
        )

    def clean_phone(self):
        return normalize_mobile(self.cleaned_data.get("phone"))

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."), code="password_mismatch")
        return second

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)

    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        user.save()
        user.groups.add(Group.objects.get(name=SUBMITTERS))
        return user
