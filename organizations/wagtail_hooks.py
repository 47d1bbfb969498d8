import datetime

from django.contrib.admin.utils import lookup_field
from django.db import transaction
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.log_actions import LogFormatter
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import CreateView, EditView, IndexView

from home.spreadsheets import as_text

from .admin_views import REVIEW_PERMISSION, review_requests
from .choosers import organization_chooser_viewset
from .decisions import decide, log_decision
from .forms import REGION_WIDGETS
from .models import Organization


class OrganizationIndexView(IndexView):
    def to_row_dict(self, item):
        # Wagtail's own rows carry codes, UTC microseconds and its "-" placeholder for an
        # empty value, which the formula guard then writes as "'-". Readers want the labels
        # they see in the admin, their own clock and empty cells (R3, R34).
        row = {}
        for name in self.list_export:
            field, _attr, value = lookup_field(name, item, self.model_admin)
            if getattr(field, "choices", None):
                value = getattr(item, f"get_{name}_display")()
            elif isinstance(value, datetime.datetime):
                value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            row[name] = "" if value is None else value
        return row

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        # Names and contacts come from onboarding requests (R4); Wagtail keeps XLSX cells
        # text but writes CSV cells as they are.
        return as_text(value) if export_format == self.FORMAT_CSV else value


class DecisionFormMixin:
    """A status set in the library's own forms is a decision like those of the review page
    (R4): it gets its time and its audit log entry, a rejection with the reason."""

    def form_valid(self, form):
        organization = form.instance
        decided = (
            "status" in form.changed_data and organization.status != Organization.Status.PENDING
        )
        if decided:
            decide(organization, organization.status, organization.rejection_reason)
        with transaction.atomic():
            response = super().form_valid(form)
            if decided:
                log_decision(self.instance, self.request.user)
        return response


class OrganizationCreateView(DecisionFormMixin, CreateView):
    pass


class OrganizationEditView(DecisionFormMixin, EditView):
    pass


class OrganizationAdmin(ModelAdmin):
    """The organization library (组织库): administrators only, through model permissions."""

    model = Organization
    menu_label = _("Organization library")
    menu_icon = "group"
    menu_order = 250
    list_display = ("name", "category", "province", "city", "county", "status", "updated_at")
    list_filter = ("category", "status", "province")
    search_fields = ("name", "short_name")
    list_per_page = 50
    list_export = (
        "name",
        "short_name",
        "category",
        "province",
        "city",
        "county",
        "parent",
        "status",
        "contact_person",
        "contact_phone",
        "contact_email",
        "address",
        "created_at",
    )
    export_filename = "organizations"
    index_view_class = OrganizationIndexView
    create_view_class = OrganizationCreateView
    edit_view_class = OrganizationEditView
    ordering = ("category", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("province", "city", "county", "parent")

    def get_edit_handler(self):
        from wagtail.admin.panels import ObjectList

        from .admin_forms import OrganizationAdminForm

        return ObjectList(
            [
                MultiFieldPanel(
                    [FieldPanel("name"), FieldPanel("short_name"), FieldPanel("category")],
                    heading=_("Organization"),
                ),
                FieldRowPanel(
                    [
                        FieldPanel("province", widget=REGION_WIDGETS["province"]),
                        FieldPanel("city", widget=REGION_WIDGETS["city"]),
                        FieldPanel("county", widget=REGION_WIDGETS["county"]),
                    ],
                    heading=_("Region"),
                ),
                FieldPanel("parent"),
                MultiFieldPanel(
                    [FieldPanel("status"), FieldPanel("rejection_reason")],
                    heading=_("Certification"),
                ),
                MultiFieldPanel(
                    [
                        FieldPanel("contact_person"),
                        FieldPanel("contact_phone"),
                        FieldPanel("contact_email"),
                        FieldPanel("address"),
                        FieldPanel("note"),
                    ],
                    heading=_("Contact"),
                ),
            ],
            base_form_class=OrganizationAdminForm,
        ).bind_to_model(self.model)


modeladmin_register(OrganizationAdmin)


@hooks.register("register_admin_viewset")
def register_organization_chooser():
    return organization_chooser_viewset


@hooks.register("register_admin_urls")
def register_review_url():
    return [path("organizations/review/", review_requests, name="organizations_review")]


class ReviewMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_review_menu_item():
    return ReviewMenuItem(
        _("Organization requests"),
        reverse("organizations_review"),
        icon_name="tasks",
        order=251,
    )


class RejectFormatter(LogFormatter):
    label = _("Reject organization")

    def format_message(self, log_entry):
        reason = (log_entry.data or {}).get("reason")
        if not reason:
            # Entries written before rejections kept their reason.
            return _("Organization rejected")
        return _("Organization rejected: %(reason)s") % {"reason": reason}


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action(
        "organizations.certify", _("Certify organization"), _("Organization certified")
    )
    actions.register_action("organizations.reject")(RejectFormatter)
