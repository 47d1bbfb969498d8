from django import template

from activities import renditions

register = template.Library()


@register.simple_tag
def rendition(image, spec):
    """`{% rendition image "fill-300x400|format-webp" as thumb %}`: the rendition, or None.
    Unlike `{% image %}` it does not write the cache on every use (activities/renditions.py)."""
    return renditions.rendition(image, spec)
