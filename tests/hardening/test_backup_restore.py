"""Issue #9 (hardening): `make backup` / `make restore` bring back every activity, revision,
workflow state, task state, image and media file, into a fresh database (SQLite: a new file;
PostgreSQL: a new database created and dropped here)."""

import datetime
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.utils import load_backend
from wagtail.images.models import Image, Rendition
from wagtail.models import Page, PageLogEntry, Revision, TaskState, WorkflowState

from accounts import roles
from accounts.models import User
from activities.models import ActivityPage
from activities.states import annotate_review_state
from organizations.models import Organization
from tests import factories

IS_POSTGRES = connection.vendor == "postgresql"
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
RESTORED = "restored"

# What must come back, row by row: the model and the columns compared.
KEY_ROWS = {
    ActivityPage: (
        "pk",
        "title",
        "slug",
        "path",
        "live",
        "has_unpublished_changes",
        "live_revision_id",
        "latest_revision_id",
        "owner_id",
        "channel_id",
        "review_province_id",
        "poster_id",
        "start_at",
        "details",
    ),
    Page: ("pk", "path", "depth", "numchild", "url_path", "content_type_id", "live"),
    Revision: (
        "pk",
        "base_content_type_id",
        "object_id",
        "user_id",
        "created_at",
        "approved_go_live_at",
        "object_str",
        "content",
    ),
    WorkflowState: (
        "pk",
        "object_id",
        "workflow_id",
        "status",
        "requested_by_id",
        "current_task_state_id",
    ),
    TaskState: (
        "pk",
        "workflow_state_id",
        "task_id",
        "revision_id",
        "status",
        "started_at",
        "finished_at",
        "finished_by_id",
        "comment",
    ),
    PageLogEntry: ("pk", "page_id", "action", "revision_id", "user_id", "timestamp"),
    Image: ("pk", "title", "file", "width", "height", "file_size", "file_hash"),
    Rendition: ("pk", "image_id", "filter_spec", "file"),
    User: ("pk", "phone", "password", "real_name", "province_id", "is_active"),
}


@pytest.fixture
def media_root(settings, tmp_path):
    # Only this test's files: the session's shared media folder holds every test's posters.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database of the same kind, reachable as the "restored" alias."""
    default = connections["default"].settings_dict
    if IS_POSTGRES:
        name = f"{default['NAME']}_restored_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        user = default["USER"] or ""
        password = f":{default['PASSWORD']}" if default.get("PASSWORD") else ""
        host = default["HOST"] or "localhost"
        port = f":{default['PORT']}" if default.get("PORT") else ""
        url = f"postgres://{user}{password}@{host}{port}/{name}"
    else:
        name = str(tmp_path / "restored" / "db.sqlite3")
        url = f"sqlite:///{name}"
    # A connection made here, not declared in settings: Django's test case lets the test use
    # it (declared aliases need a test database of their own).
    restored = load_backend(default["ENGINE"]).DatabaseWrapper({**default, "NAME": name}, RESTORED)
    setattr(connections._connections, RESTORED, restored)
    try:
        yield url
    finally:
        restored.close()
        delattr(connections._connections, RESTORED)
        if IS_POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def act(page, user, action, comment=""):
    state = ActivityPage.objects.get(pk=page.pk).current_workflow_state.current_task_state
    state.task.specific.on_action(state, user, action, comment=comment)


def activities_in_every_state():
    """Activities moved through the real workflow: live, waiting at each step, rejected,
    a draft with two revisions, and a live one with an unpublished new draft."""
    submitter = factories.submitter(real_name="备份测试提交人")
    guangdong = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="广东审核")
    national = factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核")
    society = {
        "channel_category": "national_society",
        "channel": Organization.objects.get(name="中国化学会", category="national_society"),
    }

    def submitted(title, **fields):
        page = factories.activity(owner=submitter, title=title, **fields)
        page.get_workflow().start(page, submitter)
        return page

    live = submitted("备份测试已发布活动")
    act(live, guangdong, "approve")
    act(live, national, "approve")
    edited_live = submitted("备份测试已发布后修改", **society)
    act(edited_live, national, "approve")
    draft_of_live = ActivityPage.objects.get(pk=edited_live.pk)
    draft_of_live.contact_person = "修改后的联系人"
    draft_of_live.save_revision(user=submitter)
    submitted("备份测试省级待审活动")
    at_national = submitted("备份测试全国待审活动")
    act(at_national, guangdong, "approve")
    rejected = submitted("备份测试被退回活动")
    act(rejected, guangdong, "reject", comment="请补充活动对象")
    draft = factories.activity(owner=submitter, title="备份测试草稿")
    draft.scientists = "第二稿的科学家"
    draft.save_revision(user=submitter)
    # A rendition file, as the public pages create them.
    ActivityPage.objects.get(pk=live.pk).poster.get_rendition("fill-300x400")


