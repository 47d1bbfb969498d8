"""Forms of the nomination (R33): the submitter's form and the moderators' filters."""

import json

from django import forms
from django.forms import inlineformset_factory
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from home.concurrency import FINGERPRINT_FIELD, fingerprint
from organizations.models import CHANNEL_CATEGORY_CHOICES

from .models import validate_http_url
from .nomination_models import (
    PARTICIPANTS_MESSAGE,
    SUMMARY_FIELDS,
    SUMMARY_MAX,
    Nomination,
    NominationReport,
    required_participants,
    summary_length_problem,
)

SUMMARY_HELP = {
    "basic_facts": _("Time, place, organisers, audience and what took place."),
    "main_results": _("What the activity achieved, with numbers where possible."),
    "highlights": _("What set it apart."),
    "resources": _("Science resources others can reuse: courses, videos, exhibits, kits."),
    "lessons": _("Experience and lessons for future activities."),
}

# Written by the completeness check and the moderators' marking, never by the form: a form
# opened before them still shows the material as stored.
UNTYPED_FIELDS = (
    "is_complete",
    "submitted_at",
    "recommended",
    "recommendation_note",
    "marked_by",
    "marked_at",
    "updated_at",
)


def material_fingerprint(nomination):
    """A digest of all the form writes, as stored: the nomination's fields and evidence
    photo, its photos and videos, and every media report's values (home/concurrency.py
    hashes one row; a resent form adds reports, photos and videos). For an activity with no
    nomination yet, that of an unsaved one: no stored nomination matches it, as its id is
    part of the digest."""
    if nomination.pk is None:
        return fingerprint(nomination, exclude=UNTYPED_FIELDS)
    parts = [fingerprint(nomination, ("photos", "videos"), UNTYPED_FIELDS)]
    parts += [fingerprint(report) for report in nomination.reports.order_by("pk")]
    return salted_hmac(
        "activities.nomination_forms.material", json.dumps(parts), algorithm="sha256"
    ).hexdigest()


def validate_summary_length(value):
    problem = summary_length_problem(value)
    if problem:
        raise forms.ValidationError(problem, code="length")


class NominationForm(forms.ModelForm):
    class Meta:
        model = Nomination
        fields = ["participants", *SUMMARY_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The material as it was when the form was opened. The view compares it under the
        # row's lock before it stores any upload, so StaleSaveFormMixin's check in clean(),
        # which runs after them, does not fit; nor does its "existing records only", as two
        # first saves are the likeliest collision. A posted form carries its own; after a
        # save the view passes the one it read inside its transaction.
        opened = self.is_bound or FINGERPRINT_FIELD in self.initial
        self.fields[FINGERPRINT_FIELD] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            initial=None if opened else material_fingerprint(self.instance),
        )
        participants = self.fields["participants"]
        participants.required = True
        participants.min_value = 0
        for name in SUMMARY_FIELDS:
            field = self.fields[name]
            field.required = True
            field.help_text = SUMMARY_HELP[name]
            field.widget = forms.Textarea(attrs={"rows": 4, "maxlength": SUMMARY_MAX})
            field.validators = [*field.validators, validate_summary_length]

    def clean_participants(self):
        count = self.cleaned_data.get("participants")
        page = self.instance.page
        needed = required_participants(page.mode)
        if count is not None and count < needed:
            raise forms.ValidationError(
                PARTICIPANTS_MESSAGE
                % {"mode": page.get_mode_display(), "needed": needed, "count": count},
                code="too_few_participants",
            )
        return count


class ReportForm(forms.ModelForm):
    url = forms.URLField(
        label=_("link"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_http_url],
        help_text=_("The report's web address, starting with http:// or https://."),
    )

    class Meta:
        model = NominationReport
        fields = ["title", "outlet", "url"]


class BaseReportFormSet(forms.BaseInlineFormSet):
    # Django's own, "Please submit at least 1 form.", says nothing of media reports.
    default_error_messages = {
        **forms.BaseInlineFormSet.default_error_messages,
        "too_few_forms": _("Add at least one media report."),
    }


ReportFormSet = inlineformset_factory(
    Nomination,
    NominationReport,
    form=ReportForm,
    formset=BaseReportFormSet,
    extra=1,
    min_num=1,
    validate_min=True,
    can_delete=True,
    max_num=20,
    validate_max=True,
    # Rows built at most, whatever TOTAL_FORMS a request claims (Django's default: 1,020).
    absolute_max=40,
)


class NominationFilterForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel category"),
        required=False,
        choices=[("", _("Any")), *CHANNEL_CATEGORY_CHOICES],
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    type = forms.ChoiceField(label=_("Activity type"), required=False)
    completeness = forms.ChoiceField(
        label=_("Completeness"),
        required=False,
        choices=[
            ("", _("Any")),
            ("complete", _("Complete material")),
            ("incomplete", _("Incomplete material")),
        ],
    )
    recommended = forms.ChoiceField(
        label=_("Recommended"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Recommended")), ("no", _("Not recommended"))],
    )

    def __init__(self, *args, **kwargs):
        from .listing import province_choices, type_choices

        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("Any")), *province_choices()]
        self.fields["type"].choices = [("", _("Any")), *type_choices()]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("channel"):
            queryset = queryset.filter(page__channel_category=data["channel"])
        if data.get("province"):
            queryset = queryset.filter(page__province_id=data["province"])
        if data.get("type"):
            queryset = queryset.filter(page__activity_type_id=data["type"])
        if data.get("completeness"):
            queryset = queryset.filter(is_complete=data["completeness"] == "complete")
        if data.get("recommended"):
            queryset = queryset.filter(recommended=data["recommended"] == "yes")
        return queryset


class MarkForm(forms.Form):
    recommended = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Recommend as an excellent activity")), ("0", _("Not recommended"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
