import getpass
import sys

from axes.models import AccessAttempt
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.validators import normalize_mobile


class Command(BaseCommand):
    help = (
        "Set an account's password from the shell (the number may be typed with +86 or "
        "spaces). The password validators apply, and the account's login lockout is cleared. "
        "Reads the password twice from the terminal, or once from standard input with --stdin."
    )

    def add_arguments(self, parser):
        parser.add_argument("phone", help="the account's mobile number")
        parser.add_argument(
            "--stdin",
            action="store_true",
            help="read the new password from the first line of standard input",
        )

    def handle(self, *args, phone, stdin, **options):
        number = normalize_mobile(phone)
        try:
            user = User.objects.get(phone=number)
        except User.DoesNotExist:
            raise CommandError(f"No account has the mobile number {number or phone!r}.") from None

        password = self._read_password(stdin)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None

        with transaction.atomic():
            cleared = AccessAttempt.objects.filter(username=user.phone).count()
            user.set_password(password)
            user.save(update_fields=["password"])  # which clears them (User.save)
        self.stdout.write(
            self.style.SUCCESS(
                f"Password set for {user.phone} ({user.real_name}); "
                f"{cleared} failed-login record(s) cleared."
            )
        )

    def _read_password(self, from_stdin):
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            if not sys.stdin.isatty():
                raise CommandError("No terminal to ask for the password: use --stdin.")
            password = getpass.getpass("New password: ")
            if password != getpass.getpass("New password again: "):
                raise CommandError("The two passwords differ.")
        if not password:
            raise CommandError("The password is empty.")
        return password