def rows(model, alias):
    return list(model.objects.using(alias).order_by("pk").values_list(*KEY_ROWS[model]))


def review_states(alias):
    pages = ActivityPage.objects.using(alias).filter(title__startswith="备份测试")
    return {(page.title, page.live, page.review_state) for page in annotate_review_state(pages)}


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_and_restore_into_a_fresh_database(tmp_path, media_root, fresh_database):
    with time_machine.travel(IN_WINDOW, tick=True):
        activities_in_every_state()
    expected_states = review_states("default")
    assert len(expected_states) == 6
    assert len({state for _title, _live, state in expected_states}) >= 4
    media_files = {
        path.relative_to(media_root).as_posix(): digest(path)
        for path in media_root.rglob("*")
        if path.is_file()
    }
    assert any(name.startswith("images/") for name in media_files)  # the rendition

    call_command("backup", output_dir=str(tmp_path / "backups"), stdout=io.StringIO())
    [backup] = (tmp_path / "backups").iterdir()
    assert backup.name.startswith("kepuri-")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == ("postgresql" if IS_POSTGRES else "sqlite")
    assert manifest["counts"]["activities.ActivityPage"] == ActivityPage.objects.count()
    assert manifest["counts"]["wagtailcore.Revision"] == Revision.objects.count()
    assert manifest["counts"]["wagtailcore.TaskState"] == TaskState.objects.count()
    assert manifest["media"]["files"] == len(media_files)
    assert "wagtailcore" in manifest["migrations"]

    restored_media = tmp_path / "restored-media"
    call_command(
        "restore",
        str(backup),
        database_url=fresh_database,
        media_root=str(restored_media),
        stdout=io.StringIO(),
    )

    for model in KEY_ROWS:
        original = rows(model, "default")
        assert original, model
        assert rows(model, RESTORED) == original, model
    for model, label in (
        (Organization, "organizations.Organization"),
        (PageLogEntry, "wagtailcore.PageLogEntry"),
    ):
        assert model.objects.using(RESTORED).count() == manifest["counts"][label]
    # The review states the site derives from them are the same.
    assert review_states(RESTORED) == expected_states
    # Every media file is back, byte for byte, including each image the database names.
    assert {
        path.relative_to(restored_media).as_posix(): digest(path)
        for path in restored_media.rglob("*")
        if path.is_file()
    } == media_files
    for name in Image.objects.values_list("file", flat=True):
        assert (restored_media / name).is_file()

    # The restored database is no longer empty: only --force replaces it.
    with pytest.raises(CommandError, match="not empty.*--force"):
        call_command("restore", str(backup), database_url=fresh_database, no_media=True)
    call_command(
        "restore",
        str(backup),
        database_url=fresh_database,
        force=True,
        no_media=True,
        stdout=io.StringIO(),
    )
    assert rows(Revision, RESTORED) == rows(Revision, "default")

    # Nightly backups keep only the newest BACKUP_KEEP.
    call_command("backup", output_dir=str(tmp_path / "backups"), keep=1, stdout=io.StringIO())
    [newest] = (tmp_path / "backups").iterdir()
    assert newest != backup

    # A damaged copy is refused before anything is touched.
    damaged = tmp_path / "damaged"
    shutil.copytree(newest, damaged)
    with open(damaged / "media.tar.gz", "r+b") as archive:
        archive.seek(100)
        archive.write(b"\0" * 16)
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged), database_url=fresh_database, force=True)


