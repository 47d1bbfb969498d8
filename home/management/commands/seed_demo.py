from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

# Each app that has demo data offers seed(command) in its seed module; order matters
# (regions and organizations before accounts that belong to them, and so on).
SEED_MODULES = [
    "home.seed",
    "accounts.seed",
    "activities.seed",
    "workflow.seed",
]


class Command(BaseCommand):
    help = "Load demo data idempotently: running it twice leaves the same data."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", settings.DEBUG):
            raise CommandError(
                "Demo data creates accounts with published passwords; it is refused unless "
                "DEBUG or DEMO_DATA_ALLOWED is on."
            )
        # Demo moderators' notification e-mails would flood the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for module_name in SEED_MODULES:
                with transaction.atomic():
                    import_module(module_name).seed(self)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
