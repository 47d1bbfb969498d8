from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Length

from .models import Organization

MAX_QUERY_LENGTH = 50


def clean_keyword(value):
    # A NUL is never part of a name, and PostgreSQL refuses it in a query outright.
    return " ".join((value or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def certified_matching(keyword, category=None):
    """Certified organizations matching the keyword, optionally of one category."""
    queryset = Organization.objects.certified()
    if category:
        queryset = queryset.filter(category=category)
    return match_keyword(queryset, keyword)


def match_keyword(queryset, keyword):
    """Organizations whose name or short name contains the keyword anywhere (广东 finds
    广东省科学技术协会), best matches first: a name that starts with the keyword, then
    shorter names. A plain substring match suits a library of thousands of names; it
    needs no Chinese word segmentation."""
    keyword = clean_keyword(keyword)
    if not keyword:
        return queryset.order_by("name")
    return queryset.filter(Q(name__icontains=keyword) | Q(short_name__icontains=keyword)).order_by(
        Case(
            When(name__startswith=keyword, then=Value(0)),
            When(short_name__startswith=keyword, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        Length("name"),
        "name",
    )
