"""Backup and restore of the database and the media files (issue #9, docs/backup.md).

A backup is one directory, BACKUP_DIR/kepuri-<YYYYmmdd-HHMMSS>/, holding
- database.dump: PostgreSQL, `pg_dump --format=custom`, or
  database.sqlite3: SQLite, copied with SQLite's online backup API (consistent while the
  site writes; a plain copy of a WAL database can miss committed pages), then taken out of
  WAL mode so that it is one file, readable from read-only media;
- media.tar.gz: everything under MEDIA_ROOT (posters, their renditions, documents);
- manifest.json: when, from which commit, the migrations applied, the row counts of the
  tables that matter and a SHA-256 of each file.

The counts are taken from the very snapshot that is saved (PostgreSQL: pg_dump runs on a
snapshot exported by the transaction that counts; SQLite: counted in the copy), so a restore
can check it brought back exactly what was saved.
"""

import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing, suppress
from pathlib import Path

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}

# The rows a restore must bring back, by model; counted in the backup and after a restore.
COUNTED_MODELS = (
    "accounts.User",
    "auth.Group",
    "organizations.Organization",
    "wagtailcore.Page",
    "activities.ActivityPage",
    "wagtailcore.Revision",
    "wagtailcore.WorkflowState",
    "wagtailcore.TaskState",
    "wagtailcore.PageLogEntry",
    "wagtailimages.Image",
    "wagtailimages.Rendition",
    "wagtaildocs.Document",
)


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


# --- databases ---------------------------------------------------------------------------


class Database:
    """The database a backup is taken from or restored into: Django's default database, or
    the one a DATABASE_URL names."""

    def __init__(self, url=None):
        if url:
            self.settings = dj_database_url.parse(url)
        else:
            self.settings = connections["default"].settings_dict
        engine = self.settings["ENGINE"]
        if "postgresql" in engine:
            self.vendor = "postgresql"
        elif "sqlite3" in engine:
            self.vendor = "sqlite"
        else:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")
        self.is_default = url is None

    @property
    def name(self):
        return str(self.settings["NAME"])

    def __str__(self):
        if self.vendor == "sqlite":
            return f"SQLite {self.name}"
        host = self.settings.get("HOST") or "local socket"
        return f"PostgreSQL database {self.name} on {host}"

    # PostgreSQL -------------------------------------------------------------------------

    def pg_args(self):
        args = []
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if self.settings.get(key):
                args.append(f"{flag}={self.settings[key]}")
        return [*args, f"--dbname={self.name}"]

    def pg_env(self):
        # The password goes through the environment, never the command line (ps shows it).
        env = dict(os.environ)
        if self.settings.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.settings["PASSWORD"])
        return env

    def pg_connect(self, **kwargs):
        import psycopg

        params = {
            "dbname": self.name,
            "host": self.settings.get("HOST") or None,
            "port": self.settings.get("PORT") or None,
            "user": self.settings.get("USER") or None,
            "password": self.settings.get("PASSWORD") or None,
        }
        return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, **kwargs)

    # SQLite -----------------------------------------------------------------------------

    def sqlite_connect(self):
        if self.is_default:
            # Django's own connection also reaches the in-memory databases of tests.
            connection = connections["default"]
            connection.ensure_connection()
            return connection.connection, False
        return sqlite3.connect(self.name, timeout=30), True

    # Both -------------------------------------------------------------------------------

    def table_names(self):
        if self.vendor == "postgresql":
            with self.pg_connect(autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                ).fetchall()
            return [row[0] for row in rows]
        if not Path(self.name).exists():
            return []
        # sqlite3's `with` only commits; closing removes the -wal/-shm files it opened.
        with closing(sqlite3.connect(self.name)) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return [row[0] for row in rows if not row[0].startswith("sqlite_")]

    def counts(self):
        if self.vendor == "postgresql":
            with self.pg_connect(autocommit=True) as conn:
                return count_rows(conn.cursor())
        with closing(sqlite3.connect(self.name)) as conn:
            return count_rows(conn.cursor())


def count_rows(cursor):
    counts = {}
    for label in COUNTED_MODELS:
        table = apps.get_model(label)._meta.db_table
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - a model's own table
        counts[label] = cursor.fetchone()[0]
    return counts


def applied_migrations(cursor):
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
    applied = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def executable(name):
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; it comes with the PostgreSQL client "
            "(Debian: apt-get install postgresql-client-15)."
        )
    return found


