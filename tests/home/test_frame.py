"""#8: the site's frame (header, navigation, footer) is rendered once per process, language
and signed-in state; what depends on the request stays per request (R34: Chinese first,
the language switch comes back to the same page)."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from bs4 import BeautifulSoup

from home.templatetags import fragment_tags
from tests import factories

pytestmark = pytest.mark.django_db


def frame(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        "nav": [a.get_text(strip=True) for a in soup.select(".site-nav a")],
        "search": soup.select_one("#site-search-q")["value"],
        # Where each language link comes back to.
        "languages": [
            parse_qs(urlsplit(a["href"]).query)["next"][0]
            for a in soup.select(".language-switch a")
        ],
        "footer": soup.select_one(".site-footer p").get_text(strip=True),
        "css": soup.select_one("link[rel=stylesheet]")["href"],
    }


def test_the_frame_follows_language_and_sign_in_and_keeps_the_request_parts(client):
    first = frame(client.get("/search/", {"q": "机器人"}))
    assert first["nav"][:2] == ["首页", "活动"] and "登录" in first["nav"]
    assert first["search"] == "机器人"
    assert first["languages"] == ["/search/?q=" + quote("机器人")]
    kept = len(fragment_tags._kept)
    assert kept == 3

    # Another page: the same frame from memory, its own search box and language link.
    second = frame(client.get("/search/", {"q": "天文"}))
    assert second["search"] == "天文" and second["nav"] == first["nav"]
    assert second["languages"] == ["/search/?q=" + quote("天文")]
    assert frame(client.get("/activities/"))["search"] == ""
    assert len(fragment_tags._kept) == kept

    client.get("/language/en/", {"next": "/activities/"})
    english = frame(client.get("/activities/"))
    assert english["nav"][:2] == ["Home", "Activities"] and "Log in" in english["nav"]
    assert english["footer"].startswith("National Science Popularization Day")
    assert english["css"] == first["css"]

    client.get("/language/zh-hans/", {"next": "/activities/"})
    client.force_login(factories.submitter())
    signed_in = frame(client.get("/activities/"))
    assert "管理平台" in signed_in["nav"] and "登录" not in signed_in["nav"]
    client.logout()
    assert "登录" in frame(client.get("/activities/"))["nav"]


def test_a_kept_fragment_renders_its_content_once(client, monkeypatch):
    from django.template import NodeList

    rendered = []
    original = NodeList.render

    def counting(self, context):
        result = original(self, context)
        if "site-nav" in result and "<header" in result and "<main" not in result:
            rendered.append(result)
        return result

    monkeypatch.setattr(NodeList, "render", counting)
    for _ in range(3):
        client.get("/activities/")
    assert len(rendered) == 1


def test_r34_the_language_switch_names_each_language_in_itself(client):
    """R34: on the default Chinese pages the English option read 英语, which an English
    reader cannot find. Each language is named in itself, whatever the page's language,
    and the switch stays outside the kept fragments (per request)."""

    def switch(response):
        soup = BeautifulSoup(response.content, "html.parser")
        nav = soup.select_one(".language-switch")
        current = nav.select_one("[aria-current]")
        links = {a["lang"]: a.get_text(strip=True) for a in nav.select("a")}
        return (current["lang"], current.get_text(strip=True)), links

    assert switch(client.get("/activities/")) == (("zh-hans", "简体中文"), {"en": "English"})
    client.get("/language/en/", {"next": "/activities/"})
    assert switch(client.get("/activities/")) == (("en", "English"), {"zh-hans": "简体中文"})
    assert switch(client.get("/search/")) == (("en", "English"), {"zh-hans": "简体中文"})
