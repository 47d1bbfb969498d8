"""Search fields for Chinese titles.

Wagtail's PostgreSQL index keeps the fields named `title` in a column of their own, the one
the public search finds candidates in and ranks by (search/ranked.py), and the SQLite index
weighs it apart too. Page.title goes there as typed, and PostgreSQL's parser makes every
run of Chinese one token: "陨石科普展" was one word, so a title word (陨石) never matched
the title and results ranked newest first. The field below puts the segmented title there.
"""

import functools
import re

from wagtail.search import index

from . import segment as segmenter
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
    the title: `search_filters()`, or the precomputed value the bulk seeder passes. An
    activity's also holds its title's characters and its places' names (place_words)."""

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


# Where an activity is, as words beside its title (2026-12-08). The region's names were only
# words of the details, as strong as 北京大学 among the scientists or 北京西路 in an address:
# 北京 found 222 activities, 6 of the first 20 outside Beijing, while 北京市 found exactly
# the 54 in Beijing. Beside the title (unboosted, like the filter words: weight D on
# PostgreSQL) they put the activities held there in the title pass, which ranks first
# (search/ranked.py), below those whose own title names the place.
#
# The 55 minority groups an autonomous region, prefecture, county or banner is named for.
# One of one character only with 族 (内蒙古 is no 蒙古 group); Xinjiang's names also write
# the longer ones without it (伊犁哈萨克自治州, 新疆维吾尔自治区).
_GROUP = (
    "(?:[回藏苗彝壮满侗瑶白傣黎佤畲水土怒京羌各]族"
    "|(?:柯尔克孜|乌孜别克|维吾尔|哈萨克|达斡尔|塔吉克|俄罗斯|鄂温克|塔塔尔|鄂伦春|蒙古|布依"
    "|朝鲜|土家|哈尼|傈僳|高山|拉祜|东乡|纳西|景颇|仫佬|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米"
    "|德昂|保安|裕固|独龙|赫哲|门巴|珞巴|基诺)族?)"
)
# Administrative suffixes, the most a name loses first: the groups an autonomous region,
# prefecture, county or banner is named for with its 自治X, then 自治X alone, then the rest.
_SUFFIXES = (
    re.compile(f"{_GROUP}+自治[区州县旗]$"),
    re.compile("自治[区州县旗]$"),
    re.compile("(?:特别行政区|地区|新区|矿区|特区)$"),  # 浦东新区, 井陉矿区, 六枝特区
    re.compile("[省市区县旗盟]$"),  # 清新区, 碑林区 (not 新区, 林区)
)


def place_short_name(name):
    """`name` (a GB/T 2260 region) without its administrative suffix, as people write it:
    北京市 → 北京, 四川省 → 四川, 广西壮族自治区 → 广西, 海淀区 → 海淀, 恩施土家族苗族自治州 →
    恩施; None when nothing of two characters or more is left (沙县, 城区)."""
    for suffix in _SUFFIXES:
        found = suffix.search(name or "")
        if found and found.start() >= 2:
            return name[: found.start()]
    return None


@functools.lru_cache(maxsize=4096)
def _place_words(name):
    # Search-engine mode already gives most short forms (广东省 → 广东 广东省, as a query
    # for 广东 finds 广东省 in any text); not where jieba keeps the name whole (唐山市),
    # cuts it elsewhere (静海区: 静 海区) or cuts the short form otherwise on its own (成安
    # in 成安县, 成 安 as a query). So the short form's words too, as a query for it is cut.
    short = place_short_name(name)
    found = segmenter.words(name) + (segmenter.words(short) if short else [])
    return tuple(dict.fromkeys(found))


def place_words(names):
    """The words of these region names (province, city, county) and of their short forms
    (place_short_name), each once: what an activity held there has beside its title."""
    return list(dict.fromkeys(word for name in names if name for word in _place_words(name)))
