"""Chinese word segmentation for search, on both sides: indexed text and queries.

Neither SQLite FTS5 nor PostgreSQL's tsvector splits Chinese, so 科普 would never match
全国科普日主场活动. Index and query text both go through jieba and become space-separated
words, which every database backend tokenises the same way.

Both sides are written in simplified characters first (OpenCC's t2s): 機器人 finds 机器人
and the other way round. Indexed text also holds the other spelling of a name in ALIASES
(科协 and 科学技术协会), and a national society's name its short name (天文学会 for
中国天文学会, SHORT_NAMES). docs/search.md.
"""

import functools
import logging
import re
import threading
import unicodedata
from difflib import SequenceMatcher

import jieba
import opencc
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
# Two spellings of one name (abbreviation: full form). Indexed text holding either also holds
# the words of the other, so a query in either spelling finds both: 科协 finds 广东省科学技术协会
# and 科学技术协会 (or 中国科学技术协会) finds 深圳科协. Only names: a general abbreviation
# (科普 for 科学普及, 科技 for 科学技术) would give 科学 to nearly every activity.
ALIASES = {
    "科协": "科学技术协会",
    "科技馆": "科学技术馆",
}
# Other words for the same thing, on the query's side only (nothing to re-index): a query
# word of the left asks for it or any word on the right (an OR group), and a word on the
# right for it or the left one (比赛 finds 竞赛, 竞赛 finds 比赛, 竞赛 no 挑战赛). Unlike ALIASES
# (spellings of one name, which indexed text holds both of) these widen a search, so they
# stay few and whole words: each one is a single word of a query as needed_words cuts it.
# alternatives() is the one reading of this table, for the search and the highlight alike.
SYNONYMS = {
    "ai": ("人工智能",),
    "比赛": ("竞赛", "大赛", "挑战赛"),
    "孩子": ("儿童", "亲子", "少儿"),
    "老人": ("老年人",),
    "中药": ("中医药",),
    "阿尔兹海默": ("阿尔茨海默",),
}
# Words of a question that no activity is about (我想带孩子去看星星, 怎么预防糖尿病). A query
# does not require them while it has another word; a query of nothing else keeps them.
# Not 周末, 北京, 适合…: a title may well say so, and the any-word pass still ranks them.
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "我",
        "我们",
        "你",
        "你们",
        "想",
        "想要",
        "要",
        "去",
        "看",
        "看看",
        "有",
        "有没有",
        "是",
        "在",
        "什么",
        "哪里",
        "哪儿",
        "哪些",
        "怎么",
        "怎样",
        "如何",
        "可以",
        "能",
        "一下",
        "请问",
        "带",
    ]
)
# Words nearly every activity here holds (its type, its title): enough for none of the
# any-word pass's results, which would otherwise be every activity.
UBIQUITOUS = frozenset(["活动", "科普"])
# A national body's name is mostly written without them: 中国天文学会 is 天文学会.
NATIONAL_PREFIXES = ("中华全国", "中国", "中华", "全国")
# Societies and associations (学会, 协会, 商会…) and museums (科学技术馆).
NAME_SUFFIXES = ("会", "馆")
MAX_TEXT = 200_000
MAX_QUERY = 100
# The longest run of text jieba is given at once. jieba cuts at punctuation and spaces
# itself (a "block": a run of Chinese, Latin letters and digits), but within a block its
# HMM copies its path at every character: a block of n characters it cannot find in its
# dictionary ("科" * 40,000) cost O(n²), 73 s for one save. A longer block is cut in
# windows of this many characters (at a word boundary, words()). Longer than a query
# (MAX_QUERY) and than any block of ordinary writing, so neither changes.
MAX_BLOCK = 200
# A word this long or longer may hold dictionary words of four characters or more (_inner).
_LONG_WORD = 5
_WORD = re.compile(r"\w", re.UNICODE)
_ALIAS_FORMS = frozenset((*ALIASES, *ALIASES.values()))
# Full name (a jieba dictionary word) → its short name, a word of the index (load()).
SHORT_NAMES = {}
_short_name = None  # a pattern finding the short names in a block
_lock = threading.Lock()
_ready = False
_converter_lock = threading.Lock()
_converter = None