def run(command, env=None):
    result = subprocess.run(  # noqa: S603 - fixed executables, arguments from settings
        [executable(command[0]), *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.returncode}")
    return result


def exit_status(returncode):
    if returncode < 0:
        with suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def run_piped(first, second, env=None):
    """`first | second`, except that `second` reaches the end of its input only when `first`
    succeeded: psql commits its single transaction at the end of its input, and must not
    commit the drops and half a restore when pg_restore fails midway. Killed instead, it
    commits nothing and the server rolls back. The error names the command that failed: when
    `second` stopped on an error of its own (psql: "extension btree_gist …"), its message
    comes first, and `first` dying of SIGPIPE, as it then does, is not reported as a fault."""

    def read(file):
        file.seek(0)
        return file.read().decode(errors="replace").strip()

    # Errors go to files: a full stderr pipe that nobody reads would stall the command.
    with tempfile.TemporaryFile() as first_errors, tempfile.TemporaryFile() as second_errors:
        producer = subprocess.Popen(  # noqa: S603 - fixed executables, arguments from settings
            [executable(first[0]), *first[1:]],
            env=env,
            stdout=subprocess.PIPE,
            stderr=first_errors,
        )
        consumer = subprocess.Popen(  # noqa: S603 - as above
            [executable(second[0]), *second[1:]],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=second_errors,
        )
        cut_off = stopped = False
        try:
            try:
                for block in iter(lambda: producer.stdout.read(1 << 16), b""):
                    consumer.stdin.write(block)
            except BrokenPipeError:
                # `second` stopped reading: it ended (on an error, its own message says
                # which). `first` then dies of SIGPIPE on its next write.
                stopped = True
            # Unread, `first` would block on a full pipe; closed, it stops.
            producer.stdout.close()
            producer.wait()
            if stopped:
                with suppress(BrokenPipeError):
                    consumer.stdin.close()
                try:
                    consumer.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    consumer.kill()
                    consumer.wait()
            elif producer.returncode == 0:
                with suppress(BrokenPipeError):
                    consumer.stdin.close()
                consumer.wait()
            else:
                cut_off = True
                consumer.kill()
                consumer.wait()
                with suppress(BrokenPipeError):
                    consumer.stdin.close()
        except BaseException:
            for process in (producer, consumer):
                process.kill()
                process.wait()
            raise
        consumer_failed = not cut_off and (consumer.returncode != 0 or stopped)
        producer_failed = producer.returncode != 0 and not (
            stopped and producer.returncode == -signal.SIGPIPE
        )
        errors = []
        if consumer_failed:
            status = exit_status(consumer.returncode)
            if consumer.returncode == 0:
                status = "stopped reading before the end of its input"
            errors.append(f"{second[0]} failed: {read(second_errors) or status}")
        if producer_failed:
            status = exit_status(producer.returncode)
            errors.append(f"{first[0]} failed: {read(first_errors) or status}")
        if errors:
            raise BackupError("; ".join(errors))


# --- files -------------------------------------------------------------------------------


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit():
    """The deployed commit: GIT_COMMIT when the deployment sets it, else git's HEAD."""
    if os.environ.get("GIT_COMMIT"):
        return os.environ["GIT_COMMIT"]
    git = shutil.which("git")
    if git is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "rev-parse", "HEAD"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


def archive_media(media_root, path):
    files = size = 0
    media_root = Path(media_root)
    with tarfile.open(path, "w:gz") as archive:
        if media_root.is_dir():
            for file in sorted(media_root.rglob("*")):
                if file.is_file():
                    archive.add(file, arcname=file.relative_to(media_root).as_posix())
                    files += 1
                    size += file.stat().st_size
    return files, size


def new_backup_directory(backup_dir):
    backup_dir = Path(backup_dir)
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        name = f"kepuri-{stamp}" + (f"-{attempt + 1}" if attempt else "")
        if not (backup_dir / name).exists() and not (backup_dir / f".{name}.partial").exists():
            return backup_dir / name, backup_dir / f".{name}.partial"
    raise BackupError(f"Too many backups named kepuri-{stamp} in {backup_dir}.")


# --- backup ------------------------------------------------------------------------------


def backup(backup_dir=None, media_root=None, keep=None, log=lambda message: None):
    """Back up the default database and MEDIA_ROOT into a new directory; return its path.
    With `keep`, only that many of the newest backups stay."""
    backup_dir = backup_dir or os.environ.get("BACKUP_DIR") or settings.BASE_DIR / "backups"
    media_root = Path(media_root or settings.MEDIA_ROOT)
    database = Database()
    final, partial = new_backup_directory(backup_dir)
    # Phone numbers, names and password hashes: readable by the site's user only, the folder
    # and every file in it (0600; pg_dump inherits the mask), so a copy of a single file or
    # a folder whose mode is changed later still does not expose them.
    previous_umask = os.umask(0o077)
    try:
        partial.mkdir(mode=0o700)
        return _backup_into(database, partial, final, media_root, keep, log)
    finally:
        os.umask(previous_umask)


def _backup_into(database, partial, final, media_root, keep, log):
    try:
        database_file = partial / DATABASE_FILES[database.vendor]
        log(f"Backing up {database} …")
        if database.vendor == "postgresql":
            counts, migrations = _dump_postgresql(database, database_file)
        else:
            counts, migrations = _copy_sqlite(database, database_file)
        log(f"Archiving {media_root} …")
        media_files, media_bytes = archive_media(media_root, partial / MEDIA_ARCHIVE)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.localtime().isoformat(),
            "git_commit": git_commit(),
            "versions": _versions(),
            "database": {
                "vendor": database.vendor,
                "name": database.name,
                "file": database_file.name,
                "sha256": sha256(database_file),
                "bytes": database_file.stat().st_size,
            },
            "media": {
                "file": MEDIA_ARCHIVE,
                "sha256": sha256(partial / MEDIA_ARCHIVE),
                "files": media_files,
                "bytes": media_bytes,
            },
            "migrations": migrations,
            "counts": counts,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        # Only a complete backup gets its final name.
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep:
        for old in complete_backups(final.parent)[:-keep]:
            log(f"Removing the old backup {old} …")
            shutil.rmtree(old)
    return final


def complete_backups(backup_dir):
    """The finished backups in `backup_dir`, oldest first (their names sort by time)."""
    return sorted(
        path
        for path in Path(backup_dir).glob("kepuri-*")
        if path.is_dir() and (path / MANIFEST).is_file()
    )


def _dump_postgresql(database, path):
    import psycopg

    # The counting transaction exports its snapshot and pg_dump dumps that same snapshot.
    with database.pg_connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        cursor = conn.cursor()
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = count_rows(cursor)
        migrations = applied_migrations(cursor)
        run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-acl",
                f"--snapshot={snapshot}",
                f"--file={path}",
                *database.pg_args(),
            ],
            env=database.pg_env(),
        )
        conn.rollback()
    return counts, migrations


