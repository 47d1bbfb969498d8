"""Issue #9 (hardening), R13, R30, R31: markup in what submitters type never runs on the
public site.

Rich text (the details) keeps only what its editor offers, whether it came through the
Draftail editor or was stored by code; plain-text fields are escaped wherever they appear:
the detail page, the listing card, the search highlight, RSS/Atom, iCalendar, the JSON-LD
block and the API."""

import datetime
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import icalendar
import pytest
import time_machine
from bs4 import BeautifulSoup

from activities.models import ActivityPage, HostUnit
from home.models import HomePage
from tests import factories
from tests.activities.editor import ADD_URL, editor_data

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
SAFE_SCHEMES = {"", "http", "https", "mailto", "tel", "ftp"}
CODE_ELEMENTS = {
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "textarea",
    "button",
    "link",
    "meta",
    "base",
}

HOSTILE_DETAILS = """
<p>活动正文<script>alert('xss-script')</script></p>
<p><img src="x" onerror="alert('xss-img')"></p>
<p onclick="alert('xss-click')" style="position:fixed">点击这里</p>
<h2 onmouseover="alert('xss-hover')">小标题</h2>
<p><a href="javascript:alert('xss-js')">普通链接一</a></p>
<p><a href="JaVaScRiPt:alert('xss-case')">普通链接二</a></p>
<p><a href="  javascript:alert('xss-space')">普通链接三</a></p>
<p><a href="java&#x09;script:alert('xss-tab')">普通链接四</a></p>
<p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">数据链接</a></p>
<p><a href="vbscript:msgbox('xss-vb')">VB 链接</a></p>
<p><a href="https://example.com/ok" target="_blank" onclick="alert('xss-a')">合法链接</a></p>
<iframe src="https://evil.example/frame"></iframe>
<style>body { display: none } /* xss-style */</style>
<object data="https://evil.example/x.swf"></object>
<svg onload="alert('xss-svg')"><script>alert('xss-svg-script')</script></svg>
<math><mtext><table><mglyph><style><img src=x onerror="alert('xss-mxss')"></style>
</mglyph></table></mtext></math>
<form action="https://evil.example/"><input name="password"><button>提交</button></form>
<p><a linktype="page" id="abc">坏的页面链接</a></p>
<embed embedtype="image" id="abc" format="left" alt="坏图片"/>
<embed embedtype="media" url="https://evil.example/embed"/>
<p><a linktype="page" id="1"><script>alert('xss-in-link')</script>站内链接</a></p>
"""


def details_of(response):
    soup = BeautifulSoup(response.content, "html.parser")
    block = soup.select_one(".activity__body .richtext")
    assert block is not None
    return block


def assert_harmless(block):
    """No element or attribute that runs code, and every link is an ordinary one."""
    for tag in block.find_all(True):
        assert tag.name not in CODE_ELEMENTS, str(tag)[:200]
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), str(tag)[:200]
            assert name.lower() != "style", str(tag)[:200]
            if name.lower() in {"href", "src", "action", "formaction", "data"}:
                scheme = urlsplit(re.sub(r"[\x00-\x20]", "", str(value))).scheme.lower()
                assert scheme in SAFE_SCHEMES, str(tag)[:200]
    assert "xss-" not in block.get_text(), block.get_text()[:500]


@pytest.fixture
def owner():
    return factories.submitter()


def test_stored_hostile_rich_text_is_cleaned_on_the_public_page(client, owner):
    """Rich text stored by code (not through the editor) is whitelisted when rendered: what
    the editor allows survives, everything else does not."""
    page = factories.activity(
        owner=owner, publish=True, title="富文本清洗测试活动", details=HOSTILE_DETAILS
    )
    response = client.get(page.url)
    assert response.status_code == 200
    block = details_of(response)
    assert_harmless(block)
    # What the editor offers is kept (its headings one level under 活动详情).
    assert block.find("h3").get_text() == "小标题"
    assert block.find("a", string="合法链接")["href"] == "https://example.com/ok"
    assert "活动正文" in block.get_text() and "站内链接" in block.get_text()
    assert "display: none" not in response.content.decode()
    assert b"alert(" not in response.content


