"""iCalendar export (R30, R31): one activity, or every activity the listing shows for the
same GET parameters."""

import datetime
import functools

import icalendar
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from wagtail.models import Site

from home.converters import is_db_id
from home.models import BEIJING

from .api import listing_queryset
from .feeds import place
from .listing import OrderedResult, public_activities
from .text import one_line, without_controls

TZID = BEIJING.key
MAX_EVENTS = 500
PRODID = "-//National Science Day//Activity Platform//ZH"


@functools.cache
def _vtimezone_ical():
    # Building a VTIMEZONE takes a while; Beijing time has had no daylight saving since
    # 1991, so one STANDARD rule from 2000 on describes it.
    return icalendar.Timezone.from_tzid(
        TZID, first_date=datetime.date(2000, 1, 1), last_date=datetime.date(2100, 1, 1)
    ).to_ical()


def new_calendar(name):
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # One line of TEXT: icalendar writes an X- property it does not know as it is given,
    # and a title with a line break stopped it (a 500) or could have added lines.
    calendar.add("x-wr-calname", icalendar.vText(one_line(name)))
    calendar.add("x-wr-timezone", TZID)
    calendar.add_component(icalendar.Timezone.from_ical(_vtimezone_ical()))
    return calendar


def uid_host(request):
    """The domain in UIDs: the Wagtail site's, so UIDs stay the same whatever host name
    or port a client used."""
    site = Site.find_for_request(request)
    if site is not None and site.hostname:
        return site.hostname
    return request.get_host().split(":")[0]


def sequence(page):
    """RFC 5545's revision number of an event: calendars that imported it replace their
    copy only when it grows, so a changed time or place would otherwise never reach them.
    The seconds from first to last publication grow with every publication of the
    activity, and need no counter kept anywhere."""
    if page.first_published_at is None or page.last_published_at is None:
        return 0
    seconds = (page.last_published_at - page.first_published_at).total_seconds()
    # iCalendar's INTEGER is 32-bit signed: 68 years of republications.
    return max(0, min(int(seconds), 2**31 - 1))


def event_for(page, request, host):
    url = page.get_full_url(request)
    event = icalendar.Event()
    event.add("uid", f"activity-{page.pk}@{host}")
    event.add("summary", one_line(page.title))
    stamp = page.last_published_at or timezone.now()
    event.add("dtstamp", stamp.astimezone(datetime.UTC))
    if page.start_at:
        event.add("dtstart", page.start_at.astimezone(BEIJING))
    if page.end_at:
        event.add("dtend", page.end_at.astimezone(BEIJING))
    if page.first_published_at:
        event.add("created", page.first_published_at.astimezone(datetime.UTC))
    if page.last_published_at:
        event.add("last-modified", page.last_published_at.astimezone(datetime.UTC))
    event.add("sequence", sequence(page))
    location = place(page)
    if location:
        event.add("location", location)
    content = without_controls(page.content, multi_line=True).strip()
    description = "\n\n".join(part for part in (content, url) if part)
    event.add("description", description)
    if url:
        event.add("url", url)
    return event


def calendar_response(calendar, filename):
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_place(queryset):
    return queryset.select_related("province", "city", "county")


@require_safe
def activity_calendar(request, pk):
    """/activities/<id>/calendar.ics: a 404 unless the activity is live and public (R27)."""
    if not is_db_id(pk):
        raise Http404
    page = get_object_or_404(_with_place(public_activities()), pk=pk)
    calendar = new_calendar(page.title)
    calendar.add_component(event_for(page, request, uid_host(request)))
    return calendar_response(calendar, f"activity-{page.pk}.ics")


def _with_place_of(result):
    if isinstance(result, OrderedResult):
        return result.map(_with_place)
    return _with_place(result)


@require_safe
def activities_calendar(request):
    """/activities/calendar.ics: the listing's activities for the same GET parameters, the
    first MAX_EVENTS of the listing's order (what is on now, then soonest to come, then
    most recently ended; best first for a search), written by start.

    Taking the MAX_EVENTS earliest starts gave a subscriber the oldest activities of past
    campaigns and, at a million activities, read past every one that had ended to find
    those on now (2.7 s for state=ongoing)."""
    pages = _with_place_of(listing_queryset(request.GET))[:MAX_EVENTS]
    pages = sorted(pages, key=lambda page: (page.start_at, page.pk))
    calendar = new_calendar(_("National Science Day activities"))
    host = uid_host(request)
    for page in pages:
        calendar.add_component(event_for(page, request, host))
    return calendar_response(calendar, "activities.ics")
