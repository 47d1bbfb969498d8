"""Issue #9 (docs/backup.md): a backup's files are readable by their owner only, and a restore
that fails reports why, not the pipe that broke because of it."""

import os
import stat

import pytest

from home import backup as backup_module
from home.backup import BackupError, run_piped

# A consumer that reads a little of its input, then stops on an error of its own, as psql
# does with ON_ERROR_STOP when a statement fails.
FAILING_CONSUMER = [
    "sh",
    "-c",
    'head -c 100000 >/dev/null; echo "ERROR:  permission denied to create extension '
    '\\"btree_gist\\"" >&2; exit 3',
]


def test_the_consumers_error_is_reported_not_the_producers_sigpipe():
    """`yes` writes until its pipe breaks: killed by SIGPIPE (-13), with nothing on stderr.
    The restore reported "pg_restore failed: -13" and threw psql's message away."""
    with pytest.raises(BackupError) as raised:
        run_piped(["yes"], FAILING_CONSUMER)
    message = str(raised.value)
    assert message.startswith('sh failed: ERROR:  permission denied to create extension "btree'), (
        message
    )
    assert "yes" not in message
    assert "-13" not in message
    assert "SIGPIPE" not in message


def test_a_failing_producer_is_reported_and_the_consumer_gets_no_end_of_input(tmp_path):
    """pg_restore failing midway: its own error, and psql killed before it could commit."""
    committed = tmp_path / "committed"
    with pytest.raises(BackupError) as raised:
        run_piped(
            ["sh", "-c", 'echo "INSERT 1;"; echo "pg_restore: error: bad block" >&2; exit 1'],
            ["sh", "-c", f'cat >/dev/null && touch "{committed}"'],
        )
    assert str(raised.value) == "sh failed: pg_restore: error: bad block"
    assert not committed.exists()


def test_a_consumer_error_after_the_whole_input_is_reported():
    with pytest.raises(BackupError) as raised:
        run_piped(
            ["echo", "SELECT 1;"],
            ["sh", "-c", 'cat >/dev/null; echo "ERROR:  syntax error" >&2; exit 3'],
        )
    assert str(raised.value) == "sh failed: ERROR:  syntax error"


def test_a_clean_pipe_passes(tmp_path):
    out = tmp_path / "out"
    run_piped(["echo", "hello"], ["sh", "-c", f'cat > "{out}"'])
    assert out.read_text() == "hello\n"


# Outside a test transaction: SQLite's backup API waits forever on a connection inside one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_files_are_readable_by_their_owner_only(tmp_path):
    """docs/backup.md: phone numbers, names and password hashes, readable by the owner only.
    The folder was 0700 but its files 0644, and a copied file or a loosened folder showed them."""
    media = tmp_path / "media"
    (media / "original_images").mkdir(parents=True)
    (media / "original_images" / "poster.jpg").write_bytes(b"\xff\xd8\xff")
    before = os.umask(0o022)
    try:
        backup = backup_module.backup(tmp_path / "backups", media_root=media)
        assert os.umask(0o022) == 0o022  # the process's mask is given back
    finally:
        os.umask(before)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    files = list(backup.iterdir())
    assert {file.name for file in files} >= {"manifest.json", "media.tar.gz"}
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
