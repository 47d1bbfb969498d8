from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_contact_phone

from .models import Organization
from .widgets import CascadingRegionFormMixin, RegionSelect

REGION_WIDGETS = {
    "province": RegionSelect("province"),
    "city": RegionSelect("city", parent_field="id_province"),
    "county": RegionSelect("county", parent_field="id_city", province_field="id_province"),
}


# Requests one account may have waiting for review at a time.
MAX_WAITING_REQUESTS = 5


class OnboardingForm(CascadingRegionFormMixin, forms.ModelForm):
    """组织入驻 (R4): a signed-in user asks for an organization to join the library."""

    class Meta:
        model = Organization
        fields = [
            "name",
            "category",
            "province",
            "city",
            "county",
            "contact_person",
            "contact_phone",
            "contact_email",
            "address",
            "note",
        ]
        widgets = {**REGION_WIDGETS, "note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "name": _("The full name exactly as on the organization's official seal."),
            "note": _("Anything that helps the administrators verify the organization."),
        }

    def __init__(self, *args, requester=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.requester = requester
        for name in ("contact_person", "contact_phone"):
            self.fields[name].required = True
        # On the request only: entries already in the library keep what they hold.
        self.fields["contact_phone"].validators.append(validate_contact_phone)

    def clean(self):
        cleaned = super().clean()
        # A unit asks for its own organization and perhaps a partner or two; an account
        # filing dozens (30 took under a second) only buries the reviewers' list.
        if self.requester is not None:
            waiting = Organization.objects.pending().filter(requested_by=self.requester).count()
            if waiting >= MAX_WAITING_REQUESTS:
                raise forms.ValidationError(
                    _(
                        "You have %(count)d requests waiting for review; please wait for "
                        "their decision before asking for more."
                    )
                    % {"count": waiting},
                    code="too_many_waiting",
                )
        return cleaned

    def save(self, requested_by, commit=True):
        organization = super().save(commit=False)
        organization.status = Organization.Status.PENDING
        organization.requested_by = requested_by
        if commit:
            organization.save()
        return organization


class ReviewForm(forms.Form):
    """Certify or reject a selection of pending requests at once."""

    organizations = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.pending(), widget=forms.CheckboxSelectMultiple
    )
    action = forms.ChoiceField(
        choices=[("certify", _("Certify")), ("reject", _("Reject"))],
        widget=forms.HiddenInput,
        # The buttons send the action: Django's "This field is required." would point at no
        # visible field.
        error_messages={
            "required": _("Choose whether to certify or reject the selected requests."),
            "invalid_choice": _("Choose whether to certify or reject the selected requests."),
        },
    )
    reason = forms.CharField(
        label=_("Reason for rejection"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give the reason for the rejection."))
        return cleaned
