"""Control characters in an activity's text (R31). Word's manual line break (U+000B) and the
like survive copy and paste, are invisible on the page, and XML refuses them: one of them
in a live activity made the RSS and Atom feeds answer 500. The model refuses them
(ActivityPage.clean); what the feeds and the calendar write is stripped of them too, for
rows stored before that rule or past it (a queryset update).

Also which parts of a page in another language hold Chinese text (content_lang)."""

import re
import unicodedata
from html import unescape

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.html import format_html, strip_tags
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.validators import FILLERS

# Unicode's Cc category: C0 controls, DEL and C1 controls; and lone surrogates (Cs), which
# no UTF-8 text holds but a forged JSON escape ("\ud800") in the rich-text editor's data
# does: the database driver could not encode them, a 500.
SINGLE_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# A multi-line text keeps its tabs and line breaks.
MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
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


# Invisible text (R6, R13, R14) ----------------------------------------------------------
#
# Django's "required" and str.strip() see a zero-width space (U+200B), a joiner or a byte
# order mark as text: a name of two zero-width spaces was submitted as an untitled
# activity. Real names refuse them already (accounts.validators.validate_real_name); an
# activity's required text must likewise hold a character people see.

# Letters to Unicode that render as nothing: the Hangul fillers real names refuse too, and
# the blank Braille pattern.
INVISIBLE_SYMBOLS = frozenset({*FILLERS, "\u2800"})
# Right-to-left and left-to-right embeddings, overrides and isolates: they make the text
# after them read in another order than it was typed (a name shown backwards to
# moderators, "Trojan source"). Right-to-left text needs none of them in one line; the
# marks (U+200E, U+200F, U+061C) are harmless and stay allowed.
DIRECTION_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def has_visible_character(text):
    """Whether `text` holds a character people see: a letter, digit, punctuation mark or
    symbol. Spaces, control and format characters (zero-width spaces and joiners, BOM,
    word joiner), lone combining marks and fillers are not."""
    return any(
        unicodedata.category(char)[0] in "LNPS" and char not in INVISIBLE_SYMBOLS
        for char in text or ""
    )


def rich_text_is_visible(html):
    """Whether rich text shows anything: an image or embed, or visible text."""
    html = html or ""
    if "<embed" in html or "<img" in html:
        return True
    return has_visible_character(unescape(strip_tags(html)))


def rich_text_length(html):
    """How many characters of text rich text holds (its markup not counted)."""
    return len(unescape(strip_tags(html or "")))


def first_direction_control(text):
    """The first bidirectional embedding, override or isolate in `text`, or None."""
    match = DIRECTION_CONTROLS.search(text or "")
    return match.group() if match else None


# Names of the library and of the activity options (R3, R4) --------------------------------
#
# Names are told apart by what people see. Unicode's format characters (category Cf: the
# zero-width space, joiners, the byte order mark, the word joiner, the soft hyphen, the
# direction marks) show nothing, so 北京市科学技术协会 followed by U+200B was a second
# organization beside the real one, passing its uniqueness check; activity types and
# action categories alike. They are removed before a name is stored and compared. A
# direction control, which reorders what is shown, and a control character are refused,
# with the messages the activity's own fields give (ActivityPage.clean).


def direction_control_message(char):
    return _(
        "Delete the invisible direction control (%(code)s) in this field: it makes the text "
        "read in another order than it was typed."
    ) % {"code": f"U+{ord(char):04X}"}


def one_line_control_message(char):
    return _(
        "Delete the invisible control character (%(code)s) in this field, such as a line "
        "break or tab pasted from elsewhere: it takes one line of plain text."
    ) % {"code": f"U+{ord(char):04X}"}


# Unicode's default-ignorable code points that are not format characters (Cf): fonts draw
# nothing for them either (the combining grapheme joiner, Hangul fillers, Khmer inherent
# vowels, Mongolian variation selectors, variation selectors and their supplement).
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0000-\U000e0fff]"
)
# The Kangxi radicals and the CJK radicals supplement look like the characters they stand
# for (⼴ and 广); NFKC maps them to those characters.
_RADICALS = re.compile("[\u2e80-\u2fdf]")


