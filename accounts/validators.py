import re
import unicodedata

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# Mainland China mobile numbers: 11 digits, starting 13–19. Separators and a +86/0086
# prefix are accepted on input and removed by normalize_mobile().
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_mobile(value):
    if value is None:
        return ""
    # NFKC turns the full-width digits of Chinese input methods into ASCII ones.
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value)))
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    else:
        if number.startswith("86") and len(number) == 13:
            number = number[2:]
    return number


@deconstructible
class MainlandMobileValidator:
    message = _("Enter a valid mainland China mobile number (11 digits starting with 1).")
    code = "invalid_mobile"

    def __call__(self, value):
        if not MOBILE_RE.fullmatch(str(value or "")):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, MainlandMobileValidator)


validate_mainland_mobile = MainlandMobileValidator()

# What people write for a number to dial: digits, an international "+", the usual
# separators and an extension (转 or #). Full-width forms are folded first.
_DIALLABLE = re.compile(r"^\+?[0-9\s\-()]+((转|#|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
# Between numbers, as the guide itself writes them ("010-63589698，010-63589586"); after
# NFKC the full-width comma, semicolon and slash are their ASCII forms.
_BETWEEN_NUMBERS = re.compile(r"\s*([,;、/])\s*")
MAX_CONTACT_NUMBERS = 3
# Three landlines with extensions, as the guide writes them.
CONTACT_PHONE_MAX_LENGTH = 60
CONTACT_PHONE_HELP = _(
    "One to three numbers, separated by “，” or “、”, e.g. 010-63589698，"
    "010-63589586 or 010-63589698/63589586."
)
# A mainland landline written with its area code: 010, 02x or a three-digit code after the
# trunk 0, then a local number of 7 or 8 digits.
_WITH_AREA_CODE = re.compile(r"0(?:10|2[0-9]|[3-9][0-9]{2})[0-9]{7,8}")
_LOCAL_NUMBER = re.compile(r"[0-9]{7,8}")
_EXTENSION = re.compile(r"(?:转|#|ext\.?)\s*([0-9]{1,6})$", re.IGNORECASE)


def _clean_phone_text(value):
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    # Control characters have their own message (activities.text), which says more.
    return "".join(char for char in text if unicodedata.category(char) != "Cc")


def _is_diallable(number):
    digits = sum(char.isdigit() for char in number)
    return bool(_DIALLABLE.fullmatch(number)) and 5 <= digits <= 20


def _area_code(number):
    """The area code, trunk 0 included, of a mainland landline written with one
    ("010-63589698", "(0755)12345678", "+86 10 6358 9698"); "" for any other number."""
    extension = _EXTENSION.search(number)
    number = number[: extension.start()] if extension else number
    digits = re.sub(r"\D", "", number)
    if number.startswith(("+", "00")):
        digits = digits.removeprefix("00")
        if not digits.startswith("86"):
            return ""
        digits = "0" + digits.removeprefix("86")
    if not _WITH_AREA_CODE.fullmatch(digits):
        return ""
    return digits[:3] if digits[1] in "12" else digits[:4]


def _is_short_line(number):
    """No area code, no country code, at most 8 digits: after "/" another line of the
    number before it ("010-63589698/63589586")."""
    return (
        bool(re.fullmatch(r"[1-9][0-9\s\-]*", number))
        and sum(char.isdigit() for char in number) <= 8
    )


def _not_diallable(number, several):
    if not several:
        return ValidationError(ContactPhoneValidator.message, code=ContactPhoneValidator.code)
    return ValidationError(
        _("“%(number)s” is not a phone number people can dial, e.g. 010-63589000 or 13800138000."),
        code=ContactPhoneValidator.code,
        params={"number": number},
    )


def contact_numbers(value):
    """The numbers of a contact phone, each as it is dialled: "010-63589698/63589586" gives
    ["010-63589698", "010 63589586"]. Raises ValidationError for text no phone can dial,
    naming the number at fault when there are several."""
    parts = _BETWEEN_NUMBERS.split(_clean_phone_text(value))
    numbers, separators = parts[::2], [None, *parts[1::2]]
    several = len(numbers) > 1
    if not all(numbers):
        # A separator with no number on one side: nothing to name.
        raise _not_diallable("", several=False)
    dialled = []
    for number, separator in zip(numbers, separators, strict=True):
        if separator == "/" and _is_short_line(number):
            local = re.sub(r"\D", "", number)
            area_code = _area_code(numbers[0])
            if not _LOCAL_NUMBER.fullmatch(local):
                raise _not_diallable(number, several)
            if not area_code:
                raise ValidationError(
                    _(
                        "“%(number)s” after “/” is read as another line of the number before "
                        "it, which needs its area code, e.g. 010-63589698/63589586."
                    ),
                    code="line_without_area_code",
                    params={"number": number},
                )
            dialled.append(f"{area_code} {local}")
        elif _is_diallable(number):
            dialled.append(number)
        else:
            raise _not_diallable(number, several)
    if len(dialled) > MAX_CONTACT_NUMBERS:
        raise ValidationError(_("Give at most three phone numbers."), code="too_many_phones")
    return dialled


@deconstructible
class ContactPhoneValidator:
    """A contact phone (R13) someone can dial: a mobile, a landline with its area code, a
    400/800 number or a foreign number, or up to three of them as the guide writes them
    ("010-63589698，010-63589586"); the public page links the first as tel:."""

    message = _("Enter a phone number people can dial, e.g. 010-63589000 or 13800138000.")
    code = "invalid_phone"

    def __call__(self, value):
        contact_numbers(value)

    def __eq__(self, other):
        return isinstance(other, ContactPhoneValidator)


validate_contact_phone = ContactPhoneValidator()


def tel_uri(value):
    """The tel: link (RFC 3966) of a contact phone's first number, or "" for text no phone
    can dial (stored before the rule): digits and a leading "+", the extension as ;ext=.
    The page links the whole text, so it dials the first of several numbers."""
    try:
        number = contact_numbers(value)[0]
    except ValidationError:
        return ""
    extension = _EXTENSION.search(number)
    number = number[: extension.start()] if extension else number
    digits = ("+" if number.startswith("+") else "") + re.sub(r"\D", "", number)
    return f"tel:{digits}" + (f";ext={extension.group(1)}" if extension else "")


# Hangul fillers are letters to Unicode but render as nothing.
FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}


