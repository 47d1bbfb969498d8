"""Rich text as the public sees it (issue #9).

Wagtail's editor only ever stores what its features allow, but a RichTextField keeps whatever
code gives it (seed data, an import, a shell), and Wagtail's |richtext filter renders stored
HTML as it is: a <script> saved that way would run on the public page. So stored HTML is
cleaned again on the way out with Wagtail's own whitelist for database HTML (the one its API
uses for rich text input), restricted to the field's editor features. Code and styling
elements go with their content rather than leaving it behind as visible text.

Embeds and page links name a row by id, and Wagtail looks them up (and an image's format
up) when rendering: an id that is no number or a format that is not registered failed the
page with a 500. The editor checks them when text is saved (activities/forms.py); rendering
drops what slipped in before, on the public page and in the editor alike."""

import functools
import json
import re

from django.conf import settings
from django.utils.html import escape
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.admin.rich_text.converters.db_html import DbHTMLConverter, DbHtmlInputWhitelister
from wagtail.images.formats import get_image_formats
from wagtail.models import Page
from wagtail.rich_text import features as feature_registry
from wagtail.rich_text.pages import PageLinkHandler
from wagtail.rich_text.rewriters import FIND_A_TAG, extract_attrs

from home.converters import is_db_id

# Wagtail's pattern (wagtail.rich_text.rewriters) wants "/>"; the editor's parser does not.
FIND_EMBED_TAG = re.compile(r"<embed(\b[^>]*?)/?>")

# Removed together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "applet",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "textarea",
        "select",
        "button",
        "form",
    }
)


class _Whitelister(DbHtmlInputWhitelister):
    def clean_tag_node(self, doc, tag):
        if tag.name in DROPPED_WITH_CONTENT:
            tag.decompose()
            return
        if tag.name in {"a", "embed"} and _has_bad_reference(tag):
            # Wagtail looks a page or image (and its format) up when rendering: an id that
            # is no row's or a format not registered failed the page instead of rendering
            # a broken link.
            if tag.name == "embed":
                tag.decompose()
                return
            # Children first: once unwrapped they are no longer visited.
            for child in list(tag.contents):
                self.clean_node(doc, child)
            tag.unwrap()
            return
        super().clean_tag_node(doc, tag)


def _has_bad_reference(tag):
    marker = "data-linktype" if tag.name == "a" else "data-embedtype"
    if marker not in tag.attrs:
        return False
    attrs = {name.removeprefix("data-"): str(value) for name, value in tag.attrs.items()}
    return is_bad_reference(attrs)


def image_format_names():
    """The names of the registered image formats, the only ones an image embed can have."""
    return frozenset(image_format.name for image_format in get_image_formats())


def is_bad_reference(attrs):
    """Whether a page link's or an embed's attributes (database HTML) would fail rendering:
    an id that is no row's id, or an image format that is not registered."""
    if not is_db_id(attrs.get("id", "")):
        return True
    return attrs.get("embedtype") == "image" and attrs.get("format") not in image_format_names()


def references(html):
    """The image embeds and the page links of database HTML, as attribute dicts."""
    images = [
        attrs
        for attrs in map(extract_attrs, FIND_EMBED_TAG.findall(html or ""))
        if attrs.get("embedtype") == "image"
    ]
    links = [
        attrs
        for attrs in map(extract_attrs, FIND_A_TAG.findall(html or ""))
        if attrs.get("linktype") == "page"
    ]
    return images, links


def embedded_image_ids(html):
    """The ids of the images embedded in database HTML."""
    images, _links = references(html)
    return {int(attrs["id"]) for attrs in images if is_db_id(attrs.get("id", ""))}


def _without_bad_embed(match):
    attrs = extract_attrs(match.group(1))
    return "" if "embedtype" in attrs and is_bad_reference(attrs) else match.group(0)


def _without_bad_link(match):
    attrs = extract_attrs(match.group(1))
    return "<a>" if "linktype" in attrs and is_bad_reference(attrs) else match.group(0)


def without_bad_references(html):
    """Database HTML without the embeds and page links that would fail rendering: such an
    embed goes, such a link keeps its text."""
    html = FIND_EMBED_TAG.sub(_without_bad_embed, html)
    return FIND_A_TAG.sub(_without_bad_link, html)


