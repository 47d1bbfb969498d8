"""Chinese word segmentation for search, on both sides: indexed text and queries.

Neither SQLite FTS5 nor PostgreSQL's tsvector splits Chinese, so 科普 would never match
全国科普日主场活动. Index and query text both go through jieba and become space-separated
words, which every database backend tokenises the same way.
"""

import logging
import re
import threading
import unicodedata

import jieba
from django.utils.html import strip_tags

from .filters import is_filter_word

jieba.setLogLevel(logging.WARNING)

# Words of this domain jieba's general dictionary may cut apart.
DOMAIN_WORDS = [
    "全国科普日",
    "科普日",
    "科普",
    "青少年科学节",
    "科学节",
    "科技馆",
    "科学家精神",
    "科技志愿服务",
    "科普讲座",
    "科普展览",
    "科学实验",
    "科普竞赛",
    "线上直播",
    "人工智能",
    "机器人",
    "天文馆",
    "双碳",
]
MAX_TEXT = 200_000
MAX_QUERY = 100
# The longest run of text jieba is given at once. jieba cuts at punctuation and spaces
# itself (a "block": a run of Chinese, Latin letters and digits), but within a block its
# HMM copies its path at every character: a block of n characters it cannot find in its
# dictionary ("科" * 40,000) cost O(n²), 73 s for one save. A longer block is cut in
# windows of this many characters (at a word boundary, words()). Longer than a query
# (MAX_QUERY) and than any block of ordinary writing, so neither changes.
MAX_BLOCK = 200
_WORD = re.compile(r"\w", re.UNICODE)
_lock = threading.Lock()
_ready = False


def load():
    """Load the dictionary once per process (about a second): at start-up, not on a
    request (see SearchConfig.ready)."""
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.initialize()
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=200_000)
            _ready = True


def words(text, limit=MAX_TEXT):
    """Search words of `text`: jieba's search-engine mode (a long word also yields its
    shorter dictionary words), punctuation dropped, Latin words lower-cased. Full-width
    letters and digits (２０２６, ＡＩ) and other compatibility forms become their plain
    forms first (NFKC), on both sides: a query typed with a Chinese input method's
    full-width digits found nothing."""
    load()
    text = unicodedata.normalize("NFKC", (text or "")[:limit])
    return [token.strip().lower() for token in _tokens(text) if _WORD.search(token)]


def _tokens(text):
    """jieba.cut_for_search(text), in time linear in the text's length.

    jieba splits text into blocks at what is neither Chinese nor a Latin letter or digit
    (jieba.re_han_default) and segments each block alone, so giving it one block at a time
    changes nothing. A block longer than MAX_BLOCK is segmented in windows: each window's
    last word may run on past it, so the next window starts at that word (unless the word
    fills most of the window: a window always moves on by at least half its length)."""
    for block in jieba.re_han_default.split(text):
        if len(block) <= MAX_BLOCK:
            yield from jieba.cut_for_search(block)
            continue
        start = 0
        while start < len(block):
            window = block[start : start + MAX_BLOCK]
            # Search mode with positions: each word's shorter dictionary words, then the word.
            tokens = list(jieba.tokenize(window, mode="search"))
            end = len(window)
            if start + end < len(block) and tokens and tokens[-1][1] >= MAX_BLOCK // 2:
                end = tokens[-1][1]  # the last word starts the next window
            yield from (word for word, begin, _end in tokens if begin < end)
            start += end


def segment(text, limit=MAX_TEXT):
    return " ".join(words(text, limit))


def segment_html(html):
    return segment(strip_tags(html or ""))


def segment_query(text):
    # A visitor's query never holds a filter word: they only narrow a listing's search.
    return " ".join(word for word in words(text, limit=MAX_QUERY) if not is_filter_word(word))


def needed_words(query):
    """The words of a segmented query (all required) that no other word of it implies.

    Both sides are cut in search-engine mode: wherever a text has a word longer than two
    characters, its index also holds each two-character dictionary word inside it (and
    each three-character one inside words longer than three). So a text with 人工智能
    always has 人工 and 智能, and asking for them too only makes the database intersect
    more lists of entries: 人工智能 青少年 asked for six words (22 ms in PostgreSQL's title
    index at a million activities) where two decide (10 ms), and the planner, multiplying
    six selectivities, expected one match instead of 6,000."""
    tokens = list(dict.fromkeys(query.split()))
    return " ".join(word for word in tokens if not any(implied_by(word, other) for other in tokens))


def implied_by(word, other):
    """Whether every text whose words include `other` has `word` among them too: as
    jieba.cut_for_search adds the dictionary words inside the words it cuts. Latin words
    are whole tokens, lower-cased (no shorter word is implied)."""
    load()
    return (
        len(other) > len(word)
        and len(word) in (2, 3)
        and word in other
        and not word.isascii()
        and bool(jieba.dt.FREQ.get(word))
    )
