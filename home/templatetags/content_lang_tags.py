from django import template

from activities.text import lang_attribute

register = template.Library()


@register.filter
def lang_attr(text):
    """` lang="zh-Hans"` for an element holding Chinese text on a page in another
    language (activities.text.content_lang), else nothing."""
    return lang_attribute(text)
