import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from search.segment import words

register = template.Library()


@register.filter
def highlight(text, query):
    """Wrap the query's words in <mark>, escaping everything else."""
    text = str(text or "")
    terms = sorted(
        {word for word in words(query or "") if len(word) > 1 or not word.isascii()},
        key=len,
        reverse=True,
    )
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
