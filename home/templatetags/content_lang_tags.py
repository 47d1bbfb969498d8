from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from activities.text import content_lang, lang_attribute

register = template.Library()


@register.filter
def lang_attr(text):
    """` lang="zh-Hans"` for an element holding Chinese text on a page in another
    language (activities.text.content_lang), else nothing."""
    return lang_attribute(text)


def lang_runs(parts, separator=" "):
    """`parts` (texts, or one text) joined by `separator` and escaped; on a page in
    another language each run of consecutive parts written in Chinese is wrapped in one
    <span lang="zh-Hans">. For a line that mixes names with an English name and names
    left in Chinese (R34: a region or type without one), where a lang on the element
    holding the line would mark the English names Chinese too. On Chinese pages: the
    joined text alone, as before."""
    if not isinstance(parts, list | tuple):
        parts = [parts]  # one text, or a lazy translation (a chip's label)
    runs = []  # [lang, [parts]]
    for part in parts:
        lang = content_lang(part)
        if runs and runs[-1][0] == lang:
            runs[-1][1].append(str(part))
        else:
            runs.append([lang, [str(part)]])
    pieces = [
        format_html('<span lang="{}">{}</span>', lang, separator.join(texts))
        if lang
        else conditional_escape(separator.join(texts))
        for lang, texts in runs
    ]
    return mark_safe(conditional_escape(separator).join(pieces))  # noqa: S308 - escaped above


@register.filter(name="lang_runs")
def lang_runs_filter(parts, separator=" "):
    """{{ names|lang_runs:" " }}: see lang_runs."""
    return lang_runs(parts, separator)


@register.filter
def lang_list(names):
    """{{ names|lang_list }}: names as a list in the page's language: "、" between them on
    Chinese pages, ", " on others, with runs left in Chinese marked (lang_runs)."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return lang_runs(names, separator)
