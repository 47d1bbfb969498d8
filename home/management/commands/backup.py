import os

from django.core.management.base import BaseCommand, CommandError

from home.backup import BackupError, backup, describe, read_manifest


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump for PostgreSQL, SQLite's online backup API for SQLite) "
        "and the media files into a new directory under BACKUP_DIR (default ./backups)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", help="Where to create the backup (default: $BACKUP_DIR or ./backups)."
        )
        parser.add_argument(
            "--keep",
            type=int,
            # A string default goes through type=int too: a bad BACKUP_KEEP is a usage error.
            default=os.environ.get("BACKUP_KEEP") or "0",
            help="Keep only this many newest backups (default: $BACKUP_KEEP; 0 keeps all).",
        )

    def handle(self, *args, **options):
        if options["keep"] < 0:
            raise CommandError("--keep must be 0 (keep all) or more.")
        try:
            path = backup(options["output_dir"], keep=options["keep"], log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"{path}: {describe(read_manifest(path))}"))
        # The path alone on the last line, for scripts.
        self.stdout.write(str(path))
