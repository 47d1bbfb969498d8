import datetime

from django.utils.translation import gettext_lazy as _

TITLE_MAX_LENGTH = 50
# The years an activity's dates may fall in.
MIN_YEAR = 2000
MAX_YEAR = 2100
POSTER_MIN_SIDE = 600
POSTER_MAX_BYTES = 10 * 1024 * 1024
POSTER_FORMATS = frozenset({"jpeg", "jpg", "png", "webp"})
# The guide advises submitting at least a week before the activity.
SHORT_NOTICE = datetime.timedelta(days=7)
# Said after saving (ActivityPage.get_warnings) and while the start is typed (the editor's
# short-notice script, activities/wagtail_hooks.py).
SHORT_NOTICE_WARNING = _(
    "The activity starts in less than 7 days; review may not finish in time. "
    "The guide advises submitting at least a week ahead."
)
# What "newest first" sorts activities never published on (ActivityPage.newest_key):
# before every real date.
NEVER_PUBLISHED = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# ActivityPage.newest_rank: whole seconds of newest_key since RANK_EPOCH, then the page id.
# Page ids are below 2**31; ranks stay within ±2**62 for first publications between 1952
# and 2088, so their distance to RANK_TOP (PostgreSQL's <->) never overflows a bigint.
RANK_EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
RANK_ID_SPAN = 2**31
RANK_TOP = 2**62


def newest_rank(newest_key, pk):
    """ "Newest first" as one number, unique per activity (None before it has an id)."""
    if pk is None:
        return None
    seconds = (newest_key - RANK_EPOCH) // datetime.timedelta(seconds=1)
    return seconds * RANK_ID_SPAN + pk


# Names at least this similar (difflib ratio of normalised names) draw a warning.
SIMILAR_NAME_RATIO = 0.85

# The listing's filters that are one column's value, indexed as words beside the title
# (search/filters.py): name in the listing's URL -> the activity's attname (or lookup).
SEARCH_FILTERS = {
    "province": "province_id",
    "type": "activity_type_id",
    "mode": "mode",
    "channel": "channel_category",
    "youth": "is_youth_festival",
    "recommended": "nomination__recommended",
}
# The activity's dates, indexed as the months they span (search/filters.py).
SEARCH_DATES = ("start_at", "end_at")
HTTP_URL_MESSAGE = _("Enter a full web address starting with http:// or https://.")
MOMENT_FORMAT_MESSAGE = _(
    "Enter the date and time as year-month-day hour:minute, such as 2026-09-20 09:00."
)
