"""Inline panels whose rows a request cannot multiply."""

from modelcluster.forms import BaseChildFormSet
from wagtail.admin.panels import InlinePanel

# Far more host, organizer or partner units than any activity lists.
MAX_ROWS = 100


class BoundedChildFormSet(BaseChildFormSet):
    """At most MAX_ROWS rows are built, whatever TOTAL_FORMS a request claims. A forged
    TOTAL_FORMS of 100,000,000 made one editor request build and render 2,000 empty forms
    (Django's cap), 14 s of both cores; Django still refuses a count above that cap with its
    own message."""

    def total_form_count(self):
        return min(super().total_form_count(), MAX_ROWS)


class BoundedInlinePanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = BoundedChildFormSet
        return options
