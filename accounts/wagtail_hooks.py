from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.permissions import policy_registry

from .bulk_actions import ACTIONS
from .lockout_admin import can_manage_lockouts, lockouts_view
from .models import activities_owned, owner_kept_message


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


@hooks.register("before_delete_user")
def keep_owners_of_activities(request, user):
    """Page.owner is SET_NULL: a deleted submitter's activities would have nobody to mail
    about their review or to correct one sent back, and Wagtail's confirmation counts no
    owned pages among the user's references. Deactivating keeps both; the bulk delete
    refuses the same users (bulk_actions.AccountDeleteBulkAction)."""
    count = activities_owned([user.pk]).get(user.pk)
    if not count:
        return None
    messages.error(request, owner_kept_message(user, count))
    return redirect("wagtailusers_users:edit", user.pk)


@hooks.register("register_log_actions")
def register_anonymise_log_action(actions):
    from .anonymise import register_log_action

    register_log_action(actions)


@hooks.register("register_user_listing_buttons")
def anonymise_listing_button(user, request_user):
    """Closing one account (PIPL art. 47) from the users list's "More" menu; the bulk
    action's confirmation (AnonymiseBulkAction) checks again."""
    from .bulk_actions import anonymise_button

    button = anonymise_button(request_user, user, reverse("wagtailusers_users:index"))
    return [button] if button else []


# After Wagtail's own (order 0): the registry keeps the last class for an action name.
for _action in ACTIONS:
    hooks.register("register_bulk_action", _action, order=100)


class _AllUploads:
    def get_queryset(self):
        return self.model._default_manager.all()


class _VisibleUploads(_OwnUploadsOnly, _AllUploads):
    """The uploads of `model` that `request.user` may see: _OwnUploadsOnly's rule, outside
    the admin API."""

    def __init__(self, model, request):
        self.model, self.request = model, request


class _OwnUploadsOnlyInBulk:
    """R2: Wagtail's bulk actions on images and documents (delete, add tags, add to a
    collection) listed the title of every upload named in ?id= under "no permission":
    other units' posters, nomination photos, which only superusers see (upload_policy.py).
    An upload the user may neither choose nor change there is a 404, the answer for one
    that does not exist, as for pages (activities.permissions.SubmitterScopeMiddleware).
    A forged POST changes nothing it names either (Wagtail passes those over)."""

    def get_context_data(self, **kwargs):
        from django.http import Http404

        from home.converters import is_db_id

        ids = [value for value in self.request.GET.getlist("id") if is_db_id(value)]
        visible = _VisibleUploads(self.model, self.request).get_queryset()
        hidden = self.model._default_manager.filter(pk__in=ids).exclude(pk__in=visible.values("pk"))
        if hidden.exists():
            raise Http404
        return super().get_context_data(**kwargs)


def _scoped_upload_bulk_actions():
    from wagtail.documents.views.bulk_actions import add_tags as document_tags
    from wagtail.documents.views.bulk_actions import add_to_collection as document_collection
    from wagtail.documents.views.bulk_actions import delete as document_delete
    from wagtail.images.views.bulk_actions import add_tags as image_tags
    from wagtail.images.views.bulk_actions import add_to_collection as image_collection
    from wagtail.images.views.bulk_actions import delete as image_delete

    for action in (
        image_delete.DeleteBulkAction,
        image_tags.AddTagsBulkAction,
        image_collection.AddToCollectionBulkAction,
        document_delete.DeleteBulkAction,
        document_tags.AddTagsBulkAction,
        document_collection.AddToCollectionBulkAction,
    ):
        yield type(action.__name__, (_OwnUploadsOnlyInBulk, action), {})


# After Wagtail's own (order 0), which these replace.
for _action in _scoped_upload_bulk_actions():
    hooks.register("register_bulk_action", _action, order=100)
