"""Wagtail's group admin, keeping the role groups (R2). Code finds them by name
(accounts.roles): renamed, "全国管理员" stopped being the national moderators everywhere (menus,
review steps, notifications), and deleted, its members lost every permission and each
review step its reviewers. Their permissions stay editable; other groups are as before."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import GroupForm
from wagtail.users.views import groups as wagtail_groups

from . import roles

ROLE_GROUP_KEPT = _(
    "“%(group)s” is one of the platform's role groups: the review steps and the admin find "
    "its members by this name. It cannot be renamed or deleted; its permissions can be "
    "changed."
)


def is_role_group(group):
    return group.pk is not None and group.name in roles.ALL


class RoleGroupForm(GroupForm):
    def clean_name(self):
        name = super().clean_name()
        stored = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
        if stored is not None and is_role_group(stored) and name != stored.name:
            raise forms.ValidationError(ROLE_GROUP_KEPT % {"group": stored.name})
        return name


class DeleteView(wagtail_groups.DeleteView):
    def get(self, request, *args, **kwargs):
        return self.refuse() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refuse() or super().post(request, *args, **kwargs)

    def refuse(self):
        if not is_role_group(self.object):
            return None
        messages.error(self.request, ROLE_GROUP_KEPT % {"group": self.object.name})
        return redirect("wagtailusers_groups:edit", self.object.pk)


class GroupViewSet(wagtail_groups.GroupViewSet):
    delete_view_class = DeleteView

    def get_form_class(self, for_update=False):
        return RoleGroupForm
