"""Implied words left out of a search (search.segment.needed_words, #8 with R29): a query
asks the database for fewer words and finds exactly what it found before."""

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import ActivityPage
from search import ranked, segment
from search.segment import implied_by, needed_words, segment_query, words
from tests import factories

VOCABULARY = Path(__file__).resolve().parents[2] / "activities" / "data" / "seed_vocabulary.json"


def texts():
    """Every phrase the demo and bench activities are written from, and a few more."""
    vocabulary = json.loads(VOCABULARY.read_text(encoding="utf-8"))
    found = [
        "人工智能与未来生活",
        "青少年科学节机器人体验",
        "全国科普日主场活动",
        "少年宫天文夜",
        "智能家居体验日",
        "AIoT 创客工作坊",
        "T恤衫设计大赛",
    ]
    for value in vocabulary.values():
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, str))
    return found


def test_a_query_drops_the_words_its_longer_words_imply():
    assert needed_words(segment_query("人工智能 青少年")) == "人工智能 青少年"
    assert needed_words(segment_query("机器人")) == "机器人"
    assert needed_words(segment_query("青少年科学节")) == "青少年科学节"
    assert needed_words(segment_query("少年 青少年")) == "青少年"
    assert needed_words("科普 科普") == "科普"
    # Two words side by side imply nothing of each other; Latin words are whole tokens.
    assert needed_words(segment_query("人工 智能")) == "人工 智能"
    assert needed_words("ai aiot") == "ai aiot"
    # A run of characters that is not a dictionary word is never implied.
    assert not implied_by("工智", "人工智能")


def test_every_word_a_query_drops_is_in_any_text_with_the_word_that_implies_it():
    """The rule behind needed_words: wherever a text's words include a word, they include
    every word it implies. Checked for every word of every phrase the seeded activities
    are written from."""
    checked = 0
    # And names: a national society's short name beside its full name, or on its own.
    for text in [*texts(), "中国天文学会", "中国野生动物保护协会", "广东天文学会", "深圳科协"]:
        found = set(words(text))
        for other in found:
            for size in range(2, len(other)):
                for start in range(len(other) - size + 1):
                    word = other[start : start + size]
                    if implied_by(word, other):
                        assert word in found, (text, other, word)
                        checked += 1
            for word in set(segment.SHORT_NAMES.values()):
                if implied_by(word, other):
                    assert word in found, (text, other, word)
                    checked += 1
    assert checked > 100


def test_a_query_for_a_name_asks_for_the_name():
    """R29: the longer words inside a word (four characters or more) and a society's short
    name are in the index wherever the word is (search.segment._with_inner), so a query
    asks for the word alone."""
    assert needed_words(segment_query("中国人民解放军 人民解放军")) == "中国人民解放军"
    assert needed_words(segment_query("中国天文学会 天文学会")) == "中国天文学会"
    # A short name on its own is one word, not the words jieba cuts it into (天文学 + 会:
    # the full name's index has no 会).
    assert needed_words(segment_query("天文学会")) == "天文学会"
    assert needed_words(segment_query("广东天文学会")) == "广东 天文学会"
    assert needed_words(segment_query("天文学会员")) == "天文学 会员"


@pytest.mark.django_db
def test_the_same_activities_are_found_with_the_needed_words_only():
    owner = factories.submitter()
    image = factories.poster(owner)
    titles = [
        "人工智能与未来生活",
        "青少年人工智能编程营",
        "智能家居体验日",
        "少年宫天文夜",
        "青少年科学节机器人体验",
        "机器学习入门讲座",
    ]
    for title in titles:
        factories.activity(owner, publish=True, poster=image, title=title)
    live = ActivityPage.objects.live()
    queries = ["人工智能 青少年", "人工智能", "青少年", "机器人", "青少年科学节", "少年 智能"]
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            needed = ranked.ranked_ids(live, query, 100)
        with pytest.MonkeyPatch.context() as patch, CaptureQueriesContext(connection) as before:
            patch.setattr(segment, "needed_words", lambda text: text)
            segment.terms.cache_clear()
            everything = ranked.ranked_ids(live, query, 100)
        segment.terms.cache_clear()
        assert set(needed) == set(everything), query
        if query == "人工智能 青少年":
            assert needed
            # The words it implies are no longer asked for.
            sql = " ".join(item["sql"] for item in captured)
            asked_before = " ".join(item["sql"] for item in before)
            for word in ("人工", "智能", "青少", "少年"):
                quoted = (f"'{word}'", f'"{word}"')
                assert any(form in asked_before for form in quoted)
                assert not any(form in sql for form in quoted)
