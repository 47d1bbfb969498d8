from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.users.views import users as wagtail_users
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from .forms import AccountCreationForm, AccountEditForm
from .user_search import matching_users


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


class EditView(SuperuserFieldMixin, wagtail_users.EditView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Otherwise a platform administrator could set a superuser's password and log in
        # as them; Wagtail already refuses them deleting one.
        if self.object.is_superuser and not request.user.is_superuser:
            raise PermissionDenied


class IndexView(wagtail_users.IndexView):
    """Administrators look people up by mobile number or real name, and check at a glance
    whose real name is verified (R1)."""

    @cached_property
    def columns(self):
        columns = []
        for column in super().columns:
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
                    BooleanColumn(
                        "is_real_name_verified",
                        label=capfirst(_("real name verified")),
                        sort_key="is_real_name_verified",
                        width="10%",
                    )
                )
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
    # "Copy user" binds the form to the copied account itself, so a forged POST to it saved
    # over that account, past EditView's checks; nobody here needs to copy accounts.
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return AccountEditForm if for_update else AccountCreationForm
