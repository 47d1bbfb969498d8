from django.core.exceptions import PermissionDenied
from wagtail.users.views import users as wagtail_users
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from .forms import AccountCreationForm, AccountEditForm


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


class UserViewSet(WagtailUserViewSet):
    create_template_name = "accounts/users/create.html"
    edit_template_name = "accounts/users/edit.html"
    add_view_class = CreateView
    edit_view_class = EditView
    # "Copy user" binds the form to the copied account itself, so a forged POST to it saved
    # over that account, past EditView's checks; nobody here needs to copy accounts.
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return AccountEditForm if for_update else AccountCreationForm
