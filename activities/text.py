"""Control characters in an activity's text (R31). Word's manual line break (U+000B) and the
like survive copy and paste, are invisible on the page, and XML refuses them: one of them
in a live activity made the RSS and Atom feeds answer 500. The model refuses them
(ActivityPage.clean); what the feeds and the calendar write is stripped of them too, for
rows stored before that rule or past it (a queryset update)."""

import re

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
