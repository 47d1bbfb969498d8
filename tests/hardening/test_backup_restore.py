"""Issue #9 (hardening): `make backup` / `make restore` bring back every activity, revision,
workflow state, task state, image and media file, into a fresh database (SQLite: a new file;
PostgreSQL: a new database created and dropped here)."""

import datetime
import hashlib
import io
import json
import shutil
import subprocess
import uuid
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