def load():
    """Load the dictionary once per process (about a second): at start-up, not on a
    request (see SearchConfig.ready)."""
    global _ready, _short_name
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.initialize()
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=200_000)
            SHORT_NAMES.update(_short_names())
            shorts = sorted(set(SHORT_NAMES.values()), key=len, reverse=True)
            _short_name = re.compile("|".join(map(re.escape, shorts))) if shorts else None
            _simplifier()
            _ready = True


def _short_names():
    """The national societies (and museums) jieba knows whole whose short name, as a query
    is cut, is not among the full name's words: 中国天文学会 → 天文学会, 中国化学会 → 化学会,
    中国核学会 → 核学会, 中国科学技术馆 → 科学技术馆 (17 with jieba's dictionary).

    jieba keeps 中国天文学会 whole, and its search mode adds the dictionary words inside
    (天文, 学会, 天文学), while the query 天文学会 is cut 天文学 + 会: no 会 was indexed, and
    the short name found nothing. Each such short name is a word of the index beside its
    full name (_with_inner), and where a text or a query has it on its own (_own_words).
    Indexing the query's words instead (a lone 会) would have made 文学会 find 中国天文学会
    (文学 is in 天文学); changing jieba's dictionary changed how other names are cut
    (物理学会 as a word took 地球物理 from 中国地球物理学会)."""
    freq = jieba.dt.FREQ
    names = [
        word
        for word, count in freq.items()
        if count and word.endswith(NAME_SUFFIXES) and word.startswith(NATIONAL_PREFIXES)
    ]
    found = {}
    for word in names:
        prefix = next(prefix for prefix in NATIONAL_PREFIXES if word.startswith(prefix))
        short = word[len(prefix) :]
        if len(short) >= 2 and not freq.get(short) and not set(_cut(short)) <= set(_cut(word)):
            found[word] = short
    return found


def _simplifier():
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter


def normalize(text):
    """`text` as both sides are segmented: compatibility forms as their plain forms (NFKC:
    ２０２６ is 2026, ＡＩ is AI) and traditional characters as simplified (OpenCC's t2s:
    機器人 is 机器人). Simplified text stays as it is (but for a few characters also used in
    simplified names, 乾县 becoming 干县 on both sides)."""
    text = unicodedata.normalize("NFKC", text or "")
    if text.isascii():
        return text
    converter = _simplifier()
    try:
        return converter.convert(text)
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8, nothing to convert there
        return converter.convert(text.encode("utf-8", "replace").decode("utf-8"))


def normalize_mapped(text):
    """`text` normalized (normalize) and where its pieces came from: (normalized, origin),
    origin[i] the offset in `text` where the normalized text's offset i falls, for each i
    (up to and including its length) between two pieces, and -1 inside a piece. A piece is
    one character, or the characters a conversion changed in length together: ㍿ (NFKC's
    株式会社), or a phrase t2s writes with more or fewer characters. Something found in
    the normalized text from one such offset to another is text[origin[start]:origin[end]]
    (what a search highlights, search_tags.highlight); what starts or ends inside a piece
    has no place of its own. origin is None where the pieces cannot be told apart (NFKC
    composing across characters other than a base and its combining marks)."""
    text = text or ""
    nfkc = unicodedata.normalize("NFKC", text)
    if nfkc == text:
        first = list(range(len(text) + 1))
    else:
        # A character with the combining marks after it, one at a time.
        first, pieces, start = [0], [], 0
        for end in range(1, len(text) + 1):
            if end < len(text) and unicodedata.combining(text[end]):
                continue
            piece = unicodedata.normalize("NFKC", text[start:end])
            if not piece:
                return nfkc, None
            pieces.append(piece)
            first += [-1] * (len(piece) - 1) + [end]
            start = end
        if "".join(pieces) != nfkc:
            return nfkc, None
    normalized = normalize(text)
    if len(normalized) == len(nfkc):
        # t2s changes characters in place (機器人 → 机器人), even in a phrase (乾隆 stays).
        return normalized, first
    # A conversion changed the length. Compared with the text converted one character at a
    # time (機 → 机, in place), the runs t2s converted alike keep each character's place,
    # and so do the runs it changed one for one; a run changed in length is one piece.
    alike = "".join(normalize(char) for char in nfkc)
    if len(alike) != len(nfkc):
        alike = nfkc
    second = [-1] * (len(normalized) + 1)
    matcher = SequenceMatcher(None, alike, normalized, autojunk=False)
    for tag, start, end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and end - start == new_end - new_start):
            for step in range(new_end - new_start + 1):
                second[new_start + step] = start + step
        else:
            second[new_start], second[new_end] = start, end
    return normalized, [first[at] if at >= 0 else -1 for at in second]


