from html import unescape

from django import forms
from django.db import models
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.permissions import policy_registry

from home.converters import is_db_id
from organizations.models import Organization
from organizations.widgets import CascadingRegionFormMixin

from .constants import HTTP_URL_MESSAGE, TITLE_MAX_LENGTH

RELATION_FIELDS = ("joint_action_categories", "special_action_categories")
RELATION_FORMSETS = ("partner_departments", "partner_societies")
# What decides an activity's review route and province (R19, R20).
ROUTING_FIELDS = {"channel", "channel_category"}
SUBMIT_ACTIONS = ("action-submit", "action-restart-workflow")
# Hidden inputs of the choosers (the poster, the channel, a unit's organization) hold ids.
CHOOSER_FIELDS = ("poster", "channel")
CHOOSER_SUFFIX = "-organization"


def has_visible_content(html):
    """Whether rich text shows anything: text other than whitespace, or an image or embed."""
    if "<embed" in html or "<img" in html:
        return True
    return bool(unescape(strip_tags(html)).strip())


def without_impossible_ids(data):
    """`data` with a chooser value no row can have ("abc", "1.5", twenty digits) emptied:
    only a forged request sends one, and Wagtail's chooser widgets, asked to show it again
    beside the form's errors, looked it up and failed (a 500). The field then says what
    is missing, as for an empty choice."""
    if data is None or not hasattr(data, "getlist"):
        return data
    keys = [key for key in data if key in CHOOSER_FIELDS or key.endswith(CHOOSER_SUFFIX)]
    impossible = [
        key for key in keys if any(value and not is_db_id(value) for value in data.getlist(key))
    ]
    if not impossible:
        return data
    data = data.copy()
    for key in impossible:
        data.setlist(key, [value if is_db_id(value) else "" for value in data.getlist(key)])
    return data


class ActivityPageForm(CascadingRegionFormMixin, WagtailAdminPageForm):
    """The editor form. The rules themselves live on ActivityPage; this form feeds them
    what only the form knows before saving (ticked categories, inline rows) and runs the
    submission rules when the submitter presses "submit"."""

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(without_impossible_ids(data), *args, **kwargs)
        title = self.fields["title"]
        title.max_length = TITLE_MAX_LENGTH
        title.widget.attrs["maxlength"] = TITLE_MAX_LENGTH
        title.help_text = _(
            "The full name, at most 50 characters, showing what the activity is and "
            "distinguishable from other activities."
        )
        if "slug" in self.fields:
            # Submitters need not think about URLs: Wagtail derives a unique slug from the
            # name when it is left empty.
            self.fields["slug"].required = False
        if "channel" in self.fields:
            self.fields["channel"].queryset = Organization.objects.certified()
        if "reservation_url" in self.fields:
            # Django's generic "Enter a valid URL" would hide what is actually required.
            self.fields["reservation_url"].error_messages["invalid"] = HTTP_URL_MESSAGE
        self._offer_active_options()
        self._offer_choosable_posters()
        host_units = self.formsets.get("host_units")
        if host_units is not None:
            host_units.error_messages = {
                **host_units.error_messages,
                "too_few_forms": _("Add at least one host unit."),
            }

    def _offer_choosable_posters(self):
        """The poster is one of the images the user may choose (their own uploads for a
        submitter, accounts/upload_policy.py) or the one the activity has: the chooser
        shows no other, and a forged id must not attach another unit's image."""
        field = self.fields.get("poster")
        if field is None or self.for_user is None:
            return
        choosable = policy_registry.get_by_type(
            field.queryset.model
        ).instances_user_has_permission_for(self.for_user, "choose")
        current = self.initial.get("poster")
        field.queryset = field.queryset.model.objects.filter(
            models.Q(pk__in=choosable.values("pk")) | models.Q(pk=getattr(current, "pk", current))
        )

    def _offer_active_options(self):
        """Retired types and categories stay on the activities that have them, but are
        not offered for new choices."""
        for name in ("activity_type", "joint_action_categories", "special_action_categories"):
            field = self.fields.get(name)
            if field is None:
                continue
            current = self.initial.get(name)
            if hasattr(current, "__iter__") and not isinstance(current, str):
                keep = [getattr(item, "pk", item) for item in current]
            else:
                keep = [getattr(current, "pk", current)] if current else []
            model = field.queryset.model
            field.queryset = model.objects.filter(models.Q(is_active=True) | models.Q(pk__in=keep))

    def clean(self):
        cleaned = super().clean()
        # In-memory many-to-many and inline values are only attached to the page on save;
        # hand their counts to the model's R11 rules now.
        counts = {name: len(cleaned.get(name) or []) for name in RELATION_FIELDS}
        for name in RELATION_FORMSETS:
            counts[name] = self._filled_rows(self.formsets.get(name))
        self.instance._pending_relation_counts = counts
        rerouting = self.instance.pk and ROUTING_FIELDS & set(self.changed_data)
        if rerouting and self.instance.workflow_in_progress:
            self.add_error(
                "channel",
                _(
                    "The responsible channel cannot change while the activity is under "
                    "review: it decides who reviews it. Request changes and name the "
                    "right channel; the submitter corrects it and submits again."
                ),
            )
        if self.is_submission:
            parent = self.parent_page or (self.instance.get_parent() if self.instance.pk else None)
            errors = self.instance.submission_errors(
                site=parent.get_site() if parent else None,
                start_at=cleaned.get("start_at"),
                contact_phone=cleaned.get("contact_phone"),
            )
            for field, messages in errors.items():
                for message in messages:
                    self.add_error(None if field == "__all__" else field, message)
        # A field already refused is not judged again by the model's rules (a link refused
        # as a link is not also "missing"; a start refused as past is not compared with the
        # end: the model would compare the stored start, the new one being left out).
        self.instance._invalid_fields = set(self.errors)
        return cleaned

    def clean_details(self):
        """Empty paragraphs (Enter pressed in an empty editor), spaces or full-width spaces
        are no details (R13): required means something a visitor can read."""
        details = self.cleaned_data.get("details") or ""
        if has_visible_content(details):
            return details
        if self.fields["details"].required:
            raise forms.ValidationError(
                self.fields["details"].error_messages["required"], code="required"
            )
        return ""

    @property
    def is_submission(self):
        # Restarting the review after changes were requested submits as well.
        return any(action in self.data for action in SUBMIT_ACTIONS)

    def _filled_rows(self, formset):
        if formset is None:
            return 0
        rows = 0
        for form in formset.forms:
            if self.data.get(form.add_prefix("DELETE")):
                continue
            values = [self.data.get(form.add_prefix(key), "") for key in ("organization", "name")]
            if any(value.strip() for value in values):
                rows += 1
        return rows
