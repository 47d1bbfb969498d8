"""Who sees which uploaded image or document in the admin (issue #9).

Wagtail's collection policy lets a user with "add" on a collection edit and delete what they
uploaded there, but "choose" is a separate permission on the whole collection. Submitters hold
only "add" (activities/migrations/0003_roles.py): with the stock policy they could upload a
poster from the chooser yet never pick it again, and granting them "choose" would show them
every other unit's posters. This policy adds the missing rule: an uploader may choose their
own uploads.

Some uploads belong to one feature and are managed only there: nomination photos and
participant evidence (R33) are seen by the submitter and the national moderators in the
nomination's own pages. Moderators of every province may choose any image, so those would
reach them through the chooser; and a copy chosen as a poster, or changed in the library,
would escape the nomination's rules. They are left out of the library, the chooser and the
admin API for everyone but superusers. Everything else is Wagtail's."""

from django.db.models import Q
from django.utils.module_loading import import_string
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

# Model label -> a function returning a Q of that model's feature-managed uploads.
FEATURE_UPLOADS = {"wagtailimages.image": "activities.nomination_models.nomination_material"}


class OwnUploadsPermissionPolicy(CollectionOwnershipPermissionPolicy):
    def _feature_uploads(self):
        path = FEATURE_UPLOADS.get(self.model._meta.label_lower)
        return import_string(path)() if path else None

    def _is_feature_upload(self, instance):
        feature = self._feature_uploads()
        return (
            feature is not None
            and instance.pk is not None
            and self.model._default_manager.filter(feature, pk=instance.pk).exists()
        )

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
        if not (user.is_active and user.is_superuser) and self._is_feature_upload(instance):
            return False
        if "choose" in actions and user.is_authenticated and self._owns_upload(user, instance):
            return True
        return super().user_has_any_permission_for_instance(user, actions, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        if not user.is_authenticated or not user.is_active or user.is_superuser:
            return instances
        if "choose" in actions:
            own = Q(collection__in=self._collections_with_perm(user, ["add"])) & Q(
                **{self.owner_field_name: user}
            )
            instances = self.model._default_manager.filter(Q(pk__in=instances.values("pk")) | own)
        feature = self._feature_uploads()
        return instances.exclude(feature) if feature is not None else instances

    def users_with_any_permission_for_instance(self, actions, instance):
        users = super().users_with_any_permission_for_instance(actions, instance)
        if self._is_feature_upload(instance):
            return users.filter(is_superuser=True)
        return users

    def collections_user_has_permission_for(self, user, action):
        if action == "choose":
            return self.collections_user_has_any_permission_for(user, ["choose", "add"])
        return super().collections_user_has_permission_for(user, action)