def test_make_targets_run_the_commands():
    """`make backup` and `make restore BACKUP=… [FORCE=1]` are what the docs tell operators."""

    def dry_run(*args):
        result = subprocess.run(
            ["make", "--no-print-directory", "-n", *args],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout

    assert "manage.py backup" in dry_run("backup")
    assert 'manage.py restore "backups/kepuri-x"' in dry_run("restore", "BACKUP=backups/kepuri-x")
    forced = dry_run("restore", "BACKUP=backups/kepuri-x", "FORCE=1")
    assert forced.rstrip().endswith("--force")
    assert "--force" not in dry_run("restore", "BACKUP=backups/kepuri-x")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_forced_restore_rolls_back_an_upgrade(tmp_path, media_root, fresh_database):
    """Rolling back after an upgrade: the backup predates a migration that added tables, one
    of them with a foreign key to a table in the backup. `--force` must bring back exactly
    the backup's tables (PostgreSQL's `pg_restore --clean` alone failed on the foreign key
    and left a table without one behind for the next `migrate` to trip over)."""
    call_command("backup", output_dir=str(tmp_path / "backups"), stdout=io.StringIO())
    [backup] = (tmp_path / "backups").iterdir()
    call_command("restore", str(backup), database_url=fresh_database, stdout=io.StringIO())
    restored = connections[RESTORED]
    backed_up = set(restored.introspection.table_names())
    newer = {"upgrade_poster_crop", "upgrade_setting"}
    with restored.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE upgrade_poster_crop (id integer PRIMARY KEY, "
            "image_id integer NOT NULL REFERENCES wagtailimages_image (id))"
        )
        cursor.execute("CREATE TABLE upgrade_setting (id integer PRIMARY KEY, value text)")
        cursor.execute("CREATE VIEW upgrade_crop_view AS SELECT id FROM upgrade_poster_crop")
        if IS_POSTGRES:
            cursor.execute("CREATE SEQUENCE upgrade_counter")
    assert newer <= set(restored.introspection.table_names())
    restored.close()

    call_command(
        "restore",
        str(backup),
        database_url=fresh_database,
        force=True,
        no_media=True,
        stdout=io.StringIO(),
    )

    assert set(restored.introspection.table_names(include_views=True)) == backed_up
    if IS_POSTGRES:
        with restored.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'upgrade%%'")
            assert cursor.fetchall() == []
            # Kept, not dropped and created again: the database's owner may not be allowed to.
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'")
            assert cursor.fetchone() == (1,)
    assert rows(Page, RESTORED) == rows(Page, "default")


@pytest.fixture(scope="module")
def wal_site_file(tmp_path_factory, django_db_setup, django_db_blocker):
    """A copy of the migrated test database in a file in WAL mode, as the site runs it.
    Copied before any test opens a transaction: the test's own would lock the copy out."""
    site_file = tmp_path_factory.mktemp("site") / "db.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        # The test database exists only if a test that asks for it was collected.
        assert connection.is_in_memory_db(), connection.settings_dict["NAME"]
        with closing(sqlite3.connect(site_file)) as site:
            connection.connection.backup(site)
            assert site.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    return site_file


@pytest.mark.skipif(IS_POSTGRES, reason="the SQLite backup file")
@pytest.mark.django_db  # for the test database wal_site_file copies
def test_a_sqlite_backup_is_one_file_that_restores_from_read_only_media(
    tmp_path, media_root, monkeypatch, wal_site_file
):
    """The site's database runs in WAL mode; its backup must not: a WAL file needs -wal and
    -shm files beside it to be read, which a read-only copy (a USB stick, a read-only mount)
    cannot hold, and the restore blamed the target for it."""
    from home import backup as backup_module

    site_url = f"sqlite:///{wal_site_file}"
    real_database = backup_module.Database
    monkeypatch.setattr(backup_module, "Database", lambda url=None: real_database(url or site_url))
    # The site is running: one of its connections has the WAL open during the backup.
    running = sqlite3.connect(wal_site_file)
    try:
        running.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
        backup = backup_module.backup(tmp_path / "backups", media_root=media_root)
    finally:
        running.close()

    assert {path.name for path in backup.iterdir()} == {
        "database.sqlite3",
        "manifest.json",
        "media.tar.gz",
    }
    header = (backup / "database.sqlite3").read_bytes()[:20]
    assert (header[18], header[19]) == (1, 1)  # 2, 2 is WAL
    with closing(sqlite3.connect(f"file:{backup / 'database.sqlite3'}?mode=ro", uri=True)) as c:
        assert c.execute("PRAGMA journal_mode").fetchone() == ("delete",)

    read_only = tmp_path / "read-only" / backup.name
    shutil.copytree(backup, read_only)
    for file in read_only.iterdir():
        file.chmod(0o444)
    read_only.chmod(0o555)

    def state(folder):
        files = {f.name: (f.read_bytes(), f.stat().st_mtime_ns) for f in folder.iterdir()}
        return files, folder.stat().st_mtime_ns

    before = state(read_only)
    try:
        manifest, counts = backup_module.restore(
            read_only,
            database_url=f"sqlite:///{tmp_path / 'restored' / 'db.sqlite3'}",
            media_root=tmp_path / "restored-media",
            log=lambda message: None,
        )
        # As root the modes above stop nothing: the source was only read, so nothing was
        # created beside it and nothing in it changed.
        assert state(read_only) == before
    finally:
        read_only.chmod(0o755)
        for file in read_only.iterdir():
            file.chmod(0o644)
    assert counts == manifest["counts"] == real_database(site_url).counts()

    # A backup whose database SQLite cannot read (checksum updated, so it gets that far): the
    # message names the backup, not the target.
    unreadable = tmp_path / "unreadable"
    shutil.copytree(backup, unreadable)
    (unreadable / "database.sqlite3").write_bytes(b"not a database" * 100)
    manifest = json.loads((unreadable / "manifest.json").read_text())
    manifest["database"]["sha256"] = digest(unreadable / "database.sqlite3")
    (unreadable / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "untouched" / "db.sqlite3"
    with pytest.raises(backup_module.BackupError) as raised:
        backup_module.restore(
            unreadable, database_url=f"sqlite:///{target}", media=False, log=lambda m: None
        )
    assert str(unreadable / "database.sqlite3") in str(raised.value)
    assert "stop the site" not in str(raised.value)
    assert not target.parent.exists()
