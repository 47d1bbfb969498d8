"""The cost of segmenting text for search (R29; R13's content and details are what it
segments). jieba's HMM copies its path at every character of a block it cannot find in its
dictionary, so a block of n such characters cost O(n²): one "save draft" with 20,000 × 科
in the content took 18 s, 40,000 took 73 s. search.segment cuts long blocks into bounded
windows, so the cost is linear in the text's length, and text of ordinary writing (blocks
no longer than a window) is cut exactly as before: what is indexed still matches what a
query is cut into (docs/search.md)."""

import time

import jieba
import pytest

from search import segment
from search.segment import MAX_BLOCK, MAX_QUERY, load, segment_query, words

from .test_needed_words import texts


@pytest.fixture(autouse=True, scope="module")
def dictionary():
    load()  # once per process, at start-up; not part of what is timed


def jieba_words(text):
    """What words() gave before: the whole text to jieba at once (normalised)."""
    return [
        token.strip().lower()
        for token in jieba.cut_for_search(segment.normalize(text))
        if segment._WORD.search(token)
    ]


def block_words(text):
    """What words() has jieba cut: block by block, windows past MAX_BLOCK (before it adds
    names and the longer words inside words, segment._tokens)."""
    blocks = jieba.re_han_default.split(segment.normalize(text))
    return [
        token.strip().lower()
        for block in blocks
        for token in segment._search_words(block)
        if segment._WORD.search(token)
    ]


def seconds(function, *args):
    """The CPU time `function(*args)` takes: what a worker spends, whatever else the
    machine runs meanwhile (on a loaded machine the wall clock doubles)."""
    start = time.process_time()
    function(*args)
    return time.process_time() - start


@pytest.mark.parametrize("char", ["科", "的", "龘", "a"])
def test_r13_r29_a_long_run_of_one_character_segments_in_well_under_a_second(char):
    """R13, R29: 40,000 repeated characters took 73 s; now about half a second."""
    assert seconds(words, char * 40_000) < 1.0


def test_r29_the_cost_grows_with_the_length_not_its_square():
    short, long = seconds(words, "科" * 5_000), seconds(words, "科" * 40_000)
    # Eight times the text: 64 times the time when quadratic, about 8 now.
    assert long < 20 * max(short, 0.005)


def test_r29_a_name_in_every_block_costs_little_more():
    """Indexed text spells a name of segment.ALIASES the other way and segments that too
    (and a short name is looked for): each block of 55,000 characters names 科协 in its own
    way (no cache helps), in about a third of a second (0.12 s without names)."""
    text = "".join(f"科协{number}，" for number in range(8_000))
    assert seconds(words, text) < 1.0
    assert seconds(words, "".join(f"天文学会{number}，" for number in range(8_000))) < 1.0


def test_r29_ordinary_text_is_cut_as_before():
    """Every phrase the seeded activities are written from, alone and as one text with its
    punctuation, gives the words jieba gives the whole text."""
    phrases = texts()
    details = "，".join(phrases) + "。ＡＩ２０２６ Robot-Lab café 科学家精神\r\n讲座"
    for text in (*phrases, details):
        assert block_words(text) == jieba_words(text), text
        # words() only adds to them: the other spelling of a name, the longer words inside
        # a word (search.segment._with_inner, _named).
        assert set(jieba_words(text)) <= set(words(text)), text


def test_r29_a_query_is_cut_as_before():
    """A query is at most MAX_QUERY characters, shorter than a window: never cut apart."""
    assert MAX_QUERY < MAX_BLOCK
    query = ("青少年科学节机器人人工智能天文观测" * 10)[:MAX_QUERY]
    assert block_words(query) == jieba_words(query)
    assert segment_query(query) == " ".join(segment._with_inner(jieba_words(query)))


def test_r29_a_word_across_a_window_boundary_is_still_found():
    """A block longer than a window (text without punctuation) is cut where a word starts:
    a word the boundary would split starts the next window."""
    filler = "科普活动" * 100
    for before in range(MAX_BLOCK - 10, MAX_BLOCK + 5):
        found = words(filler[:before] + "机器人" + filler)
        assert "机器人" in found, before
    assert "机器人" in words("科" * 5_000 + "机器人" + "科" * 300)


def test_r29_long_unpunctuated_writing_keeps_its_words():
    """Ordinary sentences run together without punctuation, longer than many windows."""
    sentence = "全国科普日活动将于九月在广州市科学馆举办面向青少年和市民开展人工智能天文观测"
    text = sentence * 40
    assert len(text) > 5 * MAX_BLOCK
    assert set(words(text)) == set(jieba_words(sentence))
