from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

from home.backup import BackupError, describe, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database (or, with --force, "
        "replace the database's contents) and its media files into MEDIA_ROOT."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "backup", help="The backup directory, e.g. backups/kepuri-20260901-020000"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that is not empty.",
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of the configured one (DATABASE_URL).",
        )
        parser.add_argument("--media-root", help="Restore the media here instead of MEDIA_ROOT.")
        parser.add_argument("--no-media", action="store_true", help="Restore the database only.")

    def handle(self, *args, **options):
        try:
            manifest, _counts = restore(
                options["backup"],
                database_url=options["database_url"],
                media_root=options["media_root"],
                force=options["force"],
                media=not options["no_media"],
                log=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored the {describe(manifest)}."))
        newer = self.migrations_newer_than(manifest["migrations"])
        if newer:
            self.stdout.write(
                self.style.WARNING(
                    "The code has migrations the backup has not ("
                    + ", ".join(newer)
                    + "): run `manage.py migrate` against the restored database."
                )
            )

    def migrations_newer_than(self, applied):
        loader = MigrationLoader(None, ignore_no_migrations=True)
        return sorted(
            f"{app}.{name}"
            for app, name in loader.graph.leaf_nodes()
            if name not in applied.get(app, [])
        )