def test_stored_rich_text_is_parsed_once_per_process_and_stays_clean(client, owner, monkeypatch):
    """#8: cleaning is a function of the stored HTML and the field's features alone, so the
    same details are parsed once per process; every view is as clean as the first, and
    other HTML (a published edit) is parsed afresh."""
    from activities import rich_text

    rich_text._cleaned.cache_clear()
    parsed = []
    clean = rich_text._Whitelister.clean
    monkeypatch.setattr(
        rich_text._Whitelister, "clean", lambda self, html: parsed.append(html) or clean(self, html)
    )
    page = factories.activity(
        owner=owner, publish=True, title="富文本缓存测试活动", details=HOSTILE_DETAILS
    )
    first, second = (details_of(client.get(page.url)) for _ in range(2))
    assert_harmless(second)
    assert str(second) == str(first) and len(parsed) == 1
    page = ActivityPage.objects.get(pk=page.pk)
    page.details = HOSTILE_DETAILS + "<p>补充说明<script>alert('xss-edit')</script></p>"
    page.save_revision(user=owner).publish()
    edited = details_of(client.get(page.url))
    assert_harmless(edited)
    assert "补充说明" in edited.get_text() and len(parsed) == 2
    # A text longer than any ordinary one is cleaned on every view, never kept.
    page = ActivityPage.objects.get(pk=page.pk)
    page.details = HOSTILE_DETAILS + "<p>很长的说明。</p>" * 5000
    page.save_revision(user=owner).publish()
    for _ in range(2):
        assert_harmless(details_of(client.get(page.url)))
    assert len(parsed) == 4 and rich_text._cleaned.cache_info().currsize == 2


def test_what_the_editor_makes_survives_the_cleaning(client, owner):
    """The cleaning keeps every feature the editor offers: headings, lists, emphasis, links
    to pages and the site's images."""
    image = factories.poster(owner, title="现场照片")
    index = factories.index()
    details = (
        "<h2>议程</h2><h3>上午</h3><h4>九点</h4><p><b>粗</b><i>斜</i></p>"
        "<ol><li>一</li></ol><ul><li>二</li></ul>"
        f'<p><a linktype="page" id="{index.pk}">全部活动</a>'
        ' <a href="mailto:kepu@example.cn">写信</a></p>'
        f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="现场照片"/>'
    )
    page = factories.activity(owner=owner, publish=True, title="富文本保留活动", details=details)
    block = details_of(client.get(page.url))
    assert_harmless(block)
    # The details' headings sit one level under the page's 活动详情 (an h2).
    assert [h.get_text() for h in block.find_all(["h3", "h4", "h5"])] == ["议程", "上午", "九点"]
    for name in ("b", "i", "ol", "ul"):
        assert block.find(name) is not None, name
    assert block.find("a", string="全部活动")["href"] == index.url
    assert block.find("a", string="写信")["href"] == "mailto:kepu@example.cn"
    picture = block.find("img")
    assert picture["alt"] == "现场照片" and picture["src"].startswith("/media/images/")


def test_api_serves_the_same_cleaned_rich_text(client, owner):
    """R31: API clients get the details cleaned too, in every rich text format."""
    page = factories.activity(
        owner=owner, publish=True, title="接口富文本清洗活动", details=HOSTILE_DETAILS
    )
    for rich_text_format in ("db_html", "html", "markdown"):
        response = client.get(
            f"/api/v2/activities/{page.pk}/", {"rich_text_format": rich_text_format}
        )
        assert response.status_code == 200
        details = response.json()["details"]
        assert "alert(" not in details and "xss-" not in details, (rich_text_format, details)
        assert "javascript:" not in details.lower()
        assert "合法链接" in details


def test_intro_rich_text_of_home_and_listing_is_cleaned(client, owner):
    factories.activity(owner=owner, publish=True, title="首页介绍清洗活动")
    home = HomePage.objects.get()
    home.intro = '<p>欢迎<script>alert("xss-home")</script><a href="javascript:x()">来</a></p>'
    home.save_revision().publish()
    index = factories.index()
    index.intro = '<p onclick="alert(\'xss-index\')">全部活动<iframe src="x"></iframe></p>'
    index.save_revision().publish()
    for url in ("/", index.url):
        response = client.get(url)
        assert response.status_code == 200
        assert b"alert(" not in response.content and b"javascript:" not in response.content


