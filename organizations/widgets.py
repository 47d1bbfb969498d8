import re

from django import forms
from django.urls import reverse_lazy

from home.converters import is_db_id

from .choosers import OrganizationChooserWidget
from .models import Organization, Region

REGION_CODE = re.compile(r"[0-9]{6}")


class RegionSelect(forms.Select):
    """A select for one level of the province → city → county cascade. The browser script
    refills it from /organizations/regions/ when the level above changes, so a page never
    renders the 2,800 counties at once."""

    def __init__(self, level, parent_field=None, province_field=None, attrs=None):
        attrs = {
            **(attrs or {}),
            "data-region-level": level,
            "data-region-url": reverse_lazy("organizations:regions"),
        }
        if parent_field:
            attrs["data-region-parent"] = parent_field
        if province_field:
            attrs["data-region-province"] = province_field
        super().__init__(attrs=attrs)

    class Media:
        js = ["organizations/js/region-cascade.js"]


class CascadingRegionFormMixin:
    """Narrows the city and county choices to the children of the submitted (or saved)
    province and city. That keeps the rendered options short and makes a city from another
    province an invalid choice rather than a silent inconsistency."""

    region_fields = ("province", "city", "county")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        province_name, city_name, county_name = self.region_fields
        if province_name not in self.fields:
            return
        self.fields[province_name].queryset = Region.objects.filter(level=Region.Level.PROVINCE)
        province = self._region_value(province_name)
        city = self._region_value(city_name)
        # Which region the rendered options are the children of: a browser restoring the
        # form after Back restores a chosen city, not the options fetched for it, and the
        # script refills a list whose options belong to another region.
        if city_name in self.fields:
            self.fields[city_name].queryset = Region.objects.filter(
                level=Region.Level.CITY, parent_id=province
            )
            self.fields[city_name].widget.attrs["data-options-for"] = province or ""
        if county_name in self.fields:
            self.fields[county_name].queryset = Region.objects.filter(
                level=Region.Level.COUNTY, parent_id=city or province
            )
            self.fields[county_name].widget.attrs["data-options-for"] = city or province or ""

    def _region_value(self, name):
        if name not in self.fields:
            return None
        if self.is_bound:
            value = self.data.get(self.add_prefix(name))
            # Only a code narrows the choices below; anything else (PostgreSQL refuses a NUL
            # character in a query outright) leaves them empty and the field invalid.
            return value if isinstance(value, str) and REGION_CODE.fullmatch(value) else None
        value = self.initial.get(name)
        if value is None and self.instance is not None:
            value = getattr(self.instance, f"{name}_id", None)
        return getattr(value, "pk", value) or None


class LibraryChooserWidget(OrganizationChooserWidget):
    """The organization chooser, redrawn around a value that is no id: a form sent back
    with parent=abc or parent=1.5 (its field's error, "not one of the available choices")
    was a 500, the chooser looking the value up to show its name."""

    def get_instance(self, value):
        if value is not None and not isinstance(value, Organization) and not is_db_id(value):
            return None
        return super().get_instance(value)
