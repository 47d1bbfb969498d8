from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.users.views import users as wagtail_users
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from home.concurrency import LockedSaveViewMixin

from . import roles
from .forms import AccountCreationForm, AccountEditForm
from .user_search import matching_users


def moderated_provinces(users):
    """The provinces whose province review step `users` (a queryset) act on, as
    ProvinceApprovalTask decides: active, in one of the step's groups, with that province.
    Read before a change, to learn after it which provinces it may have left uncovered."""
    from workflow.coverage import moderating

    return set(moderating(users).values_list("province_id", flat=True))


def unattended_provinces(province_ids):
    """[(province, waiting)] for each of `province_ids` where a province review step now
    reaches nobody (its tasks show on superusers' desks only), with the number of
    activities waiting there (workflow.coverage)."""
    from workflow.coverage import unattended_waiting

    return unattended_waiting(province_ids, idle=True)


def warn_unattended_provinces(request, province_ids):
    """After a change to users (edit, deletion, bulk deactivation or role removal): tell
    the administrator which provinces it left with no one to review them."""
    for province, waiting in unattended_provinces(province_ids):
        if waiting:
            message = ngettext(
                "%(province)s has no active province moderator left: %(count)s activity "
                "waits at its province review step, which only superusers can now see, and "
                "new submissions from %(province)s notify nobody. Assign another province "
                "moderator for %(province)s.",
                "%(province)s has no active province moderator left: %(count)s activities "
                "wait at its province review step, which only superusers can now see, and "
                "new submissions from %(province)s notify nobody. Assign another province "
                "moderator for %(province)s.",
                waiting,
            )
        else:
            message = _(
                "%(province)s has no active province moderator left: its next submissions "
                "will wait at the province review step, which only superusers can see, and "
                "notify nobody. Assign another province moderator for %(province)s."
            )
        messages.warning(request, message % {"province": province.name, "count": waiting})


def activities_in_review(user_ids):
    """{user id: number of their activities under review} for those of `user_ids` who own
    any: a review in progress ends with a mail to its owner, who corrects what is sent
    back. Each owned activity probes its own open workflow state."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, Count, Exists, OuterRef
    from django.db.models.functions import Cast
    from wagtail.models import Page, WorkflowState

    from activities.models import ActivityPage

    in_review = WorkflowState.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        status=WorkflowState.STATUS_IN_PROGRESS,
    )
    return dict(
        ActivityPage.objects.filter(owner__in=user_ids)
        .filter(Exists(in_review))
        .order_by()
        .values("owner")
        .annotate(count=Count("pk"))
        .values_list("owner", "count")
    )


def warn_deactivated_owners(request, users):
    """After `users` were deactivated: name each who owns activities under review. Their
    review's result is mailed to nobody (Wagtail mails active users only) and what is sent
    back for changes stays so, with no one to correct it."""
    counts = activities_in_review([user.pk for user in users])
    for user in users:
        count = counts.get(user.pk)
        if not count:
            continue
        messages.warning(
            request,
            ngettext(
                "%(name)s is deactivated and owns %(count)d activity under review: the "
                "result of its review will reach nobody, and if it is sent back for changes "
                "nobody can correct it. Reactivate the account if its unit still needs it.",
                "%(name)s is deactivated and owns %(count)d activities under review: the "
                "results of their reviews will reach nobody, and those sent back for changes "
                "nobody can correct. Reactivate the account if its unit still needs it.",
                count,
            )
            % {"name": user, "count": count},
        )


class SuperuserFieldMixin:
    """Only a superuser may make someone a superuser (issue #9): platform administrators
    manage accounts, but "Administrator" on the roles tab would hand them everything."""

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not self.request.user.is_superuser:
            form.fields.pop("is_superuser", None)
        return form


class CreateView(SuperuserFieldMixin, wagtail_users.CreateView):
    pass


class EditView(LockedSaveViewMixin, SuperuserFieldMixin, wagtail_users.EditView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Otherwise a platform administrator could set a superuser's password and log in
        # as them; Wagtail already refuses them deleting one.
        if self.object.is_superuser and not request.user.is_superuser:
            raise PermissionDenied

    @cached_property
    def header_more_buttons(self):
        # Closing the account (PIPL art. 47): the bulk action's confirmation for this one.
        from .bulk_actions import anonymise_button

        buttons = super().header_more_buttons
        button = anonymise_button(self.request.user, self.object, self.get_edit_url())
        if button:
            buttons.append(button)
        return buttons

    def form_valid(self, form):
        # From the stored row: the form has already written the new values on the object.
        stored = self.model.objects.filter(pk=self.object.pk)
        before = moderated_provinces(stored)
        was_active = stored.filter(is_active=True).exists()
        response = super().form_valid(form)
        warn_unattended_provinces(self.request, before)
        if was_active and not self.object.is_active:
            warn_deactivated_owners(self.request, [self.object])
        return response


class DeleteView(wagtail_users.DeleteView):
    def delete_action(self):
        before = moderated_provinces(self.model.objects.filter(pk=self.object.pk))
        super().delete_action()
        warn_unattended_provinces(self.request, before)


class YesNoColumn(BooleanColumn):
    cell_template_name = "accounts/tables/yes_no_cell.html"


def _roles(user):
    return "、".join(group.name for group in user.groups.all() if group.name in roles.ALL)


def _province(user):
    return user.province.name if user.province_id else ""


class IndexView(wagtail_users.IndexView):
    """Administrators look people up by mobile number or real name, and check at a glance
    whose real name is verified (R1), each one's roles and a moderator's province (R2)."""

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("province").prefetch_related("groups")

    @cached_property
    def columns(self):
        columns = []
        for column in super().columns:
            if isinstance(column, BooleanColumn) and not isinstance(column, YesNoColumn):
                column = YesNoColumn(
                    column.name,
                    label=column.label,
                    sort_key=column.sort_key,
                    classname=column.classname,
                    width=column.width,
                )
            if column.name == self.model.USERNAME_FIELD:
                column = Column(
                    column.name,
                    accessor="get_username",
                    label=capfirst(_("mobile number")),
                    sort_key=column.sort_key,
                    classname=column.classname,
                    width=column.width,
                )
            columns.append(column)
            if column.name == "is_superuser":
                columns.append(
                    YesNoColumn(
                        "is_real_name_verified",
                        label=capfirst(_("real name verified")),
                        sort_key="is_real_name_verified",
                        width="10%",
                    )
                )
                columns.append(Column("roles", label=_("Roles"), accessor=_roles))
                columns.append(Column("province", label=_("Province"), accessor=_province))
        return columns

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return matching_users(queryset, self.search_query)


class UserViewSet(WagtailUserViewSet):
    create_template_name = "accounts/users/create.html"
    edit_template_name = "accounts/users/edit.html"
    index_view_class = IndexView
    add_view_class = CreateView
    edit_view_class = EditView
    delete_view_class = DeleteView
    # "Copy user" binds the form to the copied account itself, so a forged POST to it saved
    # over that account, past EditView's checks; nobody here needs to copy accounts.
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return AccountEditForm if for_update else AccountCreationForm
