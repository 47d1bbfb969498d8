"""Two administrators editing one account (R2): the later save of a form opened before the
other's save is refused, rather than silently putting back what the other changed. A
moderator's province decides whose desk the review tasks reach (R20), so an older form
reverting it reroutes reviews without anyone noticing."""

import html
import threading
import time

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.test import Client

from accounts import roles
from accounts.forms import AccountEditForm
from accounts.models import User
from home.concurrency import FINGERPRINT_FIELD
from tests import factories
from tests.html_forms import posted_values

pytestmark = pytest.mark.django_db

IS_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def moderator():
    return factories.user(
        roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核员", email="gd@example.cn"
    )


def edit_url(user):
    return f"/admin/users/edit/{user.pk}/"


def opened_form(client, user):
    response = client.get(edit_url(user))
    assert response.status_code == 200
    return posted_values(response.content.decode(), edit_url(user))


def refused(response):
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data().get(NON_FIELD_ERRORS, [])
    assert [error.code for error in errors] == ["stale"]
    assert str(AccountEditForm.stale_message) in html.unescape(response.content.decode())
    return True


def test_r2_an_older_form_cannot_put_back_a_province_another_admin_changed(admin_client, moderator):
    first, second = opened_form(admin_client, moderator), opened_form(admin_client, moderator)
    assert first[FINGERPRINT_FIELD][0]

    first["province"] = ["110000"]  # administrator A moves the moderator to Beijing
    assert admin_client.post(edit_url(moderator), first).status_code == 302

    second["email"] = ["guangdong@example.cn"]  # B, from the form opened before, only the email
    response = admin_client.post(edit_url(moderator), second)
    assert refused(response)
    assert 'value="guangdong@example.cn"' in response.content.decode()  # what B typed
    moderator.refresh_from_db()
    assert (moderator.province_id, moderator.email) == ("110000", "gd@example.cn")

    # The refused form still carries the version it was opened on: only reloading helps.
    assert refused(admin_client.post(edit_url(moderator), second))
    again = opened_form(admin_client, moderator)
    again["email"] = ["guangdong@example.cn"]
    assert admin_client.post(edit_url(moderator), again).status_code == 302
    moderator.refresh_from_db()
    assert (moderator.province_id, moderator.email) == ("110000", "guangdong@example.cn")


def test_r2_an_older_form_cannot_put_back_roles_another_admin_changed(admin_client, moderator):
    first, second = opened_form(admin_client, moderator), opened_form(admin_client, moderator)
    first["groups"] = []
    first["province"] = [""]
    assert admin_client.post(edit_url(moderator), first).status_code == 302

    second["real_name"] = ["广东审核员甲"]
    assert refused(admin_client.post(edit_url(moderator), second))
    moderator.refresh_from_db()
    assert not moderator.groups.exists()
    assert moderator.real_name == "广东审核员"


def test_r2_logging_in_is_not_an_edit_that_refuses_a_save(admin_client, moderator):
    form = opened_form(admin_client, moderator)
    Client().force_login(moderator)  # writes last_login
    form["email"] = ["guangdong@example.cn"]
    assert admin_client.post(edit_url(moderator), form).status_code == 302
    assert User.objects.get(pk=moderator.pk).email == "guangdong@example.cn"


def test_r2_a_form_shown_again_for_its_errors_still_saves_once_corrected(admin_client, moderator):
    form = opened_form(admin_client, moderator)
    form["phone"] = ["12345"]
    response = admin_client.post(edit_url(moderator), form)
    assert response.status_code == 200
    again = posted_values(response.content.decode(), edit_url(moderator))
    assert again[FINGERPRINT_FIELD] == form[FINGERPRINT_FIELD]
    again["phone"] = ["13600000001"]
    assert admin_client.post(edit_url(moderator), again).status_code == 302
    assert User.objects.get(pk=moderator.pk).phone == "13600000001"


def test_r2_a_platform_administrator_without_the_superuser_field_saves(moderator, client):
    """The roles tab hides "Administrator" from platform administrators after the form is
    built (accounts.viewsets): the version compared on saving must not depend on it."""
    admin = factories.user(roles.ADMINISTRATORS)
    client.force_login(admin)
    form = opened_form(client, moderator)
    assert "is_superuser" not in form
    form["email"] = ["guangdong@example.cn"]
    assert client.post(edit_url(moderator), form).status_code == 302


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL: SQLite has no SELECT … FOR UPDATE row locks and serialises "
    "writers, so two simultaneous saves cannot be exercised there",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=IS_POSTGRES)
def test_r2_two_saves_at_once_from_forms_opened_on_one_version_save_once(
    superuser, moderator, monkeypatch
):
    """The row stays locked from the check to the save: the second save waits, then finds
    the record changed."""
    client = Client()
    client.force_login(superuser)
    forms = [opened_form(client, moderator), opened_form(client, moderator)]
    forms[0]["province"] = ["110000"]
    forms[1]["email"] = ["guangdong@example.cn"]

    original_save = AccountEditForm.save

    def slow_save(self, *args, **kwargs):
        time.sleep(0.5)  # widen the race between the check and the write
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(AccountEditForm, "save", slow_save)
    barrier = threading.Barrier(2, timeout=20)
    statuses = {}

    def save(index):
        try:
            own = Client()
            own.force_login(superuser)
            barrier.wait()
            statuses[index] = own.post(edit_url(moderator), forms[index]).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses.values()) == [200, 302], statuses
    moderator.refresh_from_db()
    saved = (moderator.province_id, moderator.email)
    assert saved in {("110000", "gd@example.cn"), ("440000", "guangdong@example.cn")}