def validate_real_name(value):
    """A real name is something a moderator can read beside a submission (R1): not only
    spaces, punctuation or invisible characters (zero-width spaces pass Django's own
    "required"), and no control or format characters: a right-to-left override would
    make the name moderators see read backwards."""
    text = str(value or "")
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in text):
        raise ValidationError(
            _("Remove the invisible control characters from the name."), code="control"
        )
    if not any(unicodedata.category(char)[0] == "L" and char not in FILLERS for char in text):
        raise ValidationError(_("Enter a real name people can read."), code="invisible")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's own, with messages our catalogue translates: Django 5.2's zh_Hans catalogue
    lacks its current wording, so Chinese pages showed an English sentence."""

    def get_error_message(self):
        return ngettext(
            "This password is too short: use at least %(min_length)d character.",
            "This password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return ngettext(
            "Use at least %(min_length)d character.",
            "Use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class PersonalDataPasswordValidator:
    """Refuses a password that contains the account's own mobile number (however it is
    separated: "138-0013-8000" counts) or its real name. Django's similarity check compares
    whole strings, so "kepuri-13800138000-pw" or "张三的密码2026" would otherwise pass, and
    both are the first things a guesser tries."""

    def validate(self, password, user=None):
        if user is None or not password:
            return
        phone = normalize_mobile(getattr(user, "phone", ""))
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", password))
        if MOBILE_RE.fullmatch(phone) and phone in digits:
            raise ValidationError(
                _("The password must not contain your mobile number."),
                code="password_contains_mobile",
            )
        name = unicodedata.normalize("NFKC", getattr(user, "real_name", "") or "").strip()
        if len(name) >= 2 and name.casefold() in unicodedata.normalize("NFKC", password).casefold():
            raise ValidationError(
                _("The password must not contain your real name."),
                code="password_contains_name",
            )

    def get_help_text(self):
        return _("Do not use your mobile number or your name in the password.")


def phone_links(value):
    """Each number of a contact phone with its tel: link, as the guide writes several
    ("010-63589698，010-63589586" gives two). Text no phone can dial (saved around the
    form) is one entry without a link."""
    try:
        numbers = contact_numbers(value)
    except ValidationError:
        return [{"number": value, "uri": ""}] if value else []
    return [{"number": number, "uri": tel_uri(number)} for number in numbers]


def phone_links_html(value):
    """phone_links() as HTML: one tel: link per number, joined as the language writes a
    list of numbers (the guide's full-width comma in Chinese)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import pgettext

    phones = [
        format_html('<a href="{}">{}</a>', phone["uri"], phone["number"])
        if phone["uri"]
        else phone["number"]
        for phone in phone_links(value)
    ]
    separator = pgettext("between phone numbers", ", ")
    return format_html_join(separator, "{}", ((phone,) for phone in phones))
