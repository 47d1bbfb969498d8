"""Search fields for Chinese titles.

Wagtail's PostgreSQL index keeps the fields named `title` in a column of their own, the one
the public search finds candidates in and ranks by (search/ranked.py), and the SQLite index
weighs it apart too. Page.title goes there as typed, and PostgreSQL's parser makes every
run of Chinese one token: "陨石科普展" was one word, so a title word (陨石) never matched
the title and results ranked newest first. The field below puts the segmented title there.
"""

from wagtail.search import index

from .segment import segment


class SegmentedTitleField(index.SearchField):
    """`title` segmented into words. The page's `search_title()` is used when it has one
    (the same words the body holds; the bulk seeder passes it precomputed)."""

    def get_value(self, obj):
        search_title = getattr(obj, "search_title", None)
        if callable(search_title):
            return search_title()
        if search_title is not None:
            return search_title
        return segment(getattr(obj, "title", "") or "")

    def __eq__(self, other):
        # It stands for Page's own title field: Wagtail's check that a page model keeps the
        # core search fields (wagtailsearch.W001) looks for that field with `in`.
        if type(other) is index.SearchField:
            return other.field_name == self.field_name and other.boost == self.boost
        return other is self

    __hash__ = index.SearchField.__hash__


class FilterWordsField(index.SearchField):
    """The object's filter words (search/filters.py), indexed in the title column beside
    the title: `search_filters()`, or the precomputed value the bulk seeder passes."""

    def __init__(self, **kwargs):
        super().__init__("title", **kwargs)

    def get_value(self, obj):
        words = getattr(obj, "search_filters", "")
        return words() if callable(words) else words


def with_segmented_title(search_fields):
    """`search_fields` with the title's SearchField replaced by a segmented one (same boost)."""
    return [
        SegmentedTitleField(field.field_name, boost=field.boost, **field.kwargs)
        if type(field) is index.SearchField and field.field_name == "title"
        else field
        for field in search_fields
    ]


class SegmentedAutocompleteField(index.AutocompleteField):
    """An autocomplete field holding its text segmented into words: the admin's searches
    (autocomplete, prefix matches) then find 海报 in a title 科普海报甲, not only 科普."""

    def get_value(self, obj):
        return segment(str(super().get_value(obj) or ""))


class SegmentedSearchField(index.SearchField):
    def get_value(self, obj):
        return segment(str(super().get_value(obj) or ""))


def with_segmented_text(search_fields, names=("title", "description")):
    """`search_fields` with the search and autocomplete fields of `names` segmented."""
    replacements = {
        index.SearchField: SegmentedSearchField,
        index.AutocompleteField: SegmentedAutocompleteField,
    }
    fields = []
    for field in search_fields:
        if type(field) in replacements and field.field_name in names:
            options = dict(field.kwargs)
            if getattr(field, "boost", None) is not None:
                options["boost"] = field.boost
            field = replacements[type(field)](field.field_name, **options)
        fields.append(field)
    return fields
