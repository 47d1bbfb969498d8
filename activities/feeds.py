"""RSS 2.0 and Atom feeds of the most recently approved activities (R31). Every text they
write from an activity goes through activities.text: XML refuses control characters, and
one stored before the model refused them made the feeds answer 500."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .listing import public_activities
from .models import ActivityIndexPage
from .text import one_line

FEED_SIZE = 50
SUMMARY_CHARS = 200


def place(page):
    """Province, city, county and address, as one line; the regions in the current
    language (R34), as the feeds' and calendars' other words are."""
    return one_line(" ".join(part for part in (*page.region_names, page.address) if part))


def time_range(page):
    start = timezone.localtime(page.start_at) if page.start_at else None
    end = timezone.localtime(page.end_at) if page.end_at else None
    if start is None:
        return ""
    text = f"{start:%Y-%m-%d %H:%M}"
    if end is not None:
        text += f" – {end:%Y-%m-%d %H:%M}" if end.date() != start.date() else f" – {end:%H:%M}"
    return text


def summary(text, chars=SUMMARY_CHARS):
    """Plain text, whitespace collapsed, cut at `chars` characters."""
    return Truncator(one_line(strip_tags(text or ""))).chars(chars)


class LatestActivitiesFeed(Feed):
    """/activities/feed/rss/: the 50 most recently approved live activities."""

    feed_type = Rss201rev2Feed

    def get_object(self, request, *args, **kwargs):
        # The request travels as the feed's object: item links need it, and one Feed
        # instance serves every request, so it cannot be stored on self.
        return request

    def title(self, request):
        return _("National Science Day: latest activities")

    def description(self, request):
        return _("Activities of National Science Day, newest approved first.")

    subtitle = description  # Atom's name for it

    def author_name(self, request):
        # Atom requires an author for the feed or each entry (RFC 4287, 4.1.1); readers
        # and validators refused the feed without one. The platform publishes the feed.
        return str(settings.WAGTAIL_SITE_NAME)

    def link(self, request):
        index = ActivityIndexPage.objects.live().first()
        url = index.get_url(request) if index is not None else None
        return url or "/"

    def items(self, request):
        pages = list(
            public_activities()
            .select_related("province", "city", "county")
            .order_by("-first_published_at", "-pk")[:FEED_SIZE]
        )
        for page in pages:
            page._feed_request = request
        return pages

    def item_title(self, page):
        return one_line(page.title)

    def item_link(self, page):
        return page.get_full_url(page._feed_request)

    def item_guid(self, page):
        # Stable for the activity's life: its URL follows its slug, which an edit may change,
        # and a reader would then show the same activity twice.
        host = page._feed_request.get_host().split(":")[0]
        year = page.first_published_at.year if page.first_published_at else 2026
        return f"tag:{host},{year}:activity-{page.pk}"

    item_guid_is_permalink = False

    def item_description(self, page):
        # RSS descriptions and Atom summaries are HTML to feed readers: what a submitter
        # typed is text and is escaped, line by line.
        lines = []
        when = time_range(page)
        if when:
            lines.append(_("Time: %(time)s") % {"time": when})
        where = place(page)
        if where:
            lines.append(_("Place: %(place)s") % {"place": where})
        content = summary(page.content)
        if content:
            lines.append(content)
        return "<br>".join(escape(line) for line in lines)

    def item_pubdate(self, page):
        return page.first_published_at

    def item_updateddate(self, page):
        return page.last_published_at or page.first_published_at


class LatestActivitiesAtomFeed(LatestActivitiesFeed):
    """/activities/feed/atom/: the same items as Atom."""

    feed_type = Atom1Feed
