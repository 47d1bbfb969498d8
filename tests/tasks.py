"""Production's background work inside a test: the database task backend
(config/settings/production.py) and its worker, run in this process and in this test's
transaction."""

from unittest import mock

from django.core.management import call_command

PRODUCTION_TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}


def run_worker(*options):
    """`manage.py db_worker --batch`: does what is due and returns. Between tasks the worker
    closes connections it deems old, which on PostgreSQL is the test's own (it is inside a
    transaction): kept open here."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command(
            "db_worker", "--batch", "--backend", "background", "--no-startup-delay", *options
        )
