"""The activity card of the listing, search results and home page, built in Python.

A card is a dozen fields in fixed markup, twenty of them per page. Through the template
engine each card cost about 0.4 ms (variable lookups, filters and an include per card),
as much as every query of the page together; built here with format_html, escaping every
value the same way the template did, it costs a tenth of that.

Each process also keeps the cards it built in memory (`memory`), keyed on everything a
card shows: the activity's live revision (and when it was published), URL path and
recommendation, its state at the moment of the request, the language (words and order of
its dates, names of provinces and types), the current year (whether its dates show one),
the host and the site version (names of provinces, types and organizations, posters). A
listing then reads only those key columns of its 20 activities and builds only the cards
it has not seen in that form; the search words are highlighted when the card is
assembled, so one kept card serves every query."""

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, pgettext

from home.templatetags.content_lang_tags import lang_runs
from search.templatetags.search_tags import highlight

from . import renditions
from .cache import Memory
from .states import ActivityState
from .text import lang_attribute

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
    # Empty alt: the card's heading already names the activity, and the image's title in
    # the library is often only an upload's file name (微信图片_2026...).
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="" loading="lazy">',
        thumb.url,
        thumb.width,
        thumb.height,
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


def _when(activity, moment):
    """Like "Dec 19, 09:30–13:30" (zh "12月19日 09:30–13:30"): the day in the language's
    words, once when the activity ends the day it starts; the year only when it is not this
    year's or the activity spans two years, so cards stay short. The year of `moment` is
    therefore part of a card's key."""
    start = timezone.localtime(activity.start_at)
    end = timezone.localtime(activity.end_at) if activity.end_at else None
    with_year = start.year != timezone.localtime(moment).year or (
        end is not None and end.year != start.year
    )
    # Literal contexts: makemessages cannot read a context from a variable.
    if with_year:
        shape = pgettext("date on an activity card, Django date format", "M j, Y, H:i")
    else:
        shape = pgettext("date on an activity card, Django date format", "M j, H:i")
    text = format_html(
        '<time datetime="{}">{}</time>', start.isoformat(), date_format(start, shape)
    )
    if end is None:
        return text
    if end.date() == start.date():
        return format_html(
            '{}–<time datetime="{}">{}</time>', text, end.isoformat(), end.strftime("%H:%M")
        )
    return format_html(
        '{} – <time datetime="{}">{}</time>', text, end.isoformat(), date_format(end, shape)
    )


def _where(activity):
    """Province, city and type in the current language (R34); each run of them left in
    Chinese on a page in another language carries its own lang (lang_runs)."""
    named = (activity.province, activity.city, activity.activity_type)
    return lang_runs([item.display_name for item in named if item], " · ")


def _parts(activity, request, moment):
    """A card without its title line: (before, title, the title's lang attribute, after).
    The heading level and the highlighted search words are added when it is assembled."""
    before = format_html(
        '<li class="activity-card"><a class="activity-card__link" href="{url}">'
        '<div class="activity-card__poster">{poster}</div>'
        '<div class="activity-card__body">'
        '<p class="activity-card__badges">{badges}</p>',
        url=activity.get_url(request=request) or "",
        poster=_poster(activity),
        badges=_badges(activity, moment),
    )
    after = format_html(
        '<p class="activity-card__meta">{when}</p>'
        '<p class="activity-card__meta">{where}</p>'
        "</div></a></li>",
        when=_when(activity, moment),
        where=_where(activity),
    )
    return str(before), activity.title, str(lang_attribute(activity.title)), str(after)


def _assemble(parts, heading, search_query):
    before, title, lang, after = parts
    title = highlight(title, search_query) if search_query else conditional_escape(title)
    # Each part is format_html output or escaped above; heading is one of _HEADINGS.
    return f'{before}<{heading} class="activity-card__title"{lang}>{title}</{heading}>{after}'


def card(activity, request=None, heading="h3", search_query="", moment=None):
    """One <li class="activity-card">. `heading` is "h2" where the cards sit straight under
    the page's h1 (listing, search), "h3" under a section's h2 (home)."""
    heading = heading if heading in _HEADINGS else "h3"
    parts = _parts(activity, request, moment or timezone.now())
    return mark_safe(_assemble(parts, heading, search_query))  # noqa: S308 - see _assemble


# Keys name every input of a card, so nothing here is ever invalidated: a changed activity
# simply has a new key, and its old card ages out.
memory = Memory(getattr(settings, "CARD_MEMORY_SIZE", 20_000))

_KEY_ATTRIBUTE = "card_recommended"  # set by activities.listing.with_card_data


def _context_key(request, moment):
    """What every card of this request shares: None when the site version is unknown
    (the cache is down), and then nothing is kept. The language names the month and orders
    the date; the current year decides whether a card's date shows its year."""
    from .cache import SITE, current_version

    version = current_version(SITE)
    if version is None:
        return None
    host = request.get_host() if request is not None else ""
    return (get_language(), host, version, timezone.localtime(moment).year)


def _key(activity, moment, shared):
    return (
        activity.pk,
        activity.live_revision_id,
        activity.last_published_at,
        activity.url_path,
        bool(getattr(activity, _KEY_ATTRIBUTE)),
        activity.activity_state(moment),
        *shared,
    )


def cards(activities, request=None, heading="h3", search_query=""):
    """The cards of `activities`, in order. Activities read with
    `activities.listing.with_card_data` carry only the columns of a card's key; those whose
    card is not in memory are read in full with one query (and their posters' renditions
    with one more)."""
    heading = heading if heading in _HEADINGS else "h3"
    moment = timezone.now()
    activities = list(activities)
    keyed = bool(activities) and all(hasattr(item, _KEY_ATTRIBUTE) for item in activities)
    shared = _context_key(request, moment) if keyed else None
    keys = [_key(item, moment, shared) for item in activities] if shared else None
    found = [memory.get(key) for key in keys] if keys else [None] * len(activities)
    missing = [item.pk for item, parts in zip(activities, found, strict=True) if parts is None]
    if missing:
        full = _in_full(missing) if keyed else {item.pk: item for item in activities}
        for index, item in enumerate(activities):
            if found[index] is None and item.pk in full:
                found[index] = _parts(full[item.pk], request, moment)
                if keys:
                    memory.put(keys[index], found[index])
    return mark_safe(  # noqa: S308 - see _assemble
        "".join(_assemble(parts, heading, search_query) for parts in found if parts is not None)
    )


def _in_full(pks):
    from .listing import with_card_fields
    from .models import ActivityPage

    return {item.pk: item for item in with_card_fields(ActivityPage.objects.filter(pk__in=pks))}
