"""Parts of the site's frame that are the same on every page: rendered once per process."""

from django import template
from django.utils import translation

from activities.cache import Memory

register = template.Library()

# Keys are a fragment's name, the language and the values it names: a few dozen at most.
# Not Django's {% cache %}: that goes through a cache alias (pickled on every read), which
# every settings file and test replacing CACHES would have to repeat.
_kept = Memory(64)


class KeptFragmentNode(template.Node):
    def __init__(self, nodelist, name, vary_on):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context):
        key = (
            self.name,
            translation.get_language(),
            *(repr(value.resolve(context)) for value in self.vary_on),
        )
        found = _kept.get(key)
        if found is None:
            found = self.nodelist.render(context)
            _kept.put(key, found)
        return found


@register.tag
def kept_fragment(parser, token):
    """{% kept_fragment "name" value… %}…{% endkept_fragment %}: the enclosed template,
    rendered once per process for each language and set of values named, then reused.
    The frame's translated labels, static and reversed URLs cost 0.7 ms a page, a floor
    view's worth (#8). Only for markup that depends on nothing else: never the request's
    path, a form's value, a user's name or a CSRF token. Translations, static files and
    URL patterns change with a deployment, which starts new processes."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("kept_fragment needs a name")
    nodelist = parser.parse(("endkept_fragment",))
    parser.delete_first_token()
    name = bits[1].strip("\"'")
    return KeptFragmentNode(nodelist, name, [parser.compile_filter(bit) for bit in bits[2:]])
