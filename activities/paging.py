"""Deep pages of annotated lists: the page's keys first, then its rows.

PostgreSQL computes every selected column of every row an OFFSET skips: with the state
and name subqueries of the list of all activities, page 100 read 5,000 rows' worth of
them (0.5 s at 200,000 activities), and the review desk's last page 1.3 s at 22,000
waiting tasks. The keys alone are cheap to skip; the page's columns are then computed
for its own rows only, in two queries whatever the page's depth."""

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import ngettext
from wagtail.admin.paginator import WagtailPaginator


def page_rows(page_slice, queryset):
    """The rows of `page_slice` (a slice of `queryset`), in its order: their primary keys
    first, then the rows of `queryset` with those keys, put back in the keys' order
    (`pk__in` keeps none, and an ordering with ties may not repeat itself). Anything that
    is not a plain queryset is returned as it is."""
    query = getattr(page_slice, "query", None)
    if not hasattr(page_slice, "values_list") or query is None or query.combinator:
        return page_slice
    keys = list(page_slice.values_list("pk", flat=True))
    if not keys:
        return []
    by_key = {row.pk: row for row in queryset.filter(pk__in=keys)}
    # A row gone between the two queries (handled meanwhile) is left out.
    return [by_key[key] for key in keys if key in by_key]


class KeysFirstMixin:
    """For a Paginator: each page's rows by `page_rows`."""

    def _get_page(self, object_list, number, paginator):
        return super()._get_page(page_rows(object_list, self.object_list), number, paginator)


class KeysFirstPaginator(KeysFirstMixin, Paginator):
    pass


class ActivityCountMixin:
    """For Wagtail's admin paginator: "共 20 个活动" where Wagtail writes "20 活动" (a number
    glued to the model's name, which reads as a fragment in Chinese)."""

    @cached_property
    def items_count_label(self):
        return ngettext("%(count)s activity", "%(count)s activities", self.count) % {
            "count": intcomma(self.count)
        }


class ActivityPaginator(ActivityCountMixin, WagtailPaginator):
    pass
