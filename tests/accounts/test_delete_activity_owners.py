"""R2, R22, R24: a submitter who owns activities is not deleted, alone or in bulk: their
activities would be left without an owner (Page.owner is SET_NULL), so nobody would receive
their review mails or correct one sent back, and Wagtail's confirmation counted "0
references". The refusal says how many activities they own and points to deactivation,
which stays possible and keeps the activities with the account."""

import pytest
from django.contrib.messages import get_messages
from django.db.models import ProtectedError
from django.utils.translation import override

from accounts.models import User, owner_kept_message
from activities.models import ActivityPage
from tests import factories

pytestmark = pytest.mark.django_db

DELETE = "/admin/users/delete/{pk}/"
EDIT = "/admin/users/edit/{pk}/"
BULK = "/admin/bulk/accounts/user/{action}/?{ids}&next=/admin/users/"


@pytest.fixture
def owner():
    user = factories.submitter(real_name="陈晓")
    factories.activity(owner=user, title="广州青少年机器人科普体验日")
    factories.activity(owner=user, title="深圳天文科普夜")
    return user


def kept(user, count):
    """The refusal as the (Chinese) admin shows it."""
    with override("zh-hans"):
        return owner_kept_message(user, count)


def shown(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def bulk(action, *users):
    return BULK.format(action=action, ids="&".join(f"id={user.pk}" for user in users))


def test_the_delete_page_of_an_owner_sends_to_the_editor_with_the_reason(admin_client, owner):
    response = admin_client.get(DELETE.format(pk=owner.pk))
    assert response.status_code == 302
    assert response["Location"] == EDIT.format(pk=owner.pk)
    message = kept(owner, 2)
    assert shown(response) == [message]
    assert "陈晓" in message and "2" in message


def test_an_owner_is_not_deleted_and_keeps_their_activities(admin_client, owner):
    response = admin_client.post(DELETE.format(pk=owner.pk))
    assert response.status_code == 302
    assert User.objects.filter(pk=owner.pk).exists()
    assert ActivityPage.objects.filter(owner=owner).count() == 2


def test_the_message_counts_the_activities_in_english():
    user = User(real_name="陈晓")
    with override("en"):
        one, several = owner_kept_message(user, 1), owner_kept_message(user, 7)
    assert one.startswith("陈晓 owns 1 activity and cannot be deleted")
    assert several.startswith("陈晓 owns 7 activities and cannot be deleted")
    assert "Deactivate the account instead" in several


def test_a_user_who_owns_no_activity_is_still_deleted(admin_client):
    user = factories.submitter(real_name="没有活动的人")
    assert admin_client.get(DELETE.format(pk=user.pk)).status_code == 200
    response = admin_client.post(DELETE.format(pk=user.pk))
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


def test_an_owner_can_still_be_deactivated(admin_client, owner):
    response = admin_client.post(bulk("set_active_state", owner), {"mark_as_active": "False"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert not owner.is_active
    assert ActivityPage.objects.filter(owner=owner).count() == 2


def test_the_bulk_delete_lists_an_owner_as_not_deleted_with_the_reason(admin_client, owner):
    other = factories.submitter(real_name="没有活动的人")
    response = admin_client.get(bulk("delete", owner, other))
    assert response.status_code == 200
    assert shown(response) == [kept(owner, 2)]
    assert [item["item"] for item in response.context["items"]] == [other]
    assert response.context["items_with_no_access"] == [owner]


def test_the_bulk_delete_deletes_the_others_and_keeps_the_owner(admin_client, owner):
    other = factories.submitter(real_name="没有活动的人")
    response = admin_client.post(bulk("delete", owner, other))
    assert response.status_code == 302
    assert not User.objects.filter(pk=other.pk).exists()
    assert User.objects.filter(pk=owner.pk).exists()
    assert ActivityPage.objects.filter(owner=owner).count() == 2
    assert kept(owner, 2) in shown(response)


def test_select_all_in_the_listing_keeps_owners_too(admin_client, owner):
    admin_client.post(BULK.format(action="delete", ids="id=all&q=陈晓"))
    assert User.objects.filter(pk=owner.pk).exists()


def test_an_owner_is_not_deleted_by_any_path_outside_the_admin(owner):
    """The rule is the model's: a script, the shell or a queryset delete fails too, with the
    same reason, and deletes nothing (neither the owner nor anyone deleted alongside)."""
    bystander = factories.submitter(real_name="李明")
    with pytest.raises(ProtectedError) as refused:
        owner.delete()
    assert "2" in str(refused.value) and str(owner) in str(refused.value)
    with pytest.raises(ProtectedError):
        User.objects.filter(pk__in=[bystander.pk, owner.pk]).delete()
    assert User.objects.filter(pk__in=[bystander.pk, owner.pk]).count() == 2
    assert ActivityPage.objects.filter(owner=owner).count() == 2
    bystander.delete()
    assert not User.objects.filter(pk=bystander.pk).exists()