def _shown(char):
    """`char` as a name compares it: nothing for what shows nothing, a radical as its
    character."""
    if unicodedata.category(char) == "Cf" or char in INVISIBLE_SYMBOLS:
        return ""
    if _IGNORABLE.match(char):
        return ""
    if _RADICALS.match(char):
        return unicodedata.normalize("NFKC", char)
    return char


def name_text(value):
    """`value` as a name is stored and compared: in Unicode's composed form (NFC), without
    format characters, its whitespace runs one space and its ends trimmed. Raises
    ValidationError for a direction control or a control character (not whitespace)."""
    text = unicodedata.normalize("NFC", str(value or ""))
    char = first_direction_control(text)
    if char is not None:
        raise ValidationError(direction_control_message(char), code="direction")
    text = " ".join("".join(_shown(c) for c in text).split())
    char = first_control_character(text)
    if char is not None:
        raise ValidationError(one_line_control_message(char), code="control")
    return text


def clean_names(instance, *fields):
    """Replaces each of `fields` of `instance` by its name_text(); returns the errors as
    {field: ValidationError} for a model's clean(). A required name left with nothing
    visible (only invisible characters were typed) is refused as empty."""
    from django import forms

    errors = {}
    for name in fields:
        typed = getattr(instance, name)
        try:
            value = name_text(typed)
        except ValidationError as error:
            errors[name] = error
            continue
        field = instance._meta.get_field(name)
        if field.max_length is not None and len(value) > field.max_length:
            # NFC may lengthen a name (U+0958 is two code points composed): the field's own
            # check ran on what was typed, and the column refused it (a 500 on PostgreSQL).
            errors[name] = ValidationError(
                MaxLengthValidator.message,
                code="max_length",
                params={"limit_value": field.max_length, "show_value": len(value)},
            )
            continue
        setattr(instance, name, value)
        # Nothing typed at all is the field's own "required" (said once, not twice).
        if not field.blank and typed and not has_visible_character(value):
            errors[name] = ValidationError(
                forms.Field.default_error_messages["required"], code="required"
            )
    return errors


# Length as readers count it (R6) ---------------------------------------------------------
#
# Python counts code points: é typed as e + U+0301 counted 2, and a family emoji (four
# people joined by zero-width joiners) 7. Readers count what they see, Unicode's grapheme
# clusters (UAX #29). No library for them is installed (the third-party `regex` and
# `grapheme` packages are not dependencies), so perceived_length() approximates them:
# text is NFC-normalised first, and a character does not count when it extends the one
# before it (combining marks, joiners, variation selectors, emoji skin tones and tags, the
# pictograph after a joiner, the second half of a flag). Chinese counts one per character
# either way.

ZWJ = "\u200d"
EXTENDING_CATEGORIES = frozenset({"Mn", "Mc", "Me"})


def _extends(char):
    code = ord(char)
    return (
        unicodedata.category(char) in EXTENDING_CATEGORIES
        or char in "\u200c\u200d"
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (emoji or text style)
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tags (the flags of England, Scotland…)
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
    )


def _is_regional_indicator(char):
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def perceived_length(text):
    """How many characters a reader counts in `text` (after NFC): an approximation of
    Unicode's grapheme clusters, see above."""
    count = 0
    base = None  # the first character of the cluster being read
    after_joiner = False
    open_flag = False  # a regional indicator waiting for its pair
    for char in unicodedata.normalize("NFC", text or ""):
        if base is not None and _extends(char):
            after_joiner = char == ZWJ
            continue
        if (
            after_joiner
            and unicodedata.category(base) == "So"
            and unicodedata.category(char) == "So"
        ):
            after_joiner = False  # 👨‍👩‍👧: the next person of the family
            continue
        if open_flag and _is_regional_indicator(char):
            open_flag = False  # 🇨 + 🇳 is one flag
            continue
        count += 1
        base = char
        after_joiner = False
        open_flag = _is_regional_indicator(char)
    return count