@functools.lru_cache(maxsize=16)
def _converter_rules(features):
    return tuple(DbHTMLConverter(list(features)).converter_rules)


def field_features(field):
    """The features a RichTextField's editor offers, which are all it can legitimately hold."""
    if field.features is not None:
        return tuple(field.features)
    editors = getattr(settings, "WAGTAILADMIN_RICH_TEXT_EDITORS", {})
    options = editors.get(getattr(field, "editor", "default"), {}).get("OPTIONS", {})
    return tuple(options.get("features") or feature_registry.get_default_features())


def clean_db_html(html, features):
    """Stored rich text (database HTML) with only what `features` allow."""
    if not html:
        return ""
    if len(html) > KEPT_HTML_LENGTH:
        return _clean(html, tuple(features))
    return _cleaned(html, tuple(features))


# The result depends on nothing but the arguments, and parsing with BeautifulSoup took
# about 0.6 ms of every detail page's 7 (#8): the pages seen last are cleaned once per
# process. Nothing limits a field's length but the request's size, so only texts of
# ordinary length are kept: at most 512 × 2 × 32 KB per process.
KEPT_HTML_LENGTH = 32 * 1024


@functools.lru_cache(maxsize=512)
def _cleaned(html, features):
    return _clean(html, features)


def _clean(html, features):
    # A fresh whitelister per call: it records removals on itself.
    return _Whitelister(_converter_rules(features)).clean(html)


def clean_field(instance, name):
    """The stored rich text of `instance.name`, cleaned for its field's features."""
    field = instance._meta.get_field(name)
    return clean_db_html(getattr(instance, name), field_features(field))


class DraftailEditor(DraftailRichTextArea):
    """Wagtail's Draftail editor, except that
    - a value no real editor sends (not JSON, not a ContentState) reads as empty instead of
      failing the request with a server error: a required field then says it is missing,
      like any other empty field;
    - an embed or a page link that would fail rendering (stored before the editor's form
      checked them) is left out of the editor instead of making it answer 500;
    - the images in `concealed_image_ids` (refused by the form: not the user's to show)
      keep their place in the text sent back with the form's errors, but not their picture."""

    concealed_image_ids = frozenset()

    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            return None

    def format_value(self, value):
        if value:
            value = without_bad_references(value)
        try:
            state = super().format_value(value)
        except (KeyError, ValueError, TypeError, OverflowError):
            # Markup the patterns above do not read (single quotes, say): the public
            # page's cleaning, which parses it as a browser would.
            state = super().format_value(clean_db_html(value, self.features))
        if not self.concealed_image_ids:
            return state
        return conceal_images(state, self.concealed_image_ids)


def conceal_images(state, image_ids):
    """A Draftail ContentState (JSON) with no picture for the images of `image_ids`."""
    content = json.loads(state)
    wanted = {str(pk) for pk in image_ids}
    for entity in content.get("entityMap", {}).values():
        data = entity.get("data") or {}
        if entity.get("type") == "IMAGE" and str(data.get("id")) in wanted:
            data["src"] = ""
    return json.dumps(content)


class PublicPageLinkHandler(PageLinkHandler):
    """A link in rich text to another page is a link only while that page is public (R27):
    Wagtail's own handler writes the URL of a draft, a taken-down activity or a private
    page (naming it in the URL, and leading to a 404), and "None" for the tree's root."""

    @classmethod
    def get_many(cls, attrs_list):
        ids = [str(attrs.get("id", "")) for attrs in attrs_list]
        wanted = [value for value in ids if is_db_id(value)]
        public = Page.objects.live().public().filter(id__in=wanted, depth__gt=1)
        pages = {str(page.pk): page for page in public.defer_streamfields().specific()}
        return [pages.get(value) for value in ids]

    @classmethod
    def expand_db_attributes_many(cls, attrs_list):
        links = []
        for page in cls.get_many(attrs_list):
            url = page.localized.url if page is not None else None
            links.append(f'<a href="{escape(url)}">' if url else "<a>")
        return links
