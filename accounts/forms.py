from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm
from wagtail.users.forms import UserCreationForm, UserEditForm

from .validators import normalize_mobile

# Wagtail's user forms assume first/last name; our users have one real name, a
# verification flag and, for moderators, a province.
USER_ADMIN_FIELDS = [
    "phone",
    "real_name",
    "email",
    "is_real_name_verified",
    "province",
    "organization",
    "is_superuser",
    "groups",
]


class MobileFieldMixin:
    def clean_phone(self):
        return normalize_mobile(self.cleaned_data.get("phone"))

    def _clean_fields(self):
        # Wagtail's duplicate check runs inside _clean_fields on the raw value; normalise
        # first so "+86 138..." and "138..." are seen as the same account.
        if self.is_bound and "phone" in self.data:
            data = self.data.copy()
            data["phone"] = normalize_mobile(data.get("phone"))
            self.data = data
        super()._clean_fields()


class AccountCreationForm(MobileFieldMixin, UserCreationForm):
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("Email"))

    class Meta(UserCreationForm.Meta):
        fields = USER_ADMIN_FIELDS


class AccountEditForm(MobileFieldMixin, UserEditForm):
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("Email"))

    class Meta(UserEditForm.Meta):
        fields = [*USER_ADMIN_FIELDS, "is_active"]


# Long enough for "+86 138 0013 8000"; bounded so nothing longer reaches authentication.
LOGIN_NUMBER_MAX_LENGTH = 20


class MobileLoginMixin:
    """Both login forms take the number as people type it (+86, spaces, full-width digits)
    and authenticate with the stored 11 digits, so login throttling counts one account
    however it is spelled (issue #9)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets maxlength from the model field (11), which cut off numbers
        # typed with a prefix or spaces in the browser.
        attrs = self.fields["username"].widget.attrs
        attrs.update(
            {"maxlength": LOGIN_NUMBER_MAX_LENGTH, "autocomplete": "username", "inputmode": "tel"}
        )

    def clean_username(self):
        return normalize_mobile(self.cleaned_data.get("username"))


class SiteLoginForm(MobileLoginMixin, AuthenticationForm):
    username = UsernameField(
        max_length=LOGIN_NUMBER_MAX_LENGTH, widget=forms.TextInput(attrs={"autofocus": True})
    )


class AdminLoginForm(MobileLoginMixin, LoginForm):
    username = forms.CharField(max_length=LOGIN_NUMBER_MAX_LENGTH, widget=forms.TextInput())
