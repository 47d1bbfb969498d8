import re

from django import template
from django.utils.safestring import mark_safe
from wagtail.templatetags.wagtailcore_tags import richtext

from activities.rich_text import clean_field

register = template.Library()

HEADING = re.compile(r"<(/?)h([1-6])\b")


@register.simple_tag
def public_richtext(instance, name, demote=0):
    """{% public_richtext page "details" demote=1 %}: the field's stored rich text, cleaned
    to what its editor allows (activities/rich_text.py), then rendered like Wagtail's
    |richtext. `demote` lowers its headings by that many levels: the editor's 二级标题
    placed inside a section headed by an <h2> would otherwise stand beside it in the
    page's outline."""
    html = str(richtext(clean_field(instance, name)))
    if demote:
        html = HEADING.sub(lambda match: f"<{match[1]}h{min(int(match[2]) + demote, 6)}", html)
    return mark_safe(html)  # noqa: S308 - cleaned and rendered above; only tag names change
