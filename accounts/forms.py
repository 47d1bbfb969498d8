import copy

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.account import AvatarPreferencesForm, NotificationPreferencesForm
from wagtail.admin.forms.auth import LoginForm
from wagtail.users.forms import UserCreationForm, UserEditForm

from activities.uploads import CheckedImageField
from home.concurrency import StaleSaveFormMixin

from . import roles
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
    error_messages = {
        **UserCreationForm.error_messages,
        # Wagtail's says "username", which our users never see: they log in with the number.
        "duplicate_username": _("An account with this mobile number already exists."),
    }

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


class ProvinceRoleMixin:
    """A province moderator reviews the activities of exactly one province (R2, R20): the
    role needs a province, and a province means nothing to any other role."""

    def clean(self):
        cleaned_data = super().clean()
        if "groups" not in self.fields or "province" not in self.fields:
            return cleaned_data
        groups = cleaned_data.get("groups")
        if groups is None:
            return cleaned_data
        moderates = any(group.name == roles.PROVINCE_MODERATORS for group in groups)
        province = cleaned_data.get("province")
        if moderates and province is None:
            self.add_error(
                "province",
                _("A province moderator reviews one province: choose it."),
            )
        elif province is not None and not moderates:
            self.add_error(
                "province",
                _("Only province moderators have a province; leave it empty for this role."),
            )
        return cleaned_data


class CertifiedOrganizationMixin:
    """The user's organization is one of the library's certified entries, or the one the
    user already has: the select offered pending and rejected requests too (R4)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("organization")
        if field is None:
            return
        from organizations.models import Organization

        current = self.instance.organization_id if self.instance.pk else None
        field.queryset = Organization.objects.filter(
            Q(status=Organization.Status.CERTIFIED) | Q(pk=current)
        )


class AccountCreationForm(
    CertifiedOrganizationMixin, ProvinceRoleMixin, MobileFieldMixin, UserCreationForm
):
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("Email"))

    class Meta(UserCreationForm.Meta):
        fields = USER_ADMIN_FIELDS


class AccountEditForm(
    StaleSaveFormMixin,
    CertifiedOrganizationMixin,
    ProvinceRoleMixin,
    MobileFieldMixin,
    UserEditForm,
):
    # Moving a moderator to another province changes whose desk the review tasks reach:
    # an older form must not put the province (or anything else) back.
    stale_message = _(
        "This user was changed by someone else after you opened this form. "
        "Reload it to see the changes, then make yours again."
    )
    # Written at each login; not a change anyone's form could undo.
    fingerprint_exclude = ("last_login",)

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
    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's adds that both fields may be case-sensitive: no mobile number is.
        "invalid_login": _("Enter a correct mobile number and password."),
    }

    username = UsernameField(
        max_length=LOGIN_NUMBER_MAX_LENGTH, widget=forms.TextInput(attrs={"autofocus": True})
    )


class AdminLoginForm(MobileLoginMixin, LoginForm):
    username = forms.CharField(max_length=LOGIN_NUMBER_MAX_LENGTH, widget=forms.TextInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Wagtail's field has no label, so Django derived an English "Password" from its name.
        self.fields["password"].label = _("Password")


class AvatarForm(AvatarPreferencesForm):
    """The account page's profile picture, checked as every other upload is (size, pixels
    counted before decoding, damaged files, web page code: activities/uploads.py). Wagtail's
    plain ImageField decoded any size of picture to shrink it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["avatar"]
        # Made per form, not on the class: the field words its limits in the request's
        # language and reads them from the settings when it is made.
        self.fields["avatar"] = CheckedImageField(
            label=field.label, required=False, widget=field.widget
        )


class NotificationsForm(NotificationPreferencesForm):
    """Wagtail offers the "submitted" switch only to users who may publish pages. A
    province moderator reviews through their step without that permission: every
    submission of their province was mailed to them with no switch to stop it, and so were
    replies to comments they left while reviewing."""

    REVIEWER_FIELDS = ("submitted_notifications", "updated_comments_notifications")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance.user
        if roles.in_group(user, roles.PROVINCE_MODERATORS) or roles.in_group(
            user, roles.NATIONAL_MODERATORS
        ):
            for name in self.REVIEWER_FIELDS:
                if name not in self.fields:
                    self.fields[name] = copy.deepcopy(self.base_fields[name])
            self.order_fields(self.Meta.fields)
        # The switch also governs the mail of new organization requests, for those who
        # certify them (organizations.notifications), who may not publish pages.
        from organizations.notifications import may_review

        reviews_requests = may_review(user)
        if reviews_requests and "submitted_notifications" not in self.fields:
            self.fields["submitted_notifications"] = copy.deepcopy(
                self.base_fields["submitted_notifications"]
            )
            self.order_fields(self.Meta.fields)
        if "submitted_notifications" in self.fields:
            self.fields["submitted_notifications"].help_text = (
                _("Receive an email when an activity or an organization request awaits your review")
                if reviews_requests
                else _("Receive an email when an activity awaits your review")
            )
