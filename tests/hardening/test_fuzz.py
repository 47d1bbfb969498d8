"""Issue #9 (hardening): property-based fuzzing of every public GET endpoint's parameters
and of the two public forms (registration R1, onboarding R4).

Whatever a visitor or a crawler sends, the site never answers 500, never shows a stack
trace, answers in the content type it declares, and never reflects markup unescaped. A form
sent with bad values comes back with its errors in Chinese (R34) and keeps what was typed."""

import contextlib
import json
import os
import re
import unicodedata
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import icalendar
import pytest
from bs4 import BeautifulSoup
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from activities.listing import FILTER_PARAMS
from organizations.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,  # nothing written into the checkout
    # CI replays the same examples every run; a developer's run explores new ones.
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORM_FUZZ = settings(FUZZ, max_examples=30)
PATH_FUZZ = settings(FUZZ, max_examples=40)

# A tag no template writes: seeing it raw in a page means a value was reflected unescaped.
PROBE_TAG = "<x-fuzz-probe>"

LISTING_PARAMS = (*FILTER_PARAMS, "sort", "page")
API_PARAMS = (
    "limit",
    "offset",
    "fields",
    "order",
    "search",
    "search_operator",
    "format",
    "rich_text_format",
    "type",
    "child_of",
    "descendant_of",
    "id",
    "html_path",
)
OTHER_PARAMS = ("parent", "level", "category", "next", "language", "p")
PARAM_NAMES = (*LISTING_PARAMS, *API_PARAMS, *OTHER_PARAMS)

FRAGMENTS = [
    # SQL, full-text and template syntax
    "' OR 1=1 --",
    "'; DROP TABLE wagtailcore_page; --",
    '" OR ""="',
    "1) OR (1=1",
    "%",
    "_",
    "\\",
    "*",
    '"NEAR(',
    '"',
    "AND OR NOT",
    "{{ 7*7 }}",
    "{% debug %}",
    "${jndi:ldap://x}",
    "../../../../etc/passwd",
    # markup
    f"{PROBE_TAG}<script>alert(1)</script>",
    f'"><img src=x onerror=alert(1)>{PROBE_TAG}',
    f"</script>{PROBE_TAG}",
    "javascript:alert(1)",
    # control and odd characters
    "\x00",
    "a\x00b",
    "%00",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\u2028",
    "𝕏🔬",
    "科普" * 300,
    "x" * 5000,
    "9" * 5000,
    # numbers
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "0x10",
    "1.5",
    "１２",
    "٣",
    "99999999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
    # booleans, lists, objects
    "true",
    "on",
    "[]",
    "{}",
    "null",
    "((",
    "*,-title",
    # dates
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026/09/01",
    "2026-09-01T25:61",
    "２０２６-０９-０１",
    # real values, so valid paths are fuzzed too
    "start",
    "newest",
    "relevance",
    "-first_published_at",
    "440000",
    "440100",
    "online",
    "upcoming",
    "provincial",
    "机器人",
    "api",
    "json",
    "html",
    "markdown",
]

text_values = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x1F), max_size=8),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.dates().map(str),
    st.tuples(st.sampled_from(FRAGMENTS), st.text(max_size=10)).map("".join),
)
# Bytes go into the URL as they are: invalid UTF-8 and UTF-8-encoded surrogates.
raw_values = st.one_of(
    st.binary(max_size=24),
    st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"\xc0\xaf", b"%ED%A0%80"]),
)
values = st.one_of(text_values, raw_values)
names = st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=8))


@st.composite
def query_strings(draw):
    pairs = draw(st.lists(st.tuples(names, values), max_size=6))
    if draw(st.booleans()):
        # The same parameter many times (?type=1&type=2&...).
        name = draw(st.sampled_from(PARAM_NAMES))
        pairs += [(name, value) for value in draw(st.lists(values, min_size=2, max_size=30))]
    return urlencode(pairs)


# Checks -------------------------------------------------------------------------------

HTML = {"text/html"}
JSON = {"application/json", "text/html"}  # ?format=api is the browsable API's HTML
TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|File \"/[^\"]+\.py\", line \d+")


def check_response(response, types):
    status = response.status_code
    assert status < 500, status
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    assert not TRACEBACK.search(body), body[:2000]
    if status in {301, 302, 303, 307, 308}:
        return
    content_type = response.get("Content-Type", "")
    media_type = content_type.split(";")[0].strip()
    assert media_type in (types if status == 200 else HTML | JSON), (status, content_type)
    text = body.decode("utf-8")  # every answer is UTF-8
    if media_type.startswith("text/"):
        assert "charset=utf-8" in content_type.lower(), content_type
    if media_type == "text/html":
        assert PROBE_TAG not in text, "a parameter was reflected unescaped"
    elif media_type == "application/json":
        json.loads(text)
    elif status == 200 and media_type.endswith("xml"):
        ET.fromstring(body)  # noqa: S314 - our own server's answer
    elif status == 200 and media_type == "text/calendar":
        icalendar.Calendar.from_ical(body)


