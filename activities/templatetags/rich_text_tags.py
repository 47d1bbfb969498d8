from django import template
from wagtail.templatetags.wagtailcore_tags import richtext

from activities.rich_text import clean_field

register = template.Library()


@register.simple_tag
def public_richtext(instance, name):
    """{% public_richtext page "details" %}: the field's stored rich text, cleaned to what its
    editor allows (activities/rich_text.py), then rendered like Wagtail's |richtext."""
    return richtext(clean_field(instance, name))
