"""R2: the role groups are created by migrations and found by name everywhere (menus, review
steps, notifications). Wagtail's group admin renamed or deleted them like any group:
renamed, 全国管理员 stopped being the national moderators; deleted, its members lost every
permission. Their permissions stay editable, and other groups are as before."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from tests.html_forms import posted_values

pytestmark = pytest.mark.django_db


def edit(client, group, **changes):
    url = f"/admin/groups/edit/{group.pk}/"
    data = posted_values(client.get(url).content.decode(), url)
    data.update(changes)
    return client.post(url, data)


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


@pytest.mark.parametrize("name", roles.ALL)
def test_r2_a_role_group_keeps_its_name(admin_client, name):
    group = Group.objects.get(name=name)
    response = edit(admin_client, group, name=[f"{name}（旧）"])
    assert response.status_code == 200
    assert "角色" in " ".join(response.context["form"].errors["name"])
    group.refresh_from_db()
    assert group.name == name


@pytest.mark.parametrize("method", ["get", "post"])
def test_r2_a_role_group_is_not_deleted(admin_client, method):
    group = Group.objects.get(name=roles.NATIONAL_MODERATORS)
    response = getattr(admin_client, method)(f"/admin/groups/delete/{group.pk}/", follow=True)
    assert "角色" in messages_of(response)
    assert Group.objects.filter(pk=group.pk).exists()


def test_r2_other_groups_are_renamed_and_deleted_as_before(admin_client):
    group = Group.objects.create(name="临时审核组")
    assert edit(admin_client, group, name=["临时审核组（2026）"]).status_code == 302
    group.refresh_from_db()
    assert group.name == "临时审核组（2026）"
    admin_client.post(f"/admin/groups/delete/{group.pk}/")
    assert not Group.objects.filter(pk=group.pk).exists()


def test_r2_a_role_groups_permissions_stay_editable(admin_client):
    group = Group.objects.get(name=roles.ADMINISTRATORS)
    response = edit(admin_client, group)
    assert response.status_code == 302
    assert Group.objects.get(pk=group.pk).name == roles.ADMINISTRATORS