def has_cjk(text):
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def printable(value):
    return isinstance(value, str) and not any(
        unicodedata.category(char) in {"Cc", "Cs"} for char in value
    )


@contextlib.contextmanager
def rolled_back():
    """Whatever a POST writes is undone, so no example leaks state into the next one."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# Public GET endpoints -------------------------------------------------------------------


@pytest.fixture
def endpoints():
    """A live activity (so details, feeds and calendars have something to render), a draft,
    and every public GET endpoint with the content types it may answer in."""
    owner = factories.submitter()
    live = factories.activity(owner=owner, publish=True)
    factories.activity(owner=owner, title="未发布的草稿活动")
    detail = live.get_url()
    return [
        ("/", HTML),
        ("/activities/", HTML),
        ("/search/", HTML),
        (detail, HTML),
        ("/api/v2/activities/", JSON),
        (f"/api/v2/activities/{live.pk}/", JSON),
        ("/api/v2/pages/", JSON),
        (f"/api/v2/pages/{live.pk}/", JSON),
        ("/api/v2/pages/find/", JSON),
        ("/activities/feed/rss/", {"application/rss+xml"}),
        ("/activities/feed/atom/", {"application/atom+xml"}),
        ("/activities/calendar.ics", {"text/calendar"}),
        (f"/activities/{live.pk}/calendar.ics", {"text/calendar"}),
        ("/sitemap.xml", {"application/xml"}),
        ("/sitemap-activities.xml", {"application/xml"}),
        ("/sitemap-pages.xml", {"application/xml"}),
        ("/robots.txt", {"text/plain"}),
        ("/organizations/regions/", {"application/json"}),
        ("/accounts/register/", HTML),
        ("/accounts/login/", HTML),
        ("/i18n/setlang/", HTML),
        ("/healthz", JSON | {"text/plain"}),
        ("/language/en/", HTML),
    ]


# Values that broke endpoints once: each goes into every parameter an endpoint reads, one
# parameter at a time, so an early refusal of another parameter cannot hide it.
KILLER_VALUES = ["\x00", "9" * 5000, b"\xed\xa0\x80"]
PARAMS_READ = {
    "/activities/": LISTING_PARAMS,
    "/search/": LISTING_PARAMS,
    "/api/v2/activities/": (*LISTING_PARAMS, *API_PARAMS),
    "/api/v2/pages/": API_PARAMS,
    "/api/v2/pages/find/": API_PARAMS,
    "/activities/calendar.ics": LISTING_PARAMS,
    "/organizations/regions/": ("parent", "level"),
    "/sitemap-activities.xml": ("p",),
    "/accounts/login/": ("next",),
    "/i18n/setlang/": ("next", "language"),
    "/language/en/": ("next",),
}


@pytest.mark.parametrize("value", KILLER_VALUES, ids=["nul", "digits", "surrogate"])
def test_each_parameter_alone_with_a_hostile_value(client, endpoints, value):
    """Issue #9: every parameter an endpoint reads, alone, with each hostile value."""
    types = dict(endpoints)
    for path, params in PARAMS_READ.items():
        for name in params:
            check_response(client.get(f"{path}?{urlencode({name: value})}"), types[path])
    client.force_login(factories.submitter())
    for name in ("q", "category", "limit"):
        response = client.get(f"/organizations/autocomplete/?{urlencode({name: value})}")
        check_response(response, {"application/json"})


@FUZZ
@given(data=st.data(), query=query_strings())
@example(data=None, query="page=" + "9" * 5000)
@example(data=None, query="from=9999-12-31&to=0001-01-01&page=-1")
@example(data=None, query="limit=99999999999999999999&offset=-5&fields=((")
@example(data=None, query="&".join(f"type={n}" for n in range(200)))
def test_public_get_endpoints_never_fail(client, endpoints, data, query):
    """Issue #9: random, hostile and repeated parameters on every public GET endpoint."""
    chosen = endpoints if data is None else [data.draw(st.sampled_from(endpoints))]
    for path, types in chosen:
        check_response(client.get(f"{path}?{query}"), types)


@pytest.fixture
def signed_in(client):
    client.force_login(factories.submitter())
    return client


@FUZZ
@given(query=query_strings())
def test_organization_autocomplete_never_fails(signed_in, query):
    """Issue #9, R5: the pickers' suggestions for a signed-in user."""
    check_response(signed_in.get(f"/organizations/autocomplete/?{query}"), {"application/json"})


@PATH_FUZZ
@given(segment=st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(FRAGMENTS)))
@example(segment="99999999999999999999999")
@example(segment="a\x00b")
@example(segment="..")
def test_unknown_paths_are_404_not_errors(client, endpoints, segment):
    """Issue #9: odd path segments under the public prefixes."""
    part = quote(segment, safe="")
    for path in (
        f"/activities/{part}/",
        f"/activities/{part}/calendar.ics",
        f"/api/v2/activities/{part}/",
        f"/api/v2/pages/{part}/",
        f"/{part}/",
        f"/documents/{part}/{part}",
        f"/language/{part}/",
        f"/sitemap-{part}.xml",
    ):
        check_response(client.get(path), HTML | JSON | {"text/calendar"})


