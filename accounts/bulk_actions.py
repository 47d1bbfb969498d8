"""Wagtail's bulk actions on users, with the rules of the user editor (accounts.viewsets):
only a superuser acts on a superuser, and a province moderator has a province (R2)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.users.views.bulk_actions.assign_role import AssignRoleBulkAction, RoleForm
from wagtail.users.views.bulk_actions.delete import DeleteBulkAction
from wagtail.users.views.bulk_actions.set_active_state import SetActiveStateBulkAction
from wagtail.users.views.bulk_actions.user_bulk_action import UserBulkAction
from wagtail.users.views.users import UserFilterSet

from . import roles
from .anonymise import AnonymiseRefused, anonymise, refusal
from .models import activities_owned, owner_kept_message
from .user_search import matching_users


class AccountBulkActionMixin:
    def check_perm(self, obj):
        # Wagtail's editor refuses a platform administrator a superuser's account
        # (accounts.viewsets.EditView), but its bulk actions check only change_user: one
        # could deactivate the superuser or give them a role.
        if obj.is_superuser and not self.request.user.is_superuser:
            return False
        return super().check_perm(obj)

    def get_all_objects_in_listing_query(self, parent_id):
        # "Select all" acts on what the listing shows: its filters (group, active, ...) as
        # Wagtail's listing applies them, then its search (accounts.viewsets).
        users = self.model.objects.all()
        query = self.request.GET.get("q")
        filters = UserFilterSet(
            self.request.GET, queryset=users, request=self.request, is_searching=bool(query)
        )
        if filters.is_valid():
            users = filters.filter_queryset(users)
        if query:
            users = matching_users(users, query)
        return users.values_list("pk", flat=True)


class ProvinceCoverageMixin:
    """After a bulk change (deactivation, role change, deletion): warn of each province it
    left with no active province moderator, as the user editor does."""

    def prepare_action(self, objects, objects_without_access):
        from .viewsets import moderated_provinces

        self.provinces_before = moderated_provinces(
            get_user_model().objects.filter(pk__in=[user.pk for user in objects])
        )
        return super().prepare_action(objects, objects_without_access)

    def form_valid(self, form):
        from .viewsets import warn_unattended_provinces

        response = super().form_valid(form)
        if getattr(self, "provinces_before", None):
            warn_unattended_provinces(self.request, self.provinces_before)
        return response


class AccountDeleteBulkAction(ProvinceCoverageMixin, AccountBulkActionMixin, DeleteBulkAction):
    """Deleting a user leaves their activities ownerless (Page.owner is SET_NULL), and
    Wagtail's usage count of a user does not count pages they own: those who own any are
    listed among the users not deleted, each with why (as the single delete refuses them:
    accounts.wagtail_hooks)."""

    def get_actionable_objects(self):
        objects, without_access = super().get_actionable_objects()
        owned = activities_owned([user.pk for user in objects])
        self.kept_owners = [(user, owned[user.pk]) for user in objects if user.pk in owned]
        return (
            [user for user in objects if user.pk not in owned],
            {
                **without_access,
                "items_with_no_access": [
                    *without_access.get("items_with_no_access", []),
                    *(user for user, _count in self.kept_owners),
                ],
            },
        )

    def warn_about_kept_owners(self):
        for user, count in self.kept_owners:
            messages.warning(self.request, owner_kept_message(user, count))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.warn_about_kept_owners()
        return context

    def prepare_action(self, objects, objects_without_access):
        self.warn_about_kept_owners()
        return super().prepare_action(objects, objects_without_access)


class AccountSetActiveStateBulkAction(
    ProvinceCoverageMixin, AccountBulkActionMixin, SetActiveStateBulkAction
):
    pass


class AccountRoleForm(RoleForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].label = _("Role")


class AccountAssignRoleBulkAction(
    ProvinceCoverageMixin, AccountBulkActionMixin, AssignRoleBulkAction
):
    form_class = AccountRoleForm

    def check_perm(self, obj):
        if not super().check_perm(obj):
            return False
        # A province moderator reviews the activities of one province; without one they
        # would see an empty desk and never know why. Those without a province are listed
        # as not changed, to be given one in the user editor.
        if self.assigns_province_moderators():
            return obj.province_id is not None
        return True

    def assigns_province_moderators(self):
        form = getattr(self, "cleaned_form", None)
        role = form.cleaned_data.get("role") if form is not None else None
        return role is not None and role.name == roles.PROVINCE_MODERATORS

    def prepare_action(self, objects, objects_without_access):
        skipped = [
            user
            for user in objects_without_access.get("items_with_no_access", [])
            if not user.is_superuser and user.province_id is None
        ]
        if skipped and self.assigns_province_moderators():
            messages.warning(
                self.request,
                _(
                    "A province moderator needs a province: choose one in the user editor "
                    "first. Not changed: %(names)s"
                )
                % {"names": "、".join(str(user) for user in skipped)},
            )
        return super().prepare_action(objects, objects_without_access)


class AnonymiseBulkAction(ProvinceCoverageMixin, AccountBulkActionMixin, UserBulkAction):
    """Close and anonymise accounts (PIPL art. 47; accounts.anonymise): for who may edit
    users (platform administrators, superusers; only a superuser for a superuser). Its
    confirmation says what goes and what stays (the activities, with the contact details
    typed on them). One account from its editor or the users list: ?id=<pk>."""

    display_name = _("Close and anonymise account")
    action_type = "anonymise"
    aria_label = _("Close and anonymise the selected accounts")
    template_name = "accounts/bulk_actions/confirm_bulk_anonymise.html"
    action_priority = 90
    classes = {"serious"}
    # Wagtail's user bulk actions admit any of add/change/delete; this one is an edit.
    any_permission_required = None
    permission_required = "change"

    def check_perm(self, obj):
        # AccountBulkActionMixin's rule (a superuser's account is for superusers) first;
        # then accounts.anonymise.refusal's reasons, listed with each account they keep.
        if not super().check_perm(obj):
            return False
        reason = refusal(obj, self.request.user)
        if reason:
            self.refused.append((obj, reason))
        return True

    def get_actionable_objects(self):
        self.refused = []
        objects, without_access = super().get_actionable_objects()
        kept = {user.pk for user, _reason in self.refused}
        return [user for user in objects if user.pk not in kept], {
            **without_access,
            "refused": list(self.refused),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["owned"] = activities_owned([item["item"].pk for item in context["items"]])
        for item in context["items"]:
            item["activities"] = context["owned"].get(item["item"].pk, 0)
        return context

    def get_execution_context(self):
        return {"by": self.request.user}

    @classmethod
    def execute_action(cls, objects, by=None, **kwargs):
        done = 0
        for user in objects:
            try:
                anonymise(user, by=by)
            except AnonymiseRefused:
                continue  # changed meanwhile (closed by another administrator): skipped
            done += 1
        return done, 0

    def prepare_action(self, objects, objects_without_access):
        for _user, reason in objects_without_access.get("refused", []):
            messages.warning(self.request, reason)
        return super().prepare_action(objects, objects_without_access)

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d account has been closed and anonymised.",
            "%(count)d accounts have been closed and anonymised.",
            num_parent_objects,
        ) % {"count": num_parent_objects}


def anonymise_url(user, next_url=None):
    """The confirmation of closing one account (its editor and the users list link it)."""
    from django.urls import reverse
    from django.utils.http import urlencode

    meta = get_user_model()._meta
    query = {"id": user.pk, **({"next": next_url} if next_url else {})}
    return (
        reverse("wagtail_bulk_action", args=(meta.app_label, meta.model_name, "anonymise"))
        + "?"
        + urlencode(query)
    )


def anonymise_button(request_user, user, next_url):
    """The button that opens the confirmation for `user`, or None where `request_user` may
    not close that account (the confirmation checks again): the editor's header and the
    users list offer it."""
    from wagtail.admin.widgets import Button

    if not (request_user.is_authenticated and refusal(user, request_user) is None):
        return None
    return Button(
        _("Close and anonymise account"),
        url=anonymise_url(user, next_url),
        icon_name="warning",
        priority=90,
    )


ACTIONS = [
    AccountDeleteBulkAction,
    AccountSetActiveStateBulkAction,
    AccountAssignRoleBulkAction,
    AnonymiseBulkAction,
]
