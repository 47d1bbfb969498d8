"""A save from an admin form opened before someone else saved the same record is refused.

A model form writes every field it shows: a second administrator whose form was opened
earlier put back all that the first one had changed, without either of them knowing.
The form carries a fingerprint of the record as it was when opened; on POST, with the
row locked until the save is written, a record that no longer matches it is not saved
and the form comes back with what was typed. Wagtail's page editor has this check for
activities (activities.page_admin); the library and the user admin did not.
"""

import json

from django import forms
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

FINGERPRINT_FIELD = "record_fingerprint"


def fingerprint(instance, many_to_many=(), exclude=()):
    """A digest of the record's stored values: every concrete field but `exclude`, and the
    named many-to-many relations (what a form writes besides the row, such as groups).
    Keyed by SECRET_KEY, as the page carries it and a user's row holds their password hash."""
    values = []
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        raw = getattr(instance, field.attname)
        values.append([field.attname, None if raw is None else field.value_to_string(instance)])
    for name in many_to_many:
        related = getattr(instance, name).order_by("pk").values_list("pk", flat=True)
        values.append([name, [str(pk) for pk in related]])
    payload = json.dumps([instance._meta.label, str(instance.pk), values], ensure_ascii=False)
    return salted_hmac("home.concurrency.fingerprint", payload, algorithm="sha256").hexdigest()


class StaleSaveFormMixin:
    """For a model form editing an existing record. Set `stale_message`; list in
    `fingerprint_exclude` the fields that change without anyone editing the record (a
    user's last_login), which would refuse saves for nothing.

    The view must run its POST in one transaction (LockedSaveViewMixin), so that the row
    lock taken here is held until the save. A POST without the field is not checked:
    such a client never saw the record (scripts, forms opened before this check)."""

    stale_message = None
    fingerprint_exclude = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        # Fixed here, before a view removes fields it hides from this user: the form that
        # was opened and the form that is posted must hash the same relations.
        self._fingerprinted_m2m = [
            field.name for field in self.instance._meta.many_to_many if field.name in self.fields
        ]
        self.fields[FINGERPRINT_FIELD] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            initial=self.record_fingerprint(self.instance),
        )

    def record_fingerprint(self, instance):
        return fingerprint(instance, self._fingerprinted_m2m, self.fingerprint_exclude)

    def clean(self):
        cleaned_data = super().clean()
        opened_on = self.cleaned_data.get(FINGERPRINT_FIELD)
        if opened_on and self.instance.pk is not None:
            model = type(self.instance)
            with transaction.atomic():
                current = model._base_manager.select_for_update().filter(pk=self.instance.pk)
                current = current.first()
            if current is None or not constant_time_compare(
                opened_on, self.record_fingerprint(current)
            ):
                self.add_error(None, forms.ValidationError(self.stale_message, code="stale"))
        return cleaned_data


class LockedSaveViewMixin:
    """Runs a form view's POST in one transaction: the lock StaleSaveFormMixin takes on
    the record is then held from its check until the save is written, so two saves of
    forms opened on the same version cannot both pass it."""

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().post(request, *args, **kwargs)
