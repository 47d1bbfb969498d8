import functools

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def filter_select(bound_field):
    """A filter's <select>, rendered directly: Django's widget templates render every
    option through the template engine, which took a third of the listing's time."""
    value = bound_field.value()
    choices = tuple((str(choice), str(label)) for choice, label in bound_field.field.choices)
    return _select(
        bound_field.html_name,
        bound_field.id_for_label,
        "" if value is None else str(value),
        choices,
    )


# Five selects of up to 35 options escaped one by one took 0.6-0.8 ms of every listing
# and search; their HTML depends on nothing but these arguments (labels translated).
@functools.lru_cache(maxsize=256)
def _select(name, html_id, selected, choices):
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((choice, " selected" if choice == selected else "", label) for choice, label in choices),
    )
    return format_html('<select name="{}" id="{}">{}</select>', name, html_id, options)


@register.simple_tag(takes_context=True)
def activity_cards(context, activities, heading="h3"):
    """The cards of `activities` (activities/cards.py), highlighting the search words."""
    from activities.cards import cards

    return cards(
        activities,
        request=context.get("request"),
        heading=heading,
        search_query=context.get("search_query") or "",
    )
