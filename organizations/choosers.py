from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import (
    ChooseResultsView,
    ChooseView,
    ChosenMultipleView,
    ChosenView,
)
from wagtail.admin.viewsets.chooser import ChooserViewSet

from home.converters import is_db_id

from .models import Organization
from .queries import clean_keyword, match_keyword


class OrganizationFilterForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Part of the name, e.g. 广东")}),
    )

    def filter(self, objects):
        keyword = clean_keyword(self.cleaned_data.get("q"))
        if keyword:
            self.is_searching = True
            self.search_query = keyword
            objects = match_keyword(objects, keyword)
        return objects


class OrganizationChooseMixin:
    filter_form_class = OrganizationFilterForm
    # Says where to ask for a missing organization (R4): the onboarding form was linked
    # from nowhere a new submitter could reach.
    results_template_name = "organizations/chooser_results.html"

    def get_object_list(self):
        # Only certified organizations can be picked (R4); the category comes from the
        # linked category field of the form as ?category=, the kinds a partner unit may be
        # (R11) as ?kinds=ministry,other.
        objects = Organization.objects.certified().select_related("province")
        kinds = [
            kind
            for kind in self.request.GET.get("kinds", "").split(",")
            if kind in Organization.Category.values
        ]
        return objects.filter(category__in=kinds) if kinds else objects

    @property
    def columns(self):
        title = self.title_column
        title.label = _("Name")
        return [
            title,
            Column("category", label=_("Category"), accessor="get_category_display"),
            Column("province", label=_("Province"), accessor="province"),
        ]


class OrganizationChooseView(OrganizationChooseMixin, ChooseView):
    pass


class OrganizationChooseResultsView(OrganizationChooseMixin, ChooseResultsView):
    pass


class OrganizationChosenView(ChosenView):
    def get_object(self, pk):
        # The chooser answers anyone in the admin, so an id must not reveal a pending or
        # rejected request (R4); and an id that is no number is no row (R5), not a 500.
        if not is_db_id(pk):
            raise Organization.DoesNotExist
        return Organization.objects.certified().get(pk=pk)


class OrganizationChosenMultipleView(ChosenMultipleView):
    def get_objects(self, pks):
        return Organization.objects.certified().filter(pk__in=[pk for pk in pks if is_db_id(pk)])


class OrganizationChooserViewSet(ChooserViewSet):
    model = Organization
    icon = "group"
    choose_one_text = _("Choose an organization")
    choose_another_text = _("Choose another organization")
    edit_item_text = _("Edit organization")
    url_filter_parameters = ["category"]
    preserve_url_parameters = ["multiple", "category", "kinds"]
    per_page = 20
    choose_view_class = OrganizationChooseView
    choose_results_view_class = OrganizationChooseResultsView
    chosen_view_class = OrganizationChosenView
    chosen_multiple_view_class = OrganizationChosenMultipleView
    # The library is edited in its own admin; the chooser never creates entries.
    creation_form_class = None


organization_chooser_viewset = OrganizationChooserViewSet("organization_chooser")
OrganizationChooserWidget = organization_chooser_viewset.widget_class


class OrganizationOfKindsChooserWidget(OrganizationChooserWidget):
    """The chooser offering only organizations of `categories` (a partner department
    picks a ministry or a department, a partner society a society: R11)."""

    def __init__(self, categories, **kwargs):
        super().__init__(**kwargs)
        self.categories = tuple(categories)

    def get_chooser_modal_url(self):
        query = urlencode({"kinds": ",".join(self.categories)})
        return f"{super().get_chooser_modal_url()}?{query}"
