"""Inline panels of units (host, organizer, partner units): rows a request cannot multiply,
no unit twice, and one error per field."""

from django.utils.translation import gettext_lazy as _
from modelcluster.forms import BaseChildFormSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import InlinePanel

from .names import normalize_name

# Far more host, organizer or partner units than any activity lists.
MAX_ROWS = 100

DUPLICATE_UNIT_MESSAGE = _("This unit is already listed above. Remove one of the two.")


def row_is_blank(form):
    """Whether a unit row, as posted, names no unit (neither a library pick nor a name)."""
    values = [form.data.get(form.add_prefix(key)) or "" for key in ("organization", "name")]
    return not any(value.strip() for value in values)


class BoundedChildFormSet(BaseChildFormSet):
    """At most MAX_ROWS rows are built, whatever TOTAL_FORMS a request claims. A forged
    TOTAL_FORMS of 100,000,000 made one editor request build and render 2,000 empty forms
    (Django's cap), 14 s of both cores; Django still refuses a count above that cap with its
    own message.

    A unit is listed once (R14): a row naming the organization or the name (compared as
    activities.names compares names) of a row above it is refused.

    `withdrawn` (set by the editor's form when the row's flag says "no", R11): every row is
    deleted on save and none is judged. `drop_blank_rows`: see below."""

    withdrawn = False
    # Set by the editor's form for a draft: a new row left blank is no row (the host row
    # the editor shows empty), rather than a row missing its unit.
    drop_blank_rows = False

    def total_form_count(self):
        return min(super().total_form_count(), MAX_ROWS)

    def _should_delete_form(self, form):
        return (
            self.withdrawn
            or (self.drop_blank_rows and self._is_blank_new_row(form))
            or super()._should_delete_form(form)
        )

    @staticmethod
    def _is_blank_new_row(form):
        return form.instance.pk is None and row_is_blank(form)

    def clean(self):
        super().clean()
        if self.withdrawn:
            return
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or form.errors or self._should_delete_form(form):
                continue
            organization = data.get("organization")
            name = normalize_name(organization.name if organization else data.get("name"))
            keys = {("name", name)} if name else set()
            if organization is not None:
                keys.add(("organization", organization.pk))
            if keys & seen:
                field = "organization" if organization is not None else "name"
                form.add_error(field, DUPLICATE_UNIT_MESSAGE)
            seen |= keys


class OneErrorPerFieldMixin:
    """Once a field is refused by its own validation, the model's clean() judges a row
    without that value and its errors mislead: a name refused as too long, or a library
    pick refused as of the wrong kind, left the row empty to the model, which then asked
    to pick a unit or type its name. The field's own error says what is wrong."""

    def _update_errors(self, errors):
        if self._errors:
            return
        super()._update_errors(errors)


class UnitForm(OneErrorPerFieldMixin, WagtailAdminModelForm):
    pass


class BoundedInlinePanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        formset = options["formsets"][self.relation_name]
        formset["formset"] = BoundedChildFormSet
        base = formset.get("form")
        formset["form"] = (
            UnitForm if base is None else type(base.__name__, (OneErrorPerFieldMixin, base), {})
        )
        return options
