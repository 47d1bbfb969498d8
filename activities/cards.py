"""The activity card of the listing, search results and home page, built in Python.

A card is a dozen fields in fixed markup, twenty of them per page. Through the template
engine each card cost about 0.4 ms (variable lookups, filters and an include per card),
as much as every query of the page together; built here with format_html, escaping every
value the same way the template did, it costs a tenth of that."""

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from search.templatetags.search_tags import highlight

from . import renditions
from .states import ActivityState

_STATE_CLASSES = {
    ActivityState.ONGOING: "ok",
    ActivityState.ENDED: "neutral",
    ActivityState.UPCOMING: "warn",
}
_HEADINGS = {"h2", "h3"}


def _poster(activity):
    if not activity.poster_id:
        return ""
    thumb = renditions.rendition(activity.poster, renditions.CARD)
    if thumb is None:
        return ""
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" loading="lazy">',
        thumb.url,
        thumb.width,
        thumb.height,
        activity.poster.title,
    )


def _badges(activity, moment):
    badges = []
    if activity.is_recommended:
        badges.append(
            format_html(
                '<span class="badge badge--ok badge--recommended">{}</span>',
                gettext("Excellent activity"),
            )
        )
    state = activity.activity_state(moment)
    if state:
        badges.append(
            format_html(
                '<span class="badge badge--{}">{}</span>', _STATE_CLASSES[state], state.label
            )
        )
    badges.append(format_html('<span class="badge">{}</span>', activity.get_mode_display()))
    return mark_safe("".join(badges))  # noqa: S308 - each badge is format_html output


def _when(activity):
    # strftime and isoformat rather than the template's date filter: the same text
    # (formats "Y-m-d H:i" and "c") at a fraction of the cost.
    start = timezone.localtime(activity.start_at)
    text = format_html(
        '<time datetime="{}">{}</time>', start.isoformat(), start.strftime("%Y-%m-%d %H:%M")
    )
    if activity.end_at:
        end = timezone.localtime(activity.end_at)
        text = format_html("{} – {}", text, end.strftime("%m-%d %H:%M"))
    return text


def _where(activity):
    parts = [str(activity.province or "")]
    if activity.city:
        parts.append(" · " + str(activity.city))
    if activity.activity_type:
        parts.append(" · " + str(activity.activity_type))
    return "".join(parts)


def card(activity, request=None, heading="h3", search_query="", moment=None):
    """One <li class="activity-card">. `heading` is "h2" where the cards sit straight under
    the page's h1 (listing, search), "h3" under a section's h2 (home)."""
    heading = heading if heading in _HEADINGS else "h3"
    title = highlight(activity.title, search_query) if search_query else activity.title
    return format_html(
        '<li class="activity-card"><a class="activity-card__link" href="{url}">'
        '<div class="activity-card__poster">{poster}</div>'
        '<div class="activity-card__body">'
        '<p class="activity-card__badges">{badges}</p>'
        '<{h} class="activity-card__title">{title}</{h}>'
        '<p class="activity-card__meta">{when}</p>'
        '<p class="activity-card__meta">{where}</p>'
        "</div></a></li>",
        url=activity.get_url(request=request) or "",
        poster=_poster(activity),
        badges=_badges(activity, moment),
        h=mark_safe(heading),  # noqa: S308 - one of _HEADINGS
        title=title,
        when=_when(activity),
        where=_where(activity),
    )


def cards(activities, request=None, heading="h3", search_query=""):
    moment = timezone.now()
    return mark_safe(  # noqa: S308 - each card is format_html output
        "".join(card(activity, request, heading, search_query, moment) for activity in activities)
    )