def _copy_sqlite(database, path):
    source, owned = database.sqlite_connect()
    try:
        target = sqlite3.connect(path)
        try:
            # One step (pages=-1): a consistent snapshot even while the site writes.
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"Could not copy {database.name}: {error}") from error
    finally:
        if owned:
            source.close()
    # The copy carries the site's WAL mode in its header: reading it would then need -wal and
    # -shm files beside it, which read-only media (a USB stick, a read-only mount) cannot
    # hold. In rollback-journal mode it is one self-contained file. Closed before the
    # checksum, so nothing is left to change it or to lie next to it.
    with closing(sqlite3.connect(path)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        return count_rows(cursor), applied_migrations(cursor)


def _versions():
    import django
    import wagtail

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
    }


# --- restore -----------------------------------------------------------------------------


def read_manifest(path):
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{path} is not a backup: it has no {MANIFEST}.")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {manifest.get('format')}, not {FORMAT}.")
    for part in ("database", "media"):
        file = path / manifest[part]["file"]
        if not file.is_file():
            raise BackupError(f"{file} is missing.")
        if sha256(file) != manifest[part]["sha256"]:
            raise BackupError(f"{file} is damaged: its checksum differs from the manifest.")
    return manifest


def restore(path, database_url=None, media_root=None, force=False, media=True, log=print):
    """Restore the backup at `path` into an empty database (any database with `force`) and
    its media into MEDIA_ROOT; check the restored row counts against the manifest."""
    path = Path(path)
    manifest = read_manifest(path)
    database = Database(database_url)
    vendor = manifest["database"]["vendor"]
    if database.vendor != vendor:
        raise BackupError(
            f"This is a {vendor} backup; it can only be restored into {vendor}, "
            f"not into {database}."
        )
    if database.table_names() and not force:
        raise BackupError(
            f"{database} is not empty. Restore into a new, empty database, or pass --force "
            "(make restore … FORCE=1) to replace what it holds."
        )
    # This process's own connection must not hold the database while it is replaced.
    connections.close_all()
    database_file = path / manifest["database"]["file"]
    log(f"Restoring {database_file.name} into {database} …")
    if vendor == "postgresql":
        _restore_postgresql(database, database_file, force)
    else:
        _restore_sqlite(database, database_file)
    counts = database.counts()
    if counts != manifest["counts"]:
        differences = {
            label: (manifest["counts"].get(label), counts.get(label))
            for label in manifest["counts"]
            if manifest["counts"].get(label) != counts.get(label)
        }
        raise BackupError(f"The restored database differs from the backup: {differences}.")
    if media:
        media_root = Path(media_root or settings.MEDIA_ROOT)
        log(f"Restoring {manifest['media']['files']} media files into {media_root} …")
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path / MEDIA_ARCHIVE, "r:gz") as archive:
            # The "data" filter refuses absolute paths, links out of the directory, devices.
            archive.extractall(media_root, filter="data")
    return manifest, counts


