import datetime

from django.contrib import messages
from django.contrib.admin import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, lookup_field
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn, UserColumn
from wagtail.log_actions import LogFormatter
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import CreateView, EditView, HistoryView, IndexView

from home.concurrency import LockedSaveViewMixin
from home.converters import is_db_id
from home.spreadsheets import ExcelCsvMixin, as_text

from .admin_views import review_requests
from .choosers import organization_chooser_viewset
from .decisions import REVIEW_PERMISSION, decide, log_decision
from .forms import REGION_WIDGETS
from .models import Organization
from .notifications import notify_requesters
from .widgets import LibraryChooserWidget

# (model, list_filter) -> the query parameters of those filters. Building a filter reads
# its choices (the provinces); the parameter names only depend on the declaration.
_filter_parameters = {}


def filter_parameters(view):
    """The query parameters of the view's declared filters (`list_filter`), such as
    `category__exact`, `status__exact`, `province__code__exact` and their `__isnull`."""
    key = (view.model, tuple(view.list_filter))
    if key not in _filter_parameters:
        _filter_parameters[key] = _declared_filter_parameters(view)
    return _filter_parameters[key]


def _declared_filter_parameters(view):
    names = set()
    for list_filter in view.list_filter:
        if isinstance(list_filter, str):
            field_path, filter_class = list_filter, FieldListFilter.create
        elif isinstance(list_filter, (tuple, list)):
            field_path, filter_class = list_filter
        else:  # A SimpleListFilter class.
            spec = list_filter(view.request, {}, view.model, view.model_admin)
            names.update(spec.expected_parameters())
            continue
        field = get_fields_from_path(view.model, field_path)[-1]
        spec = filter_class(
            field, view.request, {}, view.model, view.model_admin, field_path=field_path
        )
        names.update(spec.expected_parameters())
    return frozenset(names)


class OrganizationIndexView(ExcelCsvMixin, IndexView):
    def get_filters_params(self, params=None):
        # wagtail-modeladmin hands every other query parameter to queryset.filter(), as
        # Django admin would without its lookup_allowed() check: any lookup across any
        # relation, `requested_by__password__regex=` included, through which a platform
        # administrator could read a superuser's password hash one character at a time
        # (R2). A parameter that is not one of the shown filters is ignored, so that links
        # carrying ?from=singlemessage (WeChat), ?utm_source= or ?page= still open (R3).
        # Search (q), ordering (o, ot), page (p) and export are read apart from these.
        allowed = filter_parameters(self)
        lookup_params = super().get_filters_params(params)
        return {name: value for name, value in lookup_params.items() if name in allowed}

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except IncorrectLookupParameters:
            # A value a shown filter cannot take: the plain listing rather than a 500.
            return redirect(self.index_url)

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
        rerouting = organization.pk is not None and ROUTING_FIELDS & set(form.changed_data)
        if decided:
            decide(organization, organization.status, organization.rejection_reason)
        with transaction.atomic():
            response = super().form_valid(form)
            if decided:
                log_decision(self.instance, self.request.user)
                notify_requesters([self.instance], self.request.user)
        if rerouting:
            warn_of_channel_activities(self.request, self.instance)
        return response


# What decides an activity's review (R19, R20): its channel's category and province, and
# that the channel is certified.
ROUTING_FIELDS = frozenset({"category", "province", "status"})


def channel_activities(organization):
    """(under review, public): how many activities have `organization` as their channel, in
    the version under review and in the live version."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import WorkflowState

    from activities.listing import public_activities
    from activities.models import ActivityPage

    reviewing = (
        WorkflowState.objects.filter(
            status=WorkflowState.STATUS_IN_PROGRESS,
            content_type=ContentType.objects.get_for_model(ActivityPage),
            current_task_state__revision__content__channel=organization.pk,
        )
        .values("object_id")
        .distinct()
        .count()
    )
    return reviewing, public_activities().filter(channel=organization).count()


def warn_of_channel_activities(request, organization):
    """A changed category, province or status is saved, but activities already routed by
    the old ones keep their reviewers, and one whose channel no longer fits its category or
    is no longer certified cannot be approved: say so, with the numbers."""
    reviewing, live = channel_activities(organization)
    if reviewing or live:
        messages.warning(
            request,
            _(
                "%(name)s is the responsible channel of %(reviewing)d activities under review "
                "and %(live)d public activities. Those under review keep their current "
                "reviewers and may have to be sent back for changes."
            )
            % {"name": organization.name, "reviewing": reviewing, "live": live},
        )


class OrganizationCreateView(DecisionFormMixin, CreateView):
    pass


class OrganizationEditView(LockedSaveViewMixin, DecisionFormMixin, EditView):
    """A save from a form opened before another administrator's save is refused
    (OrganizationAdminForm): it would have put back everything they changed."""


class OrganizationHistoryView(HistoryView):
    """An entry's history holds onboarding requests, rejection reasons and the names of
    the administrators who decided (R4): for those who manage the library, as its listing.
    wagtail-modeladmin lets any admin user read it."""

    columns = [
        Column("message", label=_("Action")),
        # wagtail-modeladmin's own labels are untranslated literals (R34).
        UserColumn("user", label=_("User"), blank_display_name=_("system")),
        DateColumn("timestamp", label=_("Date")),
    ]

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_list(user)


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
    history_view_class = OrganizationHistoryView
    ordering = ("category", "name")

    def _instance_view(self, view, request, instance_pk):
        # The entry is looked up when the view is built, before its permission check: ask
        # first, so an id's existence is not told apart (refused alike), and refuse ids
        # no row can have (the lookup would fail with a 500).
        if not self.permission_helper.user_can_list(request.user):
            raise PermissionDenied
        if not is_db_id(instance_pk):
            raise Http404
        return view(request, instance_pk)

    def history_view(self, request, instance_pk):
        return self._instance_view(super().history_view, request, instance_pk)

    def edit_view(self, request, instance_pk):
        return self._instance_view(super().edit_view, request, instance_pk)

    def delete_view(self, request, instance_pk):
        return self._instance_view(super().delete_view, request, instance_pk)

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
                FieldPanel("parent", widget=LibraryChooserWidget()),
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


@hooks.register("construct_homepage_panels")
def organization_requests_panel(request, panels):
    from .dashboard import add_requests_panel

    add_requests_panel(request, panels)


@hooks.register("register_admin_menu_item")
def register_review_menu_item():
    return ReviewMenuItem(
        _("Organization requests"),
        reverse("organizations_review"),
        icon_name="tasks",
        order=251,
    )


class OnboardingMenuItem(MenuItem):
    def is_shown(self, request):
        from activities.wagtail_hooks import may_publish

        return may_publish(request)


@hooks.register("register_admin_menu_item")
def register_onboarding_menu_item():
    # 组织入驻 (R4) beside 我的活动: a submitter whose unit is missing from the library
    # had no way to find the request form.
    return OnboardingMenuItem(
        _("Organization onboarding"),
        reverse("organizations:requests"),
        icon_name="group",
        order=110,
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
