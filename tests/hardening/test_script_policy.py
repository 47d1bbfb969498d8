"""The public site's Content-Security-Policy allows no inline script; only the Wagtail admin,
which still runs a few, does. Found by an attacker's review: `script-src 'self'
'unsafe-inline'` everywhere, so an escaping mistake on any public page would have run
script."""

import re

import pytest
from bs4 import BeautifulSoup

from tests import factories

pytestmark = pytest.mark.django_db

EXECUTABLE = {"", "text/javascript", "module", "application/javascript"}


def script_src(response):
    policy = response.headers["Content-Security-Policy"]
    directive = next(part.strip() for part in policy.split(";") if "script-src" in part)
    return directive.split()[1:]


def inline_scripts(response):
    soup = BeautifulSoup(response.content, "html.parser")
    scripts = [
        tag
        for tag in soup.find_all("script")
        if not tag.get("src") and tag.get("type", "") in EXECUTABLE
    ]
    handlers = [
        (tag.name, name)
        for tag in soup.find_all(True)
        for name in tag.attrs
        if re.fullmatch(r"on[a-z]+", name)
    ]
    return scripts, handlers


@pytest.fixture
def live_activity():
    owner = factories.submitter()
    return factories.activity(
        owner=owner,
        publish=True,
        title="广州青少年机器人科普体验日",
        poster=factories.poster(owner),
    )


def test_public_pages_forbid_inline_script_and_use_none(client, live_activity):
    failed_registration = client.post(
        "/accounts/register/", {"phone": "12345", "real_name": "李科普"}
    )
    assert failed_registration.status_code == 200
    responses = [
        client.get("/"),
        client.get("/activities/"),
        client.get("/search/", {"q": "机器人"}),
        client.get(live_activity.url),
        client.get("/accounts/register/"),
        failed_registration,
        client.get("/no-such-page/"),
    ]
    for response in responses:
        assert script_src(response) == ["'self'"], response.wsgi_request.path
        scripts, handlers = inline_scripts(response)
        assert not scripts and not handlers, (response.wsgi_request.path, scripts, handlers)
    # The failed form still loads its focus script, as a file.
    assert b"/static/js/error-summary.js" in failed_registration.content


def test_the_admin_alone_allows_inline_script(client):
    assert "'unsafe-inline'" in script_src(client.get("/admin/login/"))
    client.force_login(factories.submitter())
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert script_src(admin) == ["'self'", "'unsafe-inline'"]
