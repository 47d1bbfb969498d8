from wagtail.admin.forms import WagtailAdminModelForm

from .widgets import CascadingRegionFormMixin


class OrganizationAdminForm(CascadingRegionFormMixin, WagtailAdminModelForm):
    pass
