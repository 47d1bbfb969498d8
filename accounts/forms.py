from django import forms
from django.utils.translation import gettext_lazy as _
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
