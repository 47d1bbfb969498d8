"""Issue #9 (hardening), R11, R33: links people type are http or https, whatever disguise
another scheme comes in, in the model, the activity editor and the nomination form; and a
link stored some other way (an import, a shell) is never offered to visitors to click."""

import datetime
import json
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.utils.translation import override

from accounts import roles
from activities.models import ActivityPage
from activities.nomination_models import Nomination, NominationReport
from tests import factories
from tests.activities.editor import ADD_URL, editor_data
from tests.activities.nominating import post_data

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
BEIJING = ZoneInfo("Asia/Shanghai")

BAD_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://example.com/%0Aalert(1)",
    "javascript\u200b:alert(1)",
    "ｊａｖａｓｃｒｉｐｔ:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://example.com/book",
    "file:///etc/passwd",
    "mailto:book@example.com",
    "//evil.example/book",
    "/relative/book",
    "https://exa mple.com/book",
    "http://",
    "https:/evil.example",
]
GOOD_LINKS = ["https://example.com/book", "http://例子.中国/预约?id=1", "HTTPS://EXAMPLE.COM/Book"]
# Through HTTP, one of each kind of disguise (the model test above takes them all).
FORM_LINKS = [
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "ｊａｖａｓｃｒｉｐｔ:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/book",
]


def link_ids(links):
    return [repr(link)[1:-1][:30] for link in links]


def has_cjk(text):
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def is_http(url):
    parts = urlsplit(url)
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def unsaved_page(**overrides):
    fields = factories.activity_fields(**overrides)
    fields.setdefault("poster", factories.poster())
    parent = factories.index()
    page = ActivityPage(**fields)
    page.depth, page.path = parent.depth + 1, parent.path + "ZZZZ"
    return page


# The model ------------------------------------------------------------------------------


@pytest.mark.parametrize("link", BAD_LINKS, ids=link_ids(BAD_LINKS))
def test_model_refuses_every_other_scheme(link):
    """R11: model validation (every path that saves through full_clean) refuses the link."""
    page = unsaved_page(supports_reservation=True, reservation_url=link)
    with override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            page.full_clean()
        messages = refused.value.message_dict
    assert set(messages) == {"reservation_url"}, messages
    assert all(has_cjk(message) for message in messages["reservation_url"])


@pytest.mark.parametrize("link", GOOD_LINKS)
def test_model_accepts_http_and_https(link):
    page = unsaved_page(supports_reservation=True, reservation_url=link)
    page.full_clean()


# The activity editor -------------------------------------------------------------------


@pytest.fixture
def editor(client):
    owner = factories.submitter()
    client.force_login(owner)
    return client, factories.poster(owner), ADD_URL.format(index=factories.index().pk)


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize("link", FORM_LINKS, ids=link_ids(FORM_LINKS))
def test_editor_never_stores_another_scheme(editor, link):
    """R11: the Wagtail editor refuses the link with a Chinese message and keeps what was
    typed, or (for a link without a scheme) stores it as an http(s) link: never anything
    else."""
    client, poster, url = editor
    data = editor_data(
        poster,
        factories.channel(),
        action=None,
        supports_reservation="on",
        reservation_url=link,
        audience="中小学生",
    )
    response = client.post(url, data)
    if response.status_code == 302:
        stored = ActivityPage.objects.get().get_latest_revision_as_object().reservation_url
        assert is_http(stored), stored
        return
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["reservation_url"], form.errors
    assert all(has_cjk(message) for message in form.errors["reservation_url"])
    assert form["reservation_url"].value() == link
    assert form["audience"].value() == "中小学生"
    assert not ActivityPage.objects.exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_editor_stores_a_link_without_scheme_as_http(editor):
    """The one disguise that is accepted: "//host/path" is read as a web address."""
    client, poster, url = editor
    data = editor_data(
        poster,
        factories.channel(),
        action=None,
        supports_reservation="on",
        reservation_url="//book.example.cn/a",
    )
    assert client.post(url, data).status_code == 302
    stored = ActivityPage.objects.get().get_latest_revision_as_object().reservation_url
    assert re.fullmatch(r"https?://book\.example\.cn/a", stored)


