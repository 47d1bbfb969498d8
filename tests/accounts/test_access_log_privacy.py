"""The access line (config.middleware.RequestIdMiddleware) wrote request.get_full_path():
a live password-reset link (/admin/password_reset/confirm/<uid>/<token>/, usable for
PASSWORD_RESET_TIMEOUT by whoever reads the logs) and whatever an administrator searched for
(/admin/users/?q=13912345678, a phone number). PIPL audit, medium; R1 (accounts), R27
(personal data). The token is written as ***, and on admin pages the values of search and
secret parameters are; their names stay, so the line still says what was asked."""

import logging

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import roles
from tests import factories

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def access(caplog):
    caplog.set_level(logging.INFO, logger="config.access")
    return caplog


def lines(caplog):
    """Each access line as written, and the `path` field the JSON formatter writes."""
    records = [record for record in caplog.records if record.name == "config.access"]
    assert records
    return [(record.getMessage(), record.path) for record in records]


def test_a_password_reset_token_is_not_logged(client, access):
    user = factories.submitter()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(f"/admin/password_reset/confirm/{uid}/{token}/")
    # Django keeps the token in the session and sends the browser on without it.
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{uid}/set-password/")
    client.get(response["Location"])
    written = lines(access)
    assert all(token not in message and token not in path for message, path in written)
    assert f"GET /admin/password_reset/confirm/{uid}/***/ 302" in written[0][0]
    assert written[1][1] == f"/admin/password_reset/confirm/{uid}/set-password/"


def test_django_reset_address_shape_is_scrubbed_too():
    from config.logs import logged_path

    assert logged_path("/accounts/reset/MQ/cu7kcx-0123abcd/") == "/accounts/reset/MQ/***/"
    assert logged_path("/accounts/reset/MQ/set-password/") == "/accounts/reset/MQ/set-password/"


def test_an_admin_search_for_a_phone_number_is_not_logged(client, access):
    client.force_login(factories.user(roles.ADMINISTRATORS))
    response = client.get(f"/admin/users/?q={PHONE}&ordering=name")
    assert response.status_code == 200
    message, path = lines(access)[-1]
    assert PHONE not in message and PHONE not in path
    assert path == "/admin/users/?q=***&ordering=name"


def test_other_admin_search_parameters_and_the_next_address_are_scrubbed(client, access):
    client.get(f"/admin/login/?next=/admin/users/%3Fq%3D{PHONE}%26p%3D2")
    client.get(f"/admin/images/chooser/?search={PHONE}&token=abc123&p=1")
    written = lines(access)
    assert all(PHONE not in message and "abc123" not in message for message, _path in written)
    assert written[0][1] == "/admin/login/?next=/admin/users/%3Fq%3D***%26p%3D2"
    assert written[1][1] == "/admin/images/chooser/?search=***&token=***&p=1"


def test_public_addresses_are_logged_as_asked(client, access):
    """Only admin queries are scrubbed: the public search's words are not personal data."""
    client.get("/search/?q=%E7%A7%91%E6%99%AE")
    assert lines(access)[-1][1] == "/search/?q=%E7%A7%91%E6%99%AE"


@pytest.fixture
def written():
    """Every record as the console handler of settings.LOGGING writes it (JSON), filters
    included: caplog's own handler bypasses them."""
    import io

    from django.conf import settings

    from config.logs import JsonFormatter, PrivatePathsFilter, RequestIdFilter

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["request_id", "private_paths"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PrivatePathsFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_django_s_not_found_line_keeps_no_token_either(client, written):
    """Attacker audit: Django logs a 404 itself ("Not Found: <path>", django.request, with
    the request as a field), past the access line's scrubbing. A signed-in user who opens
    a reset link with a segment too many got a 404 naming the token."""
    token = "d4r1x1-0123456789abcdef0123"
    response = client.get(f"/accounts/reset/MQ/{token}/x/")
    assert response.status_code == 404
    output = written.getvalue()
    assert "Not Found" in output
    assert token not in output
    assert "/accounts/reset/MQ/***/x/" in output


def test_a_next_address_is_scrubbed_on_any_page(client, access):
    client.get("/accounts/login/", {"next": f"/admin/users/?q={PHONE}"})
    assert all(PHONE not in message and PHONE not in path for message, path in lines(access))