# Forms --------------------------------------------------------------------------------

form_text = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda value: value * 30),
)
# Multiple values for one field: the form reads the last.
form_values = st.one_of(form_text, form_text, st.lists(form_text, min_size=2, max_size=3))


def errors_of(soup):
    return [item.get_text(strip=True) for item in soup.select(".form__error li, .form__errors li")]


def typed_value(soup, name):
    field = soup.find(attrs={"name": name})
    if field is None:
        return None
    if field.name == "textarea":
        text = field.get_text()
        return text[1:] if text.startswith("\n") else text
    return field.get("value", "")


def check_form_kept(response, data, text_fields):
    """An invalid POST re-renders the form with Chinese errors and the typed values."""
    assert response.status_code == 200, response.status_code
    soup = BeautifulSoup(response.content, "html.parser")
    errors = errors_of(soup)
    assert errors, "an invalid form must say what is wrong"
    for message in errors:
        assert has_cjk(message), f"untranslated error: {message!r}"
    for name in text_fields:
        sent = data.get(name)
        if isinstance(sent, list):
            sent = sent[-1]
        if sent and printable(sent):
            assert typed_value(soup, name) == sent, name


PHONES = ["13912345678", "+86 139 1234 5678", "12345678901", "1391234567８"]
PASSWORDS = ["kepuri-strong-2026", "short", "12345678901234"]


@FORM_FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "phone": st.one_of(st.sampled_from(PHONES), form_values),
            "real_name": form_values,
            "organization": st.one_of(st.just(""), st.sampled_from(FRAGMENTS), form_values),
            "password1": st.one_of(st.sampled_from(PASSWORDS), form_text),
            "password2": st.one_of(st.sampled_from(PASSWORDS), form_text),
            "consent": st.one_of(st.just("on"), st.just(""), form_text),
        }
    )
)
@example(
    fields={
        "phone": "13912345678",
        "real_name": f"{PROBE_TAG}<script>alert(1)</script>",
        "organization": "99999999999999999999999",
        "password1": "kepuri-strong-2026",
        "password2": "kepuri-strong-2026",
        "consent": "on",
    }
)
@example(
    fields={
        "phone": "139\x0012345678",
        "real_name": "张\x00三",
        "organization": "\x00",
        "password1": "\x00",
        "password2": "\x00",
    }
)
def test_registration_form_never_fails(fields):
    """Issue #9, R1: /accounts/register/ with hostile values."""
    with rolled_back():
        response = Client().post("/accounts/register/", fields)
        if response.status_code == 302:
            assert response["Location"] == "/admin/my-activities/"
            return
        check_response(response, HTML)
        check_form_kept(response, fields, ("phone", "real_name"))


REGION_VALUES = ["440000", "440100", "440106", "110000", "110101", "999999", "4401", "xx"]
ONBOARDING_TEXT = ("name", "contact_person", "contact_phone", "contact_email", "address", "note")


@FORM_FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "name": form_values,
            "category": st.one_of(st.sampled_from(Organization.Category.values), form_text),
            "province": st.one_of(st.sampled_from(REGION_VALUES), form_text),
            "city": st.one_of(st.sampled_from(REGION_VALUES), form_text),
            "county": st.one_of(st.sampled_from(REGION_VALUES), form_text),
            "contact_person": form_values,
            "contact_phone": form_values,
            "contact_email": st.one_of(st.just("unit@example.cn"), form_values),
            "address": form_values,
            "note": form_values,
        }
    )
)
@example(
    fields={
        "name": "广州市某某科学技术协会",
        "category": "municipal",
        "province": "44\x000000",
        "city": "\x00",
        "county": "%",
        "contact_person": "王\x00老师",
        "contact_phone": "020-88888888",
        "contact_email": "a\x00@example.cn",
        "address": "x" * 5000,
        "note": f"{PROBE_TAG}<script>alert(1)</script>",
    }
)
@example(
    fields={
        "name": "广东省科学技术协会",
        "category": "provincial",
        "province": "440000",
        "city": "",
        "county": "",
        "contact_person": "王老师",
        "contact_phone": "020-88888888",
        "contact_email": "",
        "address": "",
        "note": "",
    }
)
def test_onboarding_form_never_fails(fields):
    """Issue #9, R4: /organizations/join/ with hostile values, signed in."""
    with rolled_back():
        client = Client()
        client.force_login(factories.submitter())
        response = client.post("/organizations/join/", fields)
        if response.status_code == 302:
            assert response["Location"] == "/organizations/requests/"
            return
        check_response(response, HTML)
        check_form_kept(response, fields, ONBOARDING_TEXT)