# Links stored without validation ------------------------------------------------------


@pytest.mark.parametrize(
    "link", ["javascript:alert('xss-stored')", "data:text/html,x", " javascript:alert(1)"]
)
def test_a_stored_bad_link_is_never_offered_to_visitors(client, link):
    """R30, R31: an import or a shell can bypass validation; the page, its JSON-LD and the
    API still show no link."""
    page = factories.activity(publish=True, title="存储了坏链接的活动")
    # Past every validation, as a data import or a shell would write it.
    ActivityPage.objects.filter(pk=page.pk).update(supports_reservation=True, reservation_url=link)
    html = client.get(page.url).content.decode()
    soup = BeautifulSoup(html, "html.parser")
    hrefs = [anchor["href"] for anchor in soup.find_all("a", href=True)]
    assert link not in hrefs and link.strip() not in hrefs
    assert not soup.select(".activity__actions .button--cta")
    json_ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "offers" not in json.loads(json_ld.group(1))
    assert client.get(f"/api/v2/activities/{page.pk}/").json()["reservation_url"] == ""


def test_a_good_stored_link_is_offered(client):
    page = factories.activity(
        publish=True,
        title="有预约链接的活动",
        supports_reservation=True,
        reservation_url="https://book.example.cn/a",
    )
    soup = BeautifulSoup(client.get(page.url).content, "html.parser")
    assert soup.select_one(".activity__actions .button--cta")["href"] == "https://book.example.cn/a"
    api = client.get(f"/api/v2/activities/{page.pk}/").json()
    assert api["reservation_url"] == "https://book.example.cn/a"


# The nomination's media reports (R33) ---------------------------------------------------


@pytest.fixture
def nomination_page():
    owner = factories.submitter()
    with time_machine.travel(datetime.datetime(2026, 9, 1, 10, tzinfo=BEIJING), tick=False):
        page = factories.activity(
            owner=owner,
            publish=True,
            start_at=datetime.datetime(2026, 9, 15, 10, tzinfo=BEIJING),
            end_at=datetime.datetime(2026, 9, 15, 13, tzinfo=BEIJING),
        )
    return owner, page


@pytest.mark.parametrize("link", FORM_LINKS, ids=link_ids(FORM_LINKS))
def test_nomination_report_link_is_http_or_https(client, nomination_page, link):
    owner, page = nomination_page
    client.force_login(owner)
    with time_machine.travel(datetime.datetime(2026, 9, 16, 9, tzinfo=BEIJING), tick=False):
        response = client.post(
            f"/admin/nominations/{page.pk}/", post_data(**{"reports-0-url": link})
        )
    assert response.status_code == 200
    for report in NominationReport.objects.all():
        assert is_http(report.url), report.url
    if not NominationReport.objects.exists():
        formset = response.context["formset"]
        errors = formset.forms[0].errors.get("url", [])
        assert errors and all(has_cjk(message) for message in errors), formset.errors
        soup = BeautifulSoup(response.content, "html.parser")
        typed = soup.find("input", attrs={"name": "reports-0-title"})["value"]
        assert typed == "机器人科普体验日走进校园"


def test_moderators_are_not_offered_a_stored_bad_report_link(client, nomination_page):
    _owner, page = nomination_page
    nomination = Nomination.objects.create(page=page)
    NominationReport.objects.create(
        nomination=nomination, title="坏链接的报道", outlet="某报", url="javascript:alert(1)"
    )
    NominationReport.objects.create(
        nomination=nomination, title="好链接的报道", outlet="某报", url="https://news.example/1"
    )
    client.force_login(factories.user(roles.NATIONAL_MODERATORS))
    soup = BeautifulSoup(client.get(f"/admin/nominations/{page.pk}/review/").content, "html.parser")
    hrefs = [anchor["href"] for anchor in soup.find_all("a", href=True)]
    assert "javascript:alert(1)" not in hrefs
    assert "https://news.example/1" in hrefs
    assert "坏链接的报道" in soup.get_text()