def _contentstate():
    """What a tampered browser could send as the Draftail editor's value."""
    text = "<script>alert('typed')</script> 点这里 和这里"
    link = text.index("点这里")
    return json.dumps(
        {
            "blocks": [
                {
                    "key": "b0001",
                    "type": "unstyled",
                    "depth": 0,
                    "text": text,
                    "inlineStyleRanges": [],
                    "entityRanges": [
                        {"offset": link, "length": 3, "key": 0},
                        {"offset": text.index("和这里"), "length": 3, "key": 1},
                    ],
                    "data": {"onclick": "alert('xss-block-data')"},
                },
                {
                    "key": "b0002",
                    "type": "script",
                    "depth": 0,
                    "text": "未知块类型",
                    "inlineStyleRanges": [{"offset": 0, "length": 2, "style": "ONCLICK"}],
                    "entityRanges": [],
                    "data": {},
                },
                {
                    "key": "b0003",
                    "type": "atomic",
                    "depth": 0,
                    "text": " ",
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": 1, "key": 2}],
                    "data": {},
                },
            ],
            "entityMap": {
                "0": {
                    "type": "LINK",
                    "mutability": "MUTABLE",
                    "data": {"url": "javascript:alert('xss-link')"},
                },
                "1": {
                    "type": "LINK",
                    "mutability": "MUTABLE",
                    "data": {"url": " JaVaScRiPt:alert('xss-link-case')"},
                },
                "2": {
                    "type": "IMAGE",
                    "mutability": "IMMUTABLE",
                    "data": {
                        "id": "abc",
                        "src": "javascript:alert('xss-image')",
                        "alt": "\" onerror=\"alert('xss-alt')",
                        "format": "left",
                    },
                },
            },
        }
    )


@time_machine.travel(IN_WINDOW, tick=False)
def test_hostile_editor_input_never_reaches_the_public_page(client, owner):
    """Through the real Wagtail editor: a tampered Draftail value is whitelisted when saved
    and again when shown."""
    client.force_login(owner)
    image = factories.poster(owner)
    data = editor_data(
        image, factories.channel(), action=None, title="编辑器提交的富文本", details=_contentstate()
    )
    response = client.post(ADD_URL.format(index=factories.index().pk), data)
    assert response.status_code == 302
    page = ActivityPage.objects.get(title="编辑器提交的富文本")
    stored = page.get_latest_revision_as_object().details
    assert "javascript" not in stored.lower() and "<script" not in stored
    page.get_latest_revision().publish()
    page.refresh_from_db()
    response = client.get(page.url)
    block = details_of(response)
    assert_harmless(block)
    # The typed "<script>" is shown as the text it was, escaped.
    assert "<script>alert('typed')</script> 点这里" in block.get_text()
    assert "&lt;script&gt;alert(&#x27;typed&#x27;)&lt;/script&gt;" in response.content.decode()


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize(
    "value",
    ["not json {", "[]", '{"blocks": "x"}', '{"blocks": [{"text": 1}], "entityMap": []}', "7"],
)
def test_malformed_editor_value_is_refused_not_a_server_error(client, owner, value):
    """A details value no real editor sends reads as empty: submitting reports the required
    details missing, in Chinese, keeping the other typed fields; a draft still saves."""
    client.force_login(owner)
    image = factories.poster(owner)
    url = ADD_URL.format(index=factories.index().pk)
    data = editor_data(image, factories.channel(), details=value, audience="家长")
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["details"]
    assert any("\u4e00" <= char <= "\u9fff" for char in form.errors["details"][0])
    assert form["audience"].value() == "家长"
    assert not ActivityPage.objects.exists()

    draft = editor_data(image, factories.channel(), action=None, details=value)
    assert client.post(url, draft).status_code == 302
    assert ActivityPage.objects.get().get_latest_revision_as_object().details == ""


# Plain-text fields ---------------------------------------------------------------------

MARKUP = "<b>粗体</b><script>alert('xss-plain')</script>"
BREAKOUT = "</script><script>alert('xss-breakout')</script><!--<script>"


