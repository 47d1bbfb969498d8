"""Deletes personal data kept longer than it is needed (PIPL audit), daily from
deploy/systemd/kepuri-prune.service; running it again deletes nothing more:

- django-axes' login records older than LOGIN_RECORD_RETENTION_DAYS (default 30): the access
  log of successful logins (no longer written, AXES_DISABLE_ACCESS_LOG; rows from before),
  failure logs, and failed-login records long past their lockout (a lockout lasts
  LOGIN_LOCKOUT_MINUTES: a recent failure still counts, and is kept);
- expired sessions (Django's clearsessions);
- profile pictures no account uses any more (an account deleted before its picture was
  deleted with it, accounts/signals.py), a day after they were stored.

    manage.py prune_personal_data [--dry-run]
"""

import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from wagtail.users.models import UserProfile

AVATAR_FOLDER = "avatar_images"
# A picture is stored just before its profile row is saved: one younger than this may be
# an upload under way.
ORPHAN_AVATAR_AGE = datetime.timedelta(days=1)


def orphaned_avatars(storage=default_storage, now=None):
    now = now or timezone.now()
    try:
        _folders, names = storage.listdir(AVATAR_FOLDER)
    except (FileNotFoundError, NotImplementedError):
        return []
    used = set(UserProfile.objects.exclude(avatar="").values_list("avatar", flat=True))
    orphans = []
    for name in names:
        path = f"{AVATAR_FOLDER}/{name}"
        if path in used:
            continue
        try:
            if now - storage.get_modified_time(path) < ORPHAN_AVATAR_AGE:
                continue
        except (OSError, NotImplementedError):
            continue
        orphans.append(path)
    return orphans


class Command(BaseCommand):
    help = (
        "Deletes login records older than LOGIN_RECORD_RETENTION_DAYS, expired sessions and "
        "profile pictures of deleted accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would go.")

    def handle(self, *args, dry_run=False, **options):
        days = settings.LOGIN_RECORD_RETENTION_DAYS
        before = timezone.now() - datetime.timedelta(days=days)
        expired_sessions = Session.objects.filter(expire_date__lt=timezone.now())
        counts = {
            "successful-login records": AccessLog.objects.filter(attempt_time__lt=before),
            "failure log records": AccessFailureLog.objects.filter(attempt_time__lt=before),
            "failed-login records": AccessAttempt.objects.filter(attempt_time__lt=before),
        }
        orphans = orphaned_avatars()
        if dry_run:
            for label, rows in counts.items():
                self.stdout.write(f"{rows.count()} {label} older than {days} days would go.")
            self.stdout.write(f"{expired_sessions.count()} expired sessions would go.")
            self.stdout.write(f"{len(orphans)} unused profile pictures would go.")
            return
        for label, rows in counts.items():
            _total, by_model = rows.delete()  # with AccessAttempt, its expiry rows too
            deleted = by_model.get(rows.model._meta.label, 0)
            self.stdout.write(f"{deleted} {label} older than {days} days deleted.")
        sessions = expired_sessions.count()
        call_command("clearsessions")  # the session engine's own cleanup
        self.stdout.write(f"{sessions} expired sessions deleted.")
        for path in orphans:
            default_storage.delete(path)
        self.stdout.write(f"{len(orphans)} unused profile pictures deleted.")