def other_spellings(text):
    """The other spelling (ALIASES) of each name `text` holds, as a query: 科学技术协会 for
    广东科协, 科协 for 中国科学技术协会. A name counts where jieba cuts a word boundary
    before and after it, as in indexed text (_named): 科协 in 学科协同 is no name."""
    load()
    found = []
    for block in jieba.re_han_default.split(normalize((text or "")[:MAX_QUERY])):
        if not any(form in block for form in _ALIAS_FORMS):
            continue
        tokens = list(jieba.tokenize(block, mode="search"))
        starts = {begin for _word, begin, _end in tokens}
        ends = {end for _word, _begin, end in tokens}
        for short, full in ALIASES.items():
            for form, other in ((short, full), (full, short)):
                at = block.find(form)
                while at != -1:
                    if at in starts and at + len(form) in ends:
                        if other not in found:
                            found.append(other)
                        break
                    at = block.find(form, at + 1)
    return found


def words(text, limit=MAX_TEXT, indexed=True):
    """Search words of `text`: jieba's search-engine mode (a long word also yields its
    shorter dictionary words), punctuation dropped, Latin words lower-cased. Full-width
    letters and digits (２０２６, ＡＩ), other compatibility forms and traditional
    characters become their plain and simplified forms first (normalize), on both sides: a
    query typed with a Chinese input method's full-width digits found nothing, nor did
    機器人. Indexed text (`indexed`) also holds the words of the other spelling of a name in
    ALIASES; a query (segment_query) does not need them: the index holds both. Both hold a
    national society's short name (SHORT_NAMES), a query instead of the words it is cut
    into (_own_words)."""
    load()
    text = normalize((text or "")[:limit])
    return [token.strip().lower() for token in _tokens(text, indexed) if _WORD.search(token)]


def _tokens(text, indexed=True):
    """The words of each block of `text`: jieba's (_cut), or, where a block of ordinary
    writing names something (an alias, a short name), _named's."""
    found = []
    for block in jieba.re_han_default.split(text):
        if len(block) <= MAX_BLOCK and _names_in(block, indexed):
            found += _named(block, indexed)
        else:
            found += _cut(block)
    return found


def _names_in(block, indexed):
    if indexed and any(form in block for form in _ALIAS_FORMS):
        return True
    return _short_name is not None and _short_name.search(block) is not None


def _cut(block):
    """jieba.cut_for_search(block) in time linear in its length (_search_words), with the
    longer words inside each word too (_with_inner)."""
    return _with_inner(_search_words(block))


def _with_inner(found):
    """Each word of `found` after the dictionary words of four characters or more inside it
    (_inner), before it as jieba puts the shorter ones, and a full name (SHORT_NAMES)
    followed by its short name."""
    words = []
    for word in found:
        if len(word) >= _LONG_WORD:
            words += _inner(word)
        words.append(word)
        if word in SHORT_NAMES:
            words.append(SHORT_NAMES[word])
    return words


@functools.lru_cache(maxsize=4096)
def _inner(word):
    """The dictionary words of four characters or more inside `word` (a word jieba cut).

    jieba's search mode adds the two- and three-character ones only, so 人民解放军 was not
    found in 中国人民解放军, nor 野生动物 in 中国野生动物保护协会. With these, a text
    holding a word holds every dictionary word inside it, which is what implied_by counts
    on."""
    if word.isascii():
        return ()
    freq = jieba.dt.FREQ
    return tuple(
        word[start : start + size]
        for size in range(4, len(word))
        for start in range(len(word) - size + 1)
        if freq.get(word[start : start + size])
    )