@pytest.fixture
def marked_up(owner):
    """An activity whose every plain-text field carries markup."""
    page = factories.activity(
        owner=owner,
        publish=True,
        hosts=(),
        title=f"粗体{MARKUP}"[:50],
        content=f"内容{MARKUP}{BREAKOUT}\r\nATTENDEE:mailto:evil@example.com",
        audience=f"对象{MARKUP}",
        scientists=f"科学家{MARKUP}",
        contact_person="<i>王</i>",
        highlights=f"亮点{MARKUP}",
        address=f"地址{MARKUP}",
        participation_channel=f"渠道{MARKUP}",
        promotion=f"宣传{MARKUP}",
    )
    page.host_units.add(HostUnit(name=f"主办{MARKUP}"))
    revision = page.save_revision()
    revision.publish()
    # The model refuses a phone nobody can dial (R13); a row stored before that rule, or
    # written past the model, must still be escaped.
    ActivityPage.objects.filter(pk=page.pk).update(contact_phone='1"><svg onload=alert(1)>')
    page.refresh_from_db()
    return page


def scripts_are_ours(soup):
    for script in soup.find_all("script"):
        assert script.get("src") or script.get("type") == "application/ld+json", str(script)


def test_plain_text_is_escaped_on_the_detail_page(client, marked_up):
    response = client.get(marked_up.url)
    assert response.status_code == 200
    html = response.content.decode()
    soup = BeautifulSoup(html, "html.parser")
    scripts_are_ours(soup)
    assert not soup.select(".activity b, .activity i")
    assert "&lt;script&gt;alert(&#x27;xss-plain&#x27;)&lt;/script&gt;" in html
    assert soup.find("h1").get_text() == marked_up.title
    assert f"主办{MARKUP}" in soup.get_text()
    assert "<svg onload" not in html and "&lt;svg onload=alert(1)&gt;" in html


def test_json_ld_cannot_be_broken_out_of(client, marked_up):
    """The JSON-LD block holds no "<" at all, so neither "</script>" nor "<!--<script>" in
    the data can end it or swallow the rest of the page; it still parses to the data."""
    html = client.get(marked_up.url).content.decode()
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    raw = match.group(1)
    assert "<" not in raw and ">" not in raw
    data = json.loads(raw)
    assert data["name"] == marked_up.title
    assert data["description"] == marked_up.content[:300]
    assert data["organizer"] == [{"@type": "Organization", "name": f"主办{MARKUP}"}]
    # The page after the block is intact.
    assert html.index("</script>", match.start()) == match.end() - len("</script>")
    assert "<h1>" in html[match.end() :]


def test_plain_text_is_escaped_on_the_listing_and_in_search_highlights(client, marked_up):
    for url, params in (("/activities/", {}), ("/search/", {"q": "粗体"})):
        response = client.get(url, params)
        soup = BeautifulSoup(response.content, "html.parser")
        titles = soup.select(".activity-card__title")
        assert titles, url
        scripts_are_ours(soup)
        assert not soup.select(".activity-card__title b"), url
        assert titles[0].get_text() == marked_up.title
    # The search highlight marks the words and escapes the rest.
    assert soup.select(".activity-card__title mark")


def test_feeds_carry_the_text_escaped(client, marked_up):
    for url in ("/activities/feed/rss/", "/activities/feed/atom/"):
        response = client.get(url)
        assert b"<script" not in response.content
        tree = ET.fromstring(response.content)  # noqa: S314 - our own server's answer
        titles = [node.text for node in tree.iter() if node.tag.split("}")[-1] == "title"]
        assert marked_up.title in titles, titles


def test_calendar_keeps_text_inside_its_properties(client, marked_up):
    for url in ("/activities/calendar.ics", f"/activities/{marked_up.pk}/calendar.ics"):
        calendar = icalendar.Calendar.from_ical(client.get(url).content)
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 1
        event = events[0]
        assert str(event["summary"]) == marked_up.title
        assert "ATTENDEE:mailto:evil@example.com" in str(event["description"])
        # The line break in the content did not start a property of its own.
        assert "attendee" not in event


def test_api_returns_plain_text_as_json_strings(client, marked_up):
    response = client.get(f"/api/v2/activities/{marked_up.pk}/")
    assert response["Content-Type"].startswith("application/json")
    item = response.json()
    assert item["title"] == marked_up.title
    assert item["audience"] == marked_up.audience
    assert item["content"] == marked_up.content
