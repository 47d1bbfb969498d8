"""Finding accounts in the admin by what administrators know of them: the mobile number
(however it is typed) and the real name. Wagtail searches username, first and last name
and e-mail, of which our user model has only the e-mail."""

from django.db.models import Q

from .validators import normalize_mobile


def matching_users(queryset, text):
    text = (text or "").strip()
    if not text:
        return queryset
    condition = Q(real_name__icontains=text) | Q(email__icontains=text)
    digits = normalize_mobile(text)
    if digits.isdigit():
        condition |= Q(phone__contains=digits)
    return queryset.filter(condition)
