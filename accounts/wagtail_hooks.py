from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.permissions import policy_registry

from .bulk_actions import ACTIONS
from .lockout_admin import can_manage_lockouts, lockouts_view


@hooks.register("register_admin_urls")
def register_lockout_urls():
    return [path("login-lockouts/", lockouts_view, name="login_lockouts")]


class LockoutsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_lockouts(request.user)


@hooks.register("register_settings_menu_item")
def register_lockouts_menu_item():
    return LockoutsMenuItem(
        _("Login lockouts"), reverse("login_lockouts"), icon_name="lock", order=610
    )


@hooks.register("after_edit_user")
def unlock_after_password_reset(request, user):
    """A password set by an administrator is the usual answer to a locked-out user: the
    account's failed logins are cleared with it."""
    if request.POST.get("password1"):
        from axes.models import AccessAttempt

        AccessAttempt.objects.filter(username=user.phone).delete()


class _OwnUploadsOnly:
    """The admin API's image and document endpoints list every file to any admin user; only
    what the user may choose or edit in the admin is listed here (issue #9)."""

    def get_queryset(self):
        visible = policy_registry.get_by_type(self.model).instances_user_has_any_permission_for(
            self.request.user, ["choose", "change"]
        )
        return super().get_queryset().filter(pk__in=visible.values("pk"))


class ImagesAPIViewSet(_OwnUploadsOnly, ImagesAdminAPIViewSet):
    pass


class DocumentsAPIViewSet(_OwnUploadsOnly, DocumentsAdminAPIViewSet):
    pass


# After Wagtail's own registrations (order 0), which these replace.
@hooks.register("construct_admin_api", order=100)
def scope_upload_endpoints(router):
    router.register_endpoint("images", ImagesAPIViewSet)
    router.register_endpoint("documents", DocumentsAPIViewSet)


# After Wagtail's own (order 0): the registry keeps the last class for an action name.
for _action in ACTIONS:
    hooks.register("register_bulk_action", _action, order=100)
