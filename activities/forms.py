import uuid

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.permissions import policy_registry

from home.converters import is_db_id
from organizations.models import Organization
from organizations.widgets import CascadingRegionFormMixin

from .constants import HTTP_URL_MESSAGE, MOMENT_FORMAT_MESSAGE, TITLE_MAX_LENGTH
from .panels import row_is_blank
from .text import rich_text_is_visible

RELATION_FIELDS = ("joint_action_categories", "special_action_categories")
RELATION_FORMSETS = ("partner_departments", "partner_societies")
# Each flag of R11 and what it asks for when "yes". At "no" its follow-up is neither judged
# nor kept: the public page, the API and the feeds show only what a "yes" asks for.
FOLLOW_UPS = {
    "is_joint_action": "joint_action_categories",
    "is_special_action": "special_action_categories",
    "has_partner_departments": "partner_departments",
    "has_partner_societies": "partner_societies",
    "supports_reservation": "reservation_url",
}
IMAGE_NOT_YOURS_MESSAGE = _(
    "The details show an image that is not yours to use (another unit's upload or a "
    "nomination photo); its picture is hidden below. Remove it and insert one of your own "
    "images with the editor's image button."
)
MISSING_PAGE_MESSAGE = _(
    "A link in the details leads to a page that does not exist. Remove the link or choose "
    "the page again."
)
# Select inputs that hold ids, besides the choosers.
ID_SELECTS = ("activity_type", *RELATION_FIELDS)
# What decides an activity's review route and province (R19, R20).
ROUTING_FIELDS = {"channel", "channel_category"}
SUBMIT_ACTIONS = ("action-submit", "action-restart-workflow")
# Hidden inputs of the choosers (the poster, the channel, a unit's organization) hold ids.
CHOOSER_FIELDS = ("poster", "channel")
CHOOSER_SUFFIX = "-organization"


def without_impossible_ids(data):
    """`data` with a chooser or select value no row can have ("abc", "1.5", twenty digits)
    emptied: only a forged request sends one, and Wagtail's chooser widgets, asked to show
    it again beside the form's errors, looked it up and failed (a 500), as did a select
    given a number past SQLite's 64 bits. The field then says what is missing, as for an
    empty choice; a ticked category that cannot exist is left out."""
    if data is None or not hasattr(data, "getlist"):
        return data
    keys = [
        key
        for key in data
        if key in CHOOSER_FIELDS or key in ID_SELECTS or key.endswith(CHOOSER_SUFFIX)
    ]
    impossible = [
        key for key in keys if any(value and not is_db_id(value) for value in data.getlist(key))
    ]
    if not impossible:
        return data
    data = data.copy()
    for key in impossible:
        values = data.getlist(key)
        if key in RELATION_FIELDS:
            data.setlist(key, [value for value in values if is_db_id(value)])
        else:
            data.setlist(key, [value if is_db_id(value) else "" for value in values])
    return data


def leave_unjudged(row):
    """Spares a new unit row that names no unit the model's rules (ActivityUnit.clean). On
    a draft such a row is no row: the formset drops it on save (drop_blank_rows). It was
    judged all the same, because Django skips only an extra form that may be empty and is
    unchanged, and this one was neither: the editor's host row is built while the formset
    asks for one row (Wagtail lowers the minimum for a draft only afterwards), and the
    position Wagtail fills in for every row counts as a change. Its "pick a unit or type
    its name" then stood beside a draft's real error. Its fields are still cleaned, so
    the editor shown again keeps the row in its place."""
    row._post_clean = lambda: None


