import re
from functools import lru_cache

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from search.segment import words

register = template.Library()


@lru_cache(maxsize=256)
def _pattern(query):
    # Segmenting the query once per query, not once per card (twenty per page).
    terms = sorted(
        {word for word in words(query) if len(word) > 1 or not word.isascii()},
        key=len,
        reverse=True,
    )
    if not terms:
        return None
    return re.compile("|".join(_either_width(term) for term in terms), re.IGNORECASE)


def _either_width(term):
    """`term` as a pattern that also matches its full-width form: the query's words are
    normalised (search.segment.words), the text shown is not."""
    return "".join(
        f"[{re.escape(char)}{chr(ord(char) + 0xFEE0)}]" if "!" <= char <= "~" else re.escape(char)
        for char in term
    )


@register.filter
def highlight(text, query):
    """Wrap the query's words in <mark>, escaping everything else."""
    text = str(text or "")
    pattern = _pattern(str(query or ""))
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
