"""Filter words: a listing's equality filters as words in the index's title column.

A search within one province (or of one type) found its candidates among the title
matches of the whole country and then checked each against the filters: at a million
activities "机器人" in a small province read 10,000 candidates to find a few hundred
(0.3 s), and could still miss matches beyond them. With the filter values indexed as words
beside the title, PostgreSQL's GIN index intersects "机器人" with "this province" itself.

A filter word is a prefix, the filter's name and its value reduced to [0-9a-z]: one token
for every database's parser. The words only narrow the candidates; the listing's own filters
still decide (search/ranked.py), so two values reducing to one word cost a few extra
candidates, never a wrong result. Queries never contain them (search/segment.py), so a
visitor cannot search for them.
"""

import re

PREFIX = "kpf"
_NOT_WORD = re.compile(r"[^0-9a-z]")
_FILTER_WORD = re.compile(rf"^{PREFIX}[a-z]", re.IGNORECASE)


def filter_word(name, value):
    if value is True:
        value = 1
    return PREFIX + name + _NOT_WORD.sub("", str(value).lower())


def filter_words(filters):
    """Words for `filters`, a mapping of filter name to value; empty values have none."""
    return [
        filter_word(name, value)
        for name, value in filters.items()
        if value is not None and value is not False and value != ""
    ]


def object_words(values, filters, dates, zone):
    """Every word indexed beside the title of an object whose column values (by attname)
    are `values`: its filter words (`filters` maps a filter's name to an attname, `dates`
    names the start and the end) and its title's characters (title_characters)."""
    words = filter_words({name: values.get(attname) for name, attname in filters.items()})
    start, end = dates
    words += month_words(values.get(start), values.get(end), zone)
    return words + title_characters(values.get("title"))


# Chinese characters (CJK Unified Ideographs and Extension A), after normalisation.
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def title_characters(title):
    """Each Chinese character of `title` and each pair of neighbouring ones, once.

    The index holds jieba's words, and a query finds a word only where jieba cut the text
    the same way: 人 was not found in 机器人 (cut 机器/机器人), nor 线上 in 在线上举办 (cut
    在线/上). Beside the title these make every one- or two-character query word (the
    words a query is cut into are mostly such) match any title containing it. Unboosted
    like the filter words, a title's own words still rank first. Titles only: the details'
    characters would triple their entries (docs/search.md). Normalised as the words are
    (search.segment.normalize: simplified characters), so 學 finds 科学."""
    from .segment import normalize  # segment imports this module

    found = {}
    for run in _HAN_RUN.findall(normalize(title or "")):
        for index, char in enumerate(run):
            found[char] = None
            if index + 1 < len(run):
                found[run[index : index + 2]] = None
    return list(found)


def is_filter_word(word):
    return bool(_FILTER_WORD.match(word))


# Dates as words: the months an activity spans, so that a date range or "ongoing" narrows a
# search the same way. An activity spanning more months than MAX_MONTHS gets LONG instead,
# and every date-narrowed query accepts LONG: no activity is left out.
MAX_MONTHS = 12
LONG = "long"


def _month_index(moment, zone):
    local = moment.astimezone(zone)
    return local.year * 12 + local.month - 1


def _month_word(index):
    return filter_word("month", f"{index // 12:04d}{index % 12 + 1:02d}")


def month_words(start, end, zone):
    """Words for the months from `start` to `end` (aware datetimes) in `zone`."""
    if start is None or end is None:
        return []
    first, last = _month_index(start, zone), _month_index(end, zone)
    if not 0 <= last - first < MAX_MONTHS:
        return [filter_word("month", LONG)]
    return [_month_word(index) for index in range(first, last + 1)]


def months_touching(first, last, zone, limit=2 * MAX_MONTHS):
    """The words of which an activity overlapping `first`..`last` has at least one; None
    when the range spans too many months to narrow anything."""
    low, high = _month_index(first, zone), _month_index(last, zone)
    if not 0 <= high - low < limit:
        return None
    return [*(_month_word(index) for index in range(low, high + 1)), filter_word("month", LONG)]
