"""Personal data kept no longer than needed (PIPL audit, medium; R1 accounts, R27).

django-axes wrote a row to axes_accesslog on every successful login (mobile number, address,
browser) and nothing deleted it; expired sessions stayed in the database; a deleted
account's profile picture stayed public under /media/avatar_images/. Now no login row is
written (AXES_DISABLE_ACCESS_LOG: the access line says who logged in), manage.py
prune_personal_data deletes old login records, expired sessions and unused profile
pictures, and a profile picture is deleted with its account."""

import datetime
import io
import os

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from wagtail.users.models import UserProfile

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "kepuri-test-2026!"


def old(days):
    return timezone.now() - datetime.timedelta(days=days)


def record(model, days, username="13800138000", **fields):
    row = model.objects.create(
        username=username,
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (iPhone)",
        http_accept="*/*",
        path_info="/admin/login/",
        **fields,
    )
    model.objects.filter(pk=row.pk).update(attempt_time=old(days))  # auto_now_add
    return row


def attempt(days, username, failures=1):
    return record(
        AccessAttempt,
        days,
        username,
        get_data="",
        post_data="",
        failures_since_start=failures,
    )


def avatar_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def prune(*args):
    out = io.StringIO()
    call_command("prune_personal_data", *args, stdout=out)
    return out.getvalue()


def test_a_successful_login_writes_no_axes_access_log_row(client):
    user = factories.submitter()
    user.set_password(PASSWORD)
    user.save()
    response = client.post("/admin/login/", {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert AccessLog.objects.count() == 0


def test_a_failed_login_is_still_recorded_for_the_lockout(client):
    user = factories.submitter()
    client.post("/admin/login/", {"username": user.phone, "password": "wrong-password-1"})
    assert AccessAttempt.objects.count() == 1


def test_old_login_records_and_expired_sessions_are_pruned_and_pruning_again_is_a_no_op():
    old_log, new_log = record(AccessLog, 31), record(AccessLog, 2)
    old_failure, new_failure = record(AccessFailureLog, 45), record(AccessFailureLog, 1)
    old_attempt = attempt(60, "13800138000")
    recent_attempt = attempt(0, "13800138001", failures=4)
    expired, live = SessionStore(), SessionStore()
    for store in (expired, live):
        store["_auth_user_id"] = "1"
        store.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=old(1))

    assert "1 successful-login records" in prune("--dry-run")
    assert AccessLog.objects.count() == 2 and Session.objects.count() == 2

    output = prune()
    assert "1 successful-login records older than 30 days deleted" in output
    assert list(AccessLog.objects.all()) == [new_log]
    assert list(AccessFailureLog.objects.all()) == [new_failure]
    # A recent failure still counts towards a lockout: kept.
    assert list(AccessAttempt.objects.all()) == [recent_attempt]
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert not AccessLog.objects.filter(pk=old_log.pk).exists()
    assert not AccessFailureLog.objects.filter(pk=old_failure.pk).exists()
    assert not AccessAttempt.objects.filter(pk=old_attempt.pk).exists()

    again = prune()
    assert "0 successful-login records" in again and "0 expired sessions" in again
    assert AccessLog.objects.count() == 1 and Session.objects.count() == 1


def test_the_retention_follows_the_setting(settings):
    settings.LOGIN_RECORD_RETENTION_DAYS = 7
    record(AccessLog, 8)
    kept = record(AccessLog, 6)
    prune()
    assert list(AccessLog.objects.all()) == [kept]


def test_a_deleted_accounts_profile_picture_is_deleted(django_capture_on_commit_callbacks):
    user = factories.user()
    profile = UserProfile.get_for_user(user)
    profile.avatar.save("face.png", ContentFile(avatar_bytes()))
    path = profile.avatar.path
    assert os.path.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert not os.path.exists(path)


def test_prune_deletes_profile_pictures_left_by_accounts_deleted_before():
    user = factories.user()
    profile = UserProfile.get_for_user(user)
    profile.avatar.save("kept.png", ContentFile(avatar_bytes()))
    orphan = default_storage.save("avatar_images/avatar_gone.png", ContentFile(avatar_bytes()))
    fresh = default_storage.save("avatar_images/avatar_uploading.png", ContentFile(b"x"))
    day_old = (timezone.now() - datetime.timedelta(days=2)).timestamp()
    os.utime(default_storage.path(orphan), (day_old, day_old))
    assert "1 unused profile pictures would go" in prune("--dry-run")
    assert default_storage.exists(orphan)
    prune()
    assert not default_storage.exists(orphan)
    assert default_storage.exists(profile.avatar.name)
    assert default_storage.exists(fresh)  # perhaps an upload under way
    assert "0 unused profile pictures deleted" in prune()
