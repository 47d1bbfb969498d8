"""R29: a card found by a search shows the words it was found by, however either side writes
them (search_tags.highlight).

The search matches normalized words (search.segment.normalize: traditional characters as
simplified, full-width as plain), so /search/?q=机器人 found 機器人編程營, but the highlight
marked only literal matches: the card showed no highlighted word. Now the normalized title
is matched and each match mapped back to the characters it came from; where a conversion
changed the length of the text, a match is mapped through the pieces it changed, and one
beginning or ending inside such a piece is not marked rather than marked on the wrong
characters. A name's other spelling (科协 ↔ 科学技术协会) is highlighted as written in
the title, and the words it is cut into are not highlighted on their own."""

from unittest import mock

import pytest
from bs4 import BeautifulSoup

from search import segment
from search.templatetags import search_tags
from search.templatetags.search_tags import highlight

pytestmark = pytest.mark.django_db


def marked(html):
    return [mark.get_text() for mark in BeautifulSoup(str(html), "html.parser").select("mark")]


def card_marks(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        title.get_text(): [mark.get_text() for mark in title.select("mark")]
        for title in soup.select("li.activity-card .activity-card__title")
    }


def test_search_marks_traditional_titles_for_simplified_queries_and_back(client, publish):
    publish("機器人編程營")
    publish("青少年机器人大赛")
    for query in ("机器人", "機器人"):
        marks = card_marks(client.get("/search/", {"q": query}))
        assert marks == {"機器人編程營": ["機器人"], "青少年机器人大赛": ["机器人"]}, query
    # The listing's search too.
    marks = card_marks(client.get("/activities/", {"q": "编程"}))
    assert marks["機器人編程營"] == ["編程"]


def test_a_mixed_title_is_marked_on_its_own_characters_and_stays_escaped():
    html = str(highlight("<b>機器人</b> & ＡＩ編程", "机器人 ai 编程"))
    assert marked(html) == ["機器人", "ＡＩ編程"]
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp;" in html
    # Nor is a query's.
    html = str(highlight("機器人<script>", "<script>機器人"))
    assert "<script>" not in html and marked(html) == ["機器人", "script"]


def test_compatibility_forms_are_mapped_back_whole_or_not_at_all():
    # ㍿ is 株式会社 in NFKC: a word inside it has no characters of its own to mark.
    assert marked(highlight("㍿科普講座", "科普")) == ["科普"]
    assert marked(highlight("㍿科普講座", "会社")) == []
    assert marked(highlight("㍿科普講座", "株式会社")) == ["㍿"]
    # A letter with a combining accent is one piece, and later characters keep their place.
    assert marked(highlight("e\u0301cole 機器人", "机器人")) == ["機器人"]


class _Lengthening:
    """t2s as it is, but for a made-up phrase written with fewer characters (乙丙戊 → 丁己):
    OpenCC's phrases may change the length of the text."""

    def __init__(self, real):
        self.real = real

    def convert(self, text):
        return self.real.convert(text).replace("乙丙戊", "丁己")


def test_a_conversion_changing_the_length_never_moves_a_mark():
    search_tags._mapped.cache_clear()
    with mock.patch.object(segment, "_converter", _Lengthening(segment._simplifier())):
        # Mapped by position, 机器人 would have been marked on 戊機器.
        assert marked(highlight("甲乙丙戊機器人", "机器人")) == ["機器人"]
        # The whole phrase, or nothing inside it.
        assert marked(highlight("甲乙丙戊機器人", "丁己")) == ["乙丙戊"]
        assert marked(highlight("甲乙丙戊機器人", "丁")) == []
    search_tags._mapped.cache_clear()


def test_other_spellings_of_a_name_are_marked_as_written():
    assert marked(highlight("广东省科学技术协会科普周", "科协")) == ["科学技术协会"]
    assert marked(highlight("廣東省科學技術協會科普周", "科协")) == ["科學技術協會"]
    assert marked(highlight("深圳科协科普周", "科学技术协会")) == ["科协"]
    assert marked(highlight("中国科学技术协会年会", "中国科协")) == ["中国科学技术协会"]
    assert marked(highlight("广州科学技术馆开放日", "科技馆")) == ["科学技术馆"]
    # Not the words the other spelling is cut into, found elsewhere in the title.
    assert marked(highlight("科学实验与技术展示", "科协")) == []
    assert marked(highlight("科技馆与天文馆", "科技馆")) == ["科技馆"]
    assert marked(highlight("天文学会年会", "天文学会")) == ["天文学会"]
    # 科协 in 学科协同 is no name.
    assert marked(highlight("科学技术协会", "学科协同")) == []


def test_alias_cards_are_marked_on_the_search_page(client, publish):
    publish("广东省科学技术协会科普周")
    publish("深圳科协开放日")
    marks = card_marks(client.get("/search/", {"q": "科协"}))
    assert marks == {"广东省科学技术协会科普周": ["科学技术协会"], "深圳科协开放日": ["科协"]}
