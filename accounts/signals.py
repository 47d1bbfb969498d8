"""A deleted account's profile picture is deleted with it (PIPL audit): Wagtail's
UserProfile.avatar is a public file (/media/avatar_images/...) and nothing removed it when
the user, and so their profile, was deleted. Wagtail itself deletes only a replaced one."""

from django.db import transaction
from django.db.models.signals import post_delete


def delete_avatar_file(sender, instance, **kwargs):
    avatar = instance.avatar
    if not avatar:
        return
    storage, name = avatar.storage, avatar.name
    # After the commit: a deletion rolled back keeps its picture.
    transaction.on_commit(lambda: storage.delete(name))


def connect_signals():
    from wagtail.users.models import UserProfile

    post_delete.connect(
        delete_avatar_file, sender=UserProfile, dispatch_uid="accounts_delete_avatar_file"
    )
