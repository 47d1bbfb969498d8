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


def is_filter_word(word):
    return bool(_FILTER_WORD.match(word))