# Everything of the site's own in the public schema, dropped before a forced restore: the
# backup may predate an upgrade that added tables, and `pg_restore --clean` drops only what
# the dump holds. A newer table with a foreign key to a dumped one then blocks dropping that
# table's key, and one without stays behind for the next `migrate` to trip over. Relations
# the user does not own are left alone (the owner of the database need not own the schema
# and DROP SCHEMA is not theirs to run), and so are an extension's own: btree_gist stays
# installed, so a user who may not create extensions can still restore. Tables first:
# Django's identity sequences can only go with their table.
DROP_RELATIONS = """
SET client_min_messages = warning;
DO $$
DECLARE
    relation record;
BEGIN
    FOR relation IN
        SELECT c.relkind, format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
          AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
          AND NOT EXISTS (
              SELECT FROM pg_catalog.pg_depend d
              WHERE d.classid = 'pg_catalog.pg_class'::regclass
                AND d.objid = c.oid
                AND d.deptype = 'e'
          )
        ORDER BY c.relkind = 'S', c.relkind IN ('v', 'm')
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS %s CASCADE',
            CASE relation.relkind
                WHEN 'f' THEN 'FOREIGN TABLE'
                WHEN 'v' THEN 'VIEW'
                WHEN 'm' THEN 'MATERIALIZED VIEW'
                WHEN 'S' THEN 'SEQUENCE'
                ELSE 'TABLE'
            END,
            relation.name
        );
    END LOOP;
END
$$;
"""


def _restore_postgresql(database, dump, force):
    # The dump's comment on btree_gist: only the extension's owner may set it, and the
    # extension sets that same comment itself when it is created.
    listing = run(["pg_restore", "--list", str(dump)]).stdout.splitlines(keepends=True)
    entries = [line for line in listing if " COMMENT - EXTENSION " not in line]
    with tempfile.NamedTemporaryFile("w", suffix=".list") as toc:
        toc.writelines(entries)
        toc.flush()
        # pg_restore writes the SQL and psql runs it: that way the drops run in the same
        # transaction as the restore (pg_restore cannot run SQL of its own), and a failed
        # restore leaves the database as it was.
        run_piped(
            ["pg_restore", "--no-owner", "--no-acl", f"--use-list={toc.name}", "--file=-"]
            + [str(dump)],
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                *(["--command", DROP_RELATIONS] if force else []),
                "--file=-",
                *database.pg_args(),
            ],
            env=database.pg_env(),
        )


def _restore_sqlite(database, source_file):
    # Read-only, so a backup on read-only media restores, and immutable: a finished backup
    # never changes, and only the checksummed file counts, never a -wal beside it (backups
    # made before they were switched out of WAL mode may have one).
    uri = f"{Path(source_file).resolve().as_uri()}?mode=ro&immutable=1"
    try:
        source = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"Could not read the backup {source_file}: {error}.") from error
    with closing(source):
        try:
            # Reads the schema now, so a fault of the backup is not blamed on the target.
            source.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as error:
            raise BackupError(f"Could not read the backup {source_file}: {error}.") from error
        Path(database.name).parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(sqlite3.connect(database.name, timeout=30)) as target:
                source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(
                f"Could not write {database.name} ({error}); stop the site while restoring."
            ) from error


def describe(manifest):
    created = datetime.datetime.fromisoformat(manifest["created_at"])
    counts = manifest["counts"]
    return (
        f"backup of {created:%Y-%m-%d %H:%M:%S} (commit {manifest['git_commit'] or 'unknown'}): "
        f"{counts['activities.ActivityPage']} activities, {counts['wagtailcore.Revision']} "
        f"revisions, {counts['wagtailcore.WorkflowState']} workflow states, "
        f"{counts['wagtailcore.TaskState']} task states, {counts['wagtailimages.Image']} images, "
        f"{manifest['media']['files']} media files"
    )
