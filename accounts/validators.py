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


@deconstructible
class ContactPhoneValidator:
    """A contact phone (R13) someone can dial: a mobile, a landline with its area code, a
    400/800 number or a foreign number; the public page links it as tel:."""

    message = _("Enter a phone number people can dial, e.g. 010-63589000 or 13800138000.")
    code = "invalid_phone"

    def __call__(self, value):
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        # Control characters have their own message (activities.text), which says more.
        text = "".join(char for char in text if unicodedata.category(char) != "Cc")
        digits = sum(char.isdigit() for char in text)
        if not _DIALLABLE.fullmatch(text) or not 5 <= digits <= 20:
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, ContactPhoneValidator)


validate_contact_phone = ContactPhoneValidator()

_EXTENSION = re.compile(r"(?:转|#|ext\.?)\s*([0-9]{1,6})$", re.IGNORECASE)


def tel_uri(value):
    """The tel: link (RFC 3966) of a diallable contact phone, or "" for text no phone can
    dial (stored before the rule): digits and a leading "+", the extension as ;ext=."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    try:
        validate_contact_phone(text)
    except ValidationError:
        return ""
    extension = _EXTENSION.search(text)
    number = text[: extension.start()] if extension else text
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