@functools.lru_cache(maxsize=4096)
def _named(block, indexed):
    """The words of a block of ordinary writing (at most MAX_BLOCK) that names something:
    its own (_own_words), then, in indexed text, those it would add with each name of
    ALIASES in it spelled the other way (广东省科协 → 广东省科学技术协会: 科学, 技术, 科学技术,
    协会). A name counts where jieba cut a word boundary before and after it: 科协 in
    学科协同 (学科 + 协同) is no name. Longer runs (no ordinary writing) get none: spelling
    25,000 × 科协 out would triple the text to segment."""
    # Search mode with positions: the words of jieba.cut_for_search, in its order.
    tokens = list(jieba.tokenize(block, mode="search"))
    found = _own_words(block, tokens, indexed)
    if not indexed:
        return tuple(found)
    starts = {begin for _word, begin, _end in tokens}
    ends = {end for _word, _begin, end in tokens}
    have = set(found)
    for short, full in ALIASES.items():
        for form, other in ((short, full), (full, short)):
            pieces, last, at = [], 0, block.find(form)
            while at != -1:
                if at in starts and at + len(form) in ends:
                    pieces += [block[last:at], other]
                    last = at + len(form)
                at = block.find(form, at + len(form))
            if not pieces:
                continue
            spelled = "".join(pieces) + block[last:]
            for word in _own_words(spelled, list(jieba.tokenize(spelled, mode="search"))):
                if word not in have:
                    have.add(word)
                    found.append(word)
    return tuple(found)


def _own_words(block, tokens, indexed=True):
    """The words of `block` (`tokens`: jieba.tokenize in search mode), with each short name
    (SHORT_NAMES) written on its own between two of the words jieba cut (天文学会 in
    广东天文学会, not 物理学会 in 地球物理学会 nor 天文学会 in 天文学会员): indexed text
    holds it and the dictionary words inside it, a query asks for it instead of the words
    inside it (天文学 + 会: the full name's index has no 会)."""
    spans = []
    if _short_name is not None and _short_name.search(block):
        bounds = {0} | {end for _word, _begin, end in jieba.tokenize(block)}
        spans = [
            (match.start(), match.end(), match.group())
            for match in _short_name.finditer(block)
            if match.start() in bounds and match.end() in bounds
        ]
    if not spans:
        return _with_inner(word for word, _begin, _end in tokens)
    if indexed:
        found = _with_inner(word for word, _begin, _end in tokens)
        have = set(found)
        for _start, _end, short in spans:
            for word in (*_dictionary_words_in(short), short):
                if word not in have:
                    have.add(word)
                    found.append(word)
        return found
    kept, named = [], set()
    for word, begin, end in tokens:
        span = next((span for span in spans if span[0] <= begin and end <= span[1]), None)
        if span is None:
            kept.append(word)
        elif span not in named:
            named.add(span)
            kept.append(span[2])
    return _with_inner(kept)


def _dictionary_words_in(word):
    """Every dictionary word inside `word` (shorter than it): what a text holding `word` as
    jieba cut it would hold (implied_by)."""
    freq = jieba.dt.FREQ
    return [
        word[start : start + size]
        for size in range(2, len(word))
        for start in range(len(word) - size + 1)
        if freq.get(word[start : start + size])
    ]


def _search_words(block):
    """jieba.cut_for_search(block), in time linear in the block's length.

    jieba splits text into blocks at what is neither Chinese nor a Latin letter or digit
    (jieba.re_han_default) and segments each block alone, so giving it one block at a time
    changes nothing. A block longer than MAX_BLOCK is segmented in windows: each window's
    last word may run on past it, so the next window starts at that word (unless the word
    fills most of the window: a window always moves on by at least half its length)."""
    if len(block) <= MAX_BLOCK:
        return jieba.cut_for_search(block)
    return _windows(block)


def _windows(block):
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
    # Nor the other spelling of a name (ALIASES): the index holds both, so either finds both.
    query = words(text, limit=MAX_QUERY, indexed=False)
    return " ".join(word for word in query if not is_filter_word(word))