class ActivityPageForm(CascadingRegionFormMixin, WagtailAdminPageForm):
    """The editor form. The rules themselves live on ActivityPage; this form feeds them
    what only the form knows before saving (ticked categories, inline rows) and runs the
    submission rules when the submitter presses "submit"."""

    creation_token = forms.RegexField(
        regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(without_impossible_ids(data), *args, **kwargs)
        if self.instance.pk:
            del self.fields["creation_token"]
        else:
            self.fields["creation_token"].initial = uuid.uuid4().hex
        title = self.fields["title"]
        title.max_length = TITLE_MAX_LENGTH
        # No maxlength on the box: a browser cuts a pasted 57-character name to its first
        # 50 without a word, and the unit files a name it never wrote. The rule's message
        # says how long it is and keeps all of it to shorten.
        title.widget.attrs.pop("maxlength", None)
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
        for name in ("start_at", "end_at"):
            if name in self.fields:
                # The format was only in the placeholder, gone once typing began; Django's
                # "Enter a valid date/time" did not say what would do.
                self.fields[name].error_messages["invalid"] = MOMENT_FORMAT_MESSAGE
        self._offer_active_options()
        self._offer_choosable_posters()
        self._offer_partner_kinds()
        self._withdraw_follow_ups()
        # The images already in the details stay, like the poster the activity has.
        from .rich_text import embedded_image_ids

        self._stored_image_ids = embedded_image_ids(self.instance.details)
        host_units = self.formsets.get("host_units")
        if host_units is not None:
            host_units.error_messages = {
                **host_units.error_messages,
                "too_few_forms": _("Add at least one host unit."),
            }
            if self.is_bound and not self.is_submission:
                # A draft may be saved before its host unit is known, as every other
                # required item may: the empty row the editor shows was refused ("pick a
                # unit or type its name") on another tab. Submitting still needs one.
                host_units.validate_min = False
                host_units.drop_blank_rows = True
                for row in host_units.forms:
                    if row.instance.pk is None and row_is_blank(row):
                        leave_unjudged(row)

    def _choosable_images(self):
        """The images the user may choose (their own uploads for a submitter, never
        nomination material: accounts/upload_policy.py), as the image chooser lists them."""
        return policy_registry.get_by_type(get_image_model()).instances_user_has_permission_for(
            self.for_user, "choose"
        )

    def _offer_choosable_posters(self):
        """The poster is one of the images the user may choose or the one the activity
        has: the chooser shows no other, and a forged id must not attach another unit's
        image."""
        field = self.fields.get("poster")
        if field is None or self.for_user is None:
            return
        current = self.initial.get("poster")
        field.queryset = field.queryset.model.objects.filter(
            models.Q(pk__in=self._choosable_images().values("pk"))
            | models.Q(pk=getattr(current, "pk", current))
        )

    def _offer_partner_kinds(self):
        """A partner department or society picked from the library is of its kind (R11)."""
        for name in RELATION_FORMSETS:
            formset = self.formsets.get(name)
            if formset is None:
                continue
            unit = formset.model  # PartnerDepartment, PartnerSociety
            for form in formset.forms:
                field = form.fields.get("organization")
                if field is None:
                    continue
                field.queryset = field.queryset.filter(category__in=unit.organization_categories)
                field.error_messages = {
                    **field.error_messages,
                    "invalid_choice": unit.organization_kind_message,
                }

    def _flag(self, name):
        """The value of a yes/no field as this form has it (sent, or else initial)."""
        field = self.fields.get(name)
        if field is None:
            return bool(getattr(self.instance, name, False))
        if not self.is_bound:
            return bool(self[name].value())
        value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        try:
            return bool(field.clean(value))
        except forms.ValidationError:
            return False

    def _withdraw_follow_ups(self):
        """The follow-ups whose flag is "no" (R11): rows are then neither judged nor kept,
        and clean() empties the other follow-ups."""
        self._withdrawn = {
            follow_up for flag, follow_up in FOLLOW_UPS.items() if not self._flag(flag)
        }
        for name in RELATION_FORMSETS:
            formset = self.formsets.get(name)
            if formset is not None and name in self._withdrawn:
                formset.withdrawn = True

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
        for name in self._withdrawn - set(RELATION_FORMSETS):
            # What a "no" leaves behind is neither judged nor kept (R11).
            self._errors.pop(name, None)
            field = self.fields.get(name)
            if field is None:
                continue
            if isinstance(field, forms.ModelMultipleChoiceField):
                cleaned[name] = field.queryset.none()
            else:
                cleaned[name] = ""
        # In-memory many-to-many and inline values are only attached to the page on save;
        # hand their counts to the model's R11 rules now.
        counts = {name: len(cleaned.get(name) or []) for name in RELATION_FIELDS}
        for name in RELATION_FORMSETS:
            counts[name] = self._filled_rows(self.formsets.get(name))
        self.instance._pending_relation_counts = counts
        if "creation_token" in self.fields:
            created = self._already_created()
            if created is not None:
                self.add_error(
                    None,
                    _(
                        "This form already created the activity “%(title)s” (it was sent "
                        "twice, or from another tab). Open it from the user centre to go on "
                        "editing; to add another activity, start a new one."
                    )
                    % {"title": created.title},
                )
            self.instance.creation_token = cleaned.get("creation_token") or ""
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
                user=self.for_user,
            )
            for field, messages in errors.items():
                for message in messages:
                    self.add_error(None if field == "__all__" else field, message)
        # A field already refused is not judged again by the model's rules (a link refused
        # as a link is not also "missing"; a start refused as past is not compared with the
        # end: the model would compare the stored start, the new one being left out).
        self.instance._invalid_fields = set(self.errors)
        return cleaned

    def _already_created(self):
        """The activity this very form created already, if any: the form is then kept as
        typed with a message naming it, instead of creating a second activity (a second
        tab, the back button after creating, a request retried after a timeout)."""
        token = self.cleaned_data.get("creation_token")
        if not token or self.for_user is None:
            return None
        return (
            type(self.instance)
            .objects.filter(owner=self.for_user.pk, creation_token=token)
            .only("title")
            .first()
        )

    def clean_details(self):
        """Empty paragraphs (Enter pressed in an empty editor), spaces or full-width spaces
        are no details (R13): required means something a visitor can read. Its images and
        page links are what the editor's buttons insert (R2, R12, R13)."""
        details = self._checked_references(self.cleaned_data.get("details") or "")
        if rich_text_is_visible(details):
            return details
        if self.fields["details"].required:
            raise forms.ValidationError(
                self.fields["details"].error_messages["required"], code="required"
            )
        return ""

    def _checked_references(self, details):
        """`details` with only the images and page links the editor's buttons insert.

        Data they never produce (an id that is no number, an image format that is not
        registered: only a forged request sends it) is left out, as the rest of such a
        request's markup is (activities/rich_text.py): stored, it made the editor, the
        preview and the public page answer 500. An image the user may not choose (another
        unit's upload, a nomination photo: R2, R33; as for the poster, R12) and a link to a
        page that does not exist are refused with a message."""
        # Here: activities.rich_text loads Wagtail's admin, which needs the models ready.
        from . import rich_text

        details = rich_text.without_bad_references(details)
        _images, links = rich_text.references(details)
        problems = []
        refused = rich_text.embedded_image_ids(details) - self._stored_image_ids
        if refused and self.for_user is not None:
            allowed = set(
                self._choosable_images().filter(pk__in=refused).values_list("pk", flat=True)
            )
            refused -= allowed
        elif refused:
            refused -= set(
                get_image_model().objects.filter(pk__in=refused).values_list("pk", flat=True)
            )
        if refused:
            # The text comes back with the form's errors: without the picture.
            self.fields["details"].widget.concealed_image_ids = frozenset(refused)
            problems.append(IMAGE_NOT_YOURS_MESSAGE)
        page_ids = {int(attrs["id"]) for attrs in links if is_db_id(attrs.get("id", ""))}
        if page_ids and Page.objects.filter(pk__in=page_ids).count() < len(page_ids):
            problems.append(MISSING_PAGE_MESSAGE)
        if problems:
            raise forms.ValidationError(problems)
        return details

    @property
    def is_submission(self):
        # Restarting the review after changes were requested submits as well.
        return any(action in self.data for action in SUBMIT_ACTIONS)

    def _filled_rows(self, formset):
        if formset is None or getattr(formset, "withdrawn", False):
            return 0
        return sum(
            1
            for form in formset.forms
            if not self.data.get(form.add_prefix("DELETE")) and not row_is_blank(form)
        )
