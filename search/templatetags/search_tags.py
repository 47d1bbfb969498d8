import re
from functools import lru_cache

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from search.segment import ALIASES, alternatives, normalize_mapped, other_spellings, terms

register = template.Library()


@lru_cache(maxsize=256)
def _pattern(query):
    """The query's words as found in normalized text, and as found in text as written (for
    text normalize_mapped cannot map back), or None. Segmented once per query, not once per
    card (twenty per page).

    The words the search required (search.segment.terms: the needed words, not the pieces
    the query is also cut into, nor its stop words or the words after a minus; 科学 of
    走进科学中心 was marked for 科学技术协会, 医学 for 中华医学会), their synonyms (SYNONYMS:
    the search asked for those too), and the other spelling of a name in it (ALIASES): the
    index holds both, so a search for 科协 finds 广东省科学技术协会, where 科学技术协会 is
    highlighted. Not the words the other spelling is cut into: 科学 of 科学实验 was
    highlighted for 科协, 会 of 年会 for 天文学会. The listing passes the words its results
    were found by (Found.words: 亲子 活动 when no title held 亲子活动)."""
    required = terms(query).words
    found = [
        *required,
        *(other for word in required for other in alternatives(word)),
        # The words as the query wrote them (科学技术 协会 are one name, 科学技术协会).
        *other_spellings(query),
        *other_spellings("".join(required)),
        # A word holding a name, spelled the other way whole: 中国科学技术协会 for 中国科协.
        *(
            word.replace(form, other)
            for word in required
            for short, full in ALIASES.items()
            for form, other in ((short, full), (full, short))
            if form in word and form != word
        ),
    ]
    terms_ = sorted(
        {word for word in found if len(word) > 1 or not word.isascii()},
        key=len,
        reverse=True,
    )
    if not terms_:
        return None
    return (
        re.compile("|".join(map(re.escape, terms_)), re.IGNORECASE),
        re.compile("|".join(_either_width(term) for term in terms_), re.IGNORECASE),
    )


def _either_width(term):
    """`term` as a pattern that also matches its full-width form: the query's words are
    normalised (search.segment.words), the text shown is not."""
    return "".join(
        f"[{re.escape(char)}{chr(ord(char) + 0xFEE0)}]" if "!" <= char <= "~" else re.escape(char)
        for char in term
    )


@lru_cache(maxsize=4096)
def _mapped(text):
    # Per title, not per card shown: a page of results maps only the titles it has not seen.
    return normalize_mapped(text)


def _spans(text, patterns):
    """Where the query's words are in `text`, as written: found in its normalized form
    (traditional characters as simplified, full-width as plain: what the search matched),
    each mapped back to the characters it was normalized from. A word that begins or ends
    inside characters a conversion changed in length (normalize_mapped) is not marked:
    better no highlight than one on the wrong characters."""
    normalized, literal = patterns
    if text.isascii():
        return [match.span() for match in normalized.finditer(text)]
    converted, origin = _mapped(text)
    if origin is None:
        return [match.span() for match in literal.finditer(text)]
    spans, at = [], 0
    while match := normalized.search(converted, at):
        start, end = origin[match.start()], origin[match.end()]
        if 0 <= start < end:
            spans.append((start, end))
            at = match.end()
        else:
            at = match.start() + 1
    return spans


@register.filter
def highlight(text, query):
    """Wrap the query's words in <mark>, escaping everything else. Words side by side are
    one mark (科学技术 and 协会 of 科学技术协会)."""
    text = str(text or "")
    patterns = _pattern(str(query or ""))
    if patterns is None:
        return escape(text)
    parts, last = [], 0
    for start, end in _merged(_spans(text, patterns)):
        parts.append(escape(text[last:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


def _merged(spans):
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
