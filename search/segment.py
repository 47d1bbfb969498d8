"""Chinese word segmentation for search, on both sides: indexed text and queries.

Neither SQLite FTS5 nor PostgreSQL's tsvector splits Chinese, so 科普 would never match
全国科普日主场活动. Index and query text both go through jieba and become space-separated
words, which every database backend tokenises the same way.
"""

import logging
import re
import threading

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
    shorter dictionary words), punctuation dropped, Latin words lower-cased."""
    load()
    text = (text or "")[:limit]
    return [token.strip().lower() for token in jieba.cut_for_search(text) if _WORD.search(token)]


def segment(text, limit=MAX_TEXT):
    return " ".join(words(text, limit))


def segment_html(html):
    return segment(strip_tags(html or ""))


def segment_query(text):
    # A visitor's query never holds a filter word: they only narrow a listing's search.
    return " ".join(word for word in words(text, limit=MAX_QUERY) if not is_filter_word(word))
