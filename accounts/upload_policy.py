"""Who sees which uploaded image or document in the admin (issue #9).

Wagtail's collection policy lets a user with "add" on a collection edit and delete what they
uploaded there, but "choose" is a separate permission on the whole collection. Submitters hold
only "add" (activities/migrations/0003_roles.py): with the stock policy they could upload a
poster from the chooser yet never pick it again, and granting them "choose" would show them
every other unit's posters and nomination photos. This policy adds the missing rule: an
uploader may choose their own uploads. Everything else is Wagtail's."""

from django.db.models import Q
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy


class OwnUploadsPermissionPolicy(CollectionOwnershipPermissionPolicy):
    def _owns_upload(self, user, instance):
        return (
            user.is_active
            and getattr(instance, f"{self.owner_field_name}_id", None) == user.pk
            and self._check_perm(user, ["add"], collection=instance.collection)
        )

    def user_has_permission(self, user, action):
        if action == "choose":
            return self._check_perm(user, ["choose", "add"])
        return super().user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if "choose" in actions and user.is_authenticated and self._owns_upload(user, instance):
            return True
        return super().user_has_any_permission_for_instance(user, actions, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        if "choose" not in actions or not user.is_authenticated or not user.is_active:
            return instances
        if user.is_superuser:
            return instances
        own = Q(collection__in=self._collections_with_perm(user, ["add"])) & Q(
            **{self.owner_field_name: user}
        )
        return self.model._default_manager.filter(Q(pk__in=instances.values("pk")) | own)

    def collections_user_has_permission_for(self, user, action):
        if action == "choose":
            return self.collections_user_has_any_permission_for(user, ["choose", "add"])
        return super().collections_user_has_permission_for(user, action)
