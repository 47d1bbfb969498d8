"""Close an account and anonymise it from the shell (PIPL art. 47; docs/accounts.md), for
support staff answering a request made under the privacy policy. The same rule as the user
admin's "Close and anonymise account" (accounts.anonymise):

    manage.py anonymise_account 13800138000 [--by 13800000031] [--no-input]

--by names the support person's own account, recorded as who did it in the audit log.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.anonymise import AnonymiseRefused, anonymise, refusal
from accounts.models import User, activities_owned
from accounts.validators import normalize_mobile


class Command(BaseCommand):
    help = (
        "Close an account and anonymise its personal information (the number may be typed "
        "with +86 or spaces). The account and its activities stay; the activities' contact "
        "details are not changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("phone", help="the account's mobile number")
        parser.add_argument(
            "--by",
            metavar="PHONE",
            help="the mobile number of your own account, recorded in the audit log",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, phone, by, interactive, **options):
        user = self._account(phone)
        actor = self._account(by) if by else None
        reason = refusal(user, actor)
        if reason:
            raise CommandError(reason)

        owned = activities_owned([user.pk]).get(user.pk, 0)
        self.stdout.write(
            f"Account {user.pk}: {user.phone} ({user.real_name}), owns {owned} activities."
        )
        if owned:
            self.stdout.write(
                "Its activities stay published as they are, with the contact person and phone "
                "typed on them: take them down or edit them separately if the person asks."
            )
        if interactive:
            answer = input("Type 'yes' to close and anonymise this account: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing changed.")
        try:
            removed = anonymise(user, by=actor, source="manage.py anonymise_account")
        except AnonymiseRefused as refused:
            raise CommandError(" ".join(refused.messages)) from None
        user.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"Account {user.pk} closed and anonymised as {user.real_name} "
                f"({removed['sessions']} session(s), {removed['login_records']} login "
                f"record(s){', the profile picture' if removed['avatar'] else ''} deleted)."
            )
        )

    def _account(self, phone):
        number = normalize_mobile(phone)
        try:
            return User.objects.get(phone=number)
        except User.DoesNotExist:
            raise CommandError(
                f"No account has the mobile number {number or phone!r} (a closed account has "
                "none: it is already anonymised)."
            ) from None
