from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from home.concurrency import StaleSaveFormMixin

from .models import Organization
from .widgets import CascadingRegionFormMixin


class OrganizationAdminForm(StaleSaveFormMixin, CascadingRegionFormMixin, WagtailAdminModelForm):
    stale_message = _(
        "This organization was changed by someone else after you opened this form. "
        "Reload it to see the changes, then make yours again."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is not None and self.instance.status != Organization.Status.PENDING:
            # A certification or rejection stays on record; a later decision may replace
            # it, but nothing turns a decided entry back into an open request.
            status.choices = [
                choice for choice in status.choices if choice[0] != Organization.Status.PENDING
            ]
