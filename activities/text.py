"""Control characters in an activity's text (R31). Word's manual line break (U+000B) and the
like survive copy and paste, are invisible on the page, and XML refuses them: one of them
in a live activity made the RSS and Atom feeds answer 500. The model refuses them
(ActivityPage.clean); what the feeds and the calendar write is stripped of them too, for
rows stored before that rule or past it (a queryset update).

Also which parts of a page in another language hold Chinese text (content_lang)."""

import re

from django.utils.html import format_html
from django.utils.translation import get_language

# Unicode's Cc category: C0 controls, DEL and C1 controls.
SINGLE_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A multi-line text keeps its tabs and line breaks.
MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Not control characters, but not XML 1.0 characters either.
XML_NONCHARACTERS = re.compile(r"[\ufffe\uffff]")


def first_control_character(text, multi_line=False):
    """The first control character `text` may not hold, or None."""
    pattern = MULTI_LINE_CONTROLS if multi_line else SINGLE_LINE_CONTROLS
    match = pattern.search(text or "")
    return match.group() if match else None


def without_controls(text, multi_line=False):
    """`text` without the characters a feed cannot carry: control characters (but tabs and
    line breaks when `multi_line`) and XML's noncharacters."""
    pattern = MULTI_LINE_CONTROLS if multi_line else SINGLE_LINE_CONTROLS
    return XML_NONCHARACTERS.sub("", pattern.sub("", text or ""))


def one_line(text):
    """`text` as one line: whitespace runs (line breaks included) collapsed to a space and
    the other control characters removed."""
    return without_controls(" ".join((text or "").split()))


# Han ideographs: the CJK blocks, their extension A and the supplementary planes' B-G.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def content_lang(text):
    """The language to mark on a part of a page that holds `text`: "zh-Hans" where the
    page is in another language and the text is written in Chinese, else "".

    What units type is Chinese whatever language a visitor reads in. Unmarked on an English
    page, a screen reader spells it in an English voice and a browser may draw its
    characters with Japanese glyphs (WCAG 3.1.2, language of parts)."""
    if (get_language() or "").startswith("zh") or not HAN.search(str(text or "")):
        return ""
    return "zh-Hans"


def lang_attribute(text):
    """` lang="zh-Hans"` for an element holding `text` where content_lang says so, else ""."""
    lang = content_lang(text)
    return format_html(' lang="{}"', lang) if lang else ""
