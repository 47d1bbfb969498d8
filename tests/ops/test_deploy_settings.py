"""deploy/kepuri.env.example lists every variable the deployment reads, and the production
settings leave HSTS's includeSubDomains and preload to the operator (off unless set) and keep
the language cookie like the session cookie (docs/deploy.md sections 5 and 9).

Not marked `ops`: each check runs everywhere (the production settings in a fresh process)."""

import ast
import json
import os
import re
import secrets
from pathlib import Path

from tests.home.test_foundation import _in_django

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "kepuri.env.example"
# Every file that reads the environment of a deployed process.
READERS = [
    *sorted((ROOT / "config" / "settings").glob("*.py")),
    ROOT / "config" / "gunicorn.py",
    ROOT / "home" / "backup.py",
    ROOT / "home" / "management" / "commands" / "backup.py",
]
ENV_READERS = {"get", "getenv", "env_bool", "env_list"}


def variables_read(path):
    """The names in os.environ.get("X"), os.getenv("X"), env_bool("X"), env_list("X") and
    os.environ["X"] in `path`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            name = getattr(function, "attr", None) or getattr(function, "id", None)
            if name == "get" and "environ" not in ast.unparse(function):
                continue
            if name in ENV_READERS and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def test_the_environment_example_lists_every_variable_read():
    read = set().union(*(variables_read(path) for path in READERS))
    # dj_database_url.config() reads DATABASE_URL; activities/posters.py reads POSTER_FONT.
    read |= {"DATABASE_URL", "POSTER_FONT"}
    assert {"SECRET_KEY", "CARD_MEMORY_SIZE", "GUNICORN_WORKERS", "GIT_COMMIT"} <= read
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.MULTILINE))
    assert read - listed == set()


def test_every_listed_variable_is_explained():
    """Each variable has a comment of its own above it, or shares one with the lines just
    above it (EMAIL_HOST … DEFAULT_FROM_EMAIL under the transport's)."""
    lines = EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^#?[A-Z][A-Z0-9_]+=", line):
            above = number - 1
            while above >= 0 and re.match(r"^#?[A-Z][A-Z0-9_]+=", lines[above]):
                above -= 1
            assert lines[above].startswith("# "), line


def production(code, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    for name in ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_HSTS_SECONDS"):
        environment.pop(name, None)
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL="sqlite:////tmp/kepuri-check-deploy.sqlite3",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="kepuri.example.cn",
        **env,
    )
    result = _in_django(code, environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


SETTINGS = (
    "import json; from django.conf import settings as s;"
    "from django.core.checks import run_checks;"
    "print(json.dumps({**{name: getattr(s, name) for name in ["
    "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD',"
    "'LANGUAGE_COOKIE_SECURE', 'LANGUAGE_COOKIE_HTTPONLY', 'LANGUAGE_COOKIE_SAMESITE',"
    "'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE']},"
    "'deploy_warnings': sorted(m.id for m in run_checks(include_deployment_checks=True)"
    " if m.id.startswith('security.') and not m.is_silenced())}))"
)


def test_hsts_covers_this_host_only_unless_the_operator_extends_it():
    """includeSubDomains and preload were always on: on an association's own domain every
    HTTP-only site below it (an intranet) would have stopped opening for a year."""
    values = production(SETTINGS)
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    # A decision, not an oversight: `check --deploy --fail-level WARNING` stays clean.
    assert values["deploy_warnings"] == []

    values = production(SETTINGS, SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="1")
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["deploy_warnings"] == []


def test_the_language_cookie_is_kept_like_the_session_cookie():
    values = production(SETTINGS)
    for attribute in ("SECURE", "HTTPONLY", "SAMESITE"):
        assert values[f"LANGUAGE_COOKIE_{attribute}"] == values[f"SESSION_COOKIE_{attribute}"]
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_HTTPONLY"] is True