def needed_words(query):
    """The words of a segmented query (all required) that no other word of it implies.

    Both sides are cut in search-engine mode: wherever a text has a word longer than two
    characters, its index also holds each dictionary word inside it (jieba adds those of
    two and three characters, _inner the longer ones). So a text with 人工智能 always has
    人工 and 智能, and asking for them too only makes the database intersect more lists
    of entries: 人工智能 青少年 asked for six words (22 ms in PostgreSQL's title index at a
    million activities) where two decide (10 ms), and the planner, multiplying six
    selectivities, expected one match instead of 6,000."""
    tokens = list(dict.fromkeys(query.split()))
    return " ".join(word for word in tokens if not any(implied_by(word, other) for other in tokens))


def implied_by(word, other):
    """Whether every text whose words include `other` has `word` among them too: as
    jieba.cut_for_search (and _inner) adds the dictionary words inside the words it cuts,
    and a full name its short name. Latin words are whole tokens, lower-cased (no shorter
    word is implied)."""
    load()
    if SHORT_NAMES.get(other) == word:  # 天文学会 beside 中国天文学会 (_with_inner)
        return True
    return (
        len(other) > len(word) >= 2
        and word in other
        and not word.isascii()
        and bool(jieba.dt.FREQ.get(word))
    )


def alternatives(word):
    """The other words (SYNONYMS) a query word also finds, as needed words: 人工智能 for ai,
    竞赛, 大赛 and 挑战赛 for 比赛, 比赛 for 竞赛."""
    found = SYNONYMS.get(word, ())
    return found + tuple(head for head, others in SYNONYMS.items() if word in others)


def parts(word):
    """The dictionary words (two characters or more) a compound of the query is made of,
    left to right, each the longest found where the last ended: 亲子活动 → 亲子 活动,
    打印机 → 打印 (机 is no word an index holds on its own). Empty for a word of less than
    three characters, a Latin word, or one with no shorter dictionary word at its start."""
    load()
    if len(word) < 3 or word.isascii():
        return ()
    freq = jieba.dt.FREQ
    found, at = [], 0
    while at < len(word) - 1:
        size = next(
            (
                size
                for size in range(len(word) - at, 1, -1)
                if size < len(word) and freq.get(word[at : at + size])
            ),
            0,
        )
        if size:
            found.append(word[at : at + size])
            at += size
        else:
            at += 1
    return tuple(found)


_EXCLUDED = re.compile(r"(?:^|\s)-(\S+)")
MAX_EXCLUDED = 3


class Terms:
    """What a visitor's query asks for (search.ranked, the highlight): `words`, each
    required (needed_words, without STOP_WORDS while another word remains), `excluded`
    (the needed words of `-word` parts: 天文 -机器人), and the passes to try in turn when
    one finds nothing: `split` (each compound replaced by its parts(), or None when no
    word has any) and `any_of` (any word will do, or None with a single word)."""

    def __init__(self, query):
        text = normalize((query or "")[:MAX_QUERY])
        excluded_text = " ".join(_EXCLUDED.findall(text))
        positive = _EXCLUDED.sub(" ", text)
        words = needed_words(segment_query(positive)).split()
        kept = [word for word in words if word not in STOP_WORDS]
        self.words = tuple(kept or words)
        excluded = needed_words(segment_query(excluded_text)).split()
        # A few: each is checked against every result (search.ranked._without_excluded).
        self.excluded = tuple(word for word in excluded if word not in self.words)[:MAX_EXCLUDED]
        split = []
        for word in self.words:
            for part in parts(word) or (word,):
                if part not in split:
                    split.append(part)
        split = needed_words(" ".join(split)).split()
        self.split = tuple(split) if split != list(self.words) else None
        pool = self.split or self.words
        # Not a word nearly every activity holds: 亲子活动 found every activity by 活动.
        specific = tuple(word for word in pool if word not in UBIQUITOUS)
        self.any_of = specific if len(pool) > 1 and specific else None

    def passes(self):
        """(words, every word required) for each pass, in order."""
        found = [(self.words, True)]
        if self.split:
            found.append((self.split, True))
        if self.any_of:
            found.append((self.any_of, False))
        return found


@functools.lru_cache(maxsize=1024)
def terms(query):
    return Terms(query)
