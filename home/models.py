import copy
import datetime
import functools
import hashlib
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page, Site

from accounts.validators import (
    CONTACT_PHONE_HELP,
    CONTACT_PHONE_MAX_LENGTH,
    phone_links,
    phone_links_html,
    validate_contact_phone,
)
from activities.constants import MAX_YEAR, MIN_YEAR

from .routing import FastRoutingMixin


class HomePage(FastRoutingMixin, Page):
    """The site root: the campaign's front door."""

    # Its children are activity indexes; changing one bumps the site version.
    children_in_site_version = True

    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link"],
        help_text=_("A short welcome shown under the campaign theme."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def direct_children(self):
        from activities.models import ActivityIndexPage

        return ActivityIndexPage.objects.child_of(self)

    def get_context(self, request, *args, **kwargs):
        from activities.listing import (
            order,
            province_choices,
            public_activities,
            with_card_data,
        )
        from activities.models import ActivityIndexPage, ActivityState, ActivityType

        from .references import kept

        context = super().get_context(request, *args, **kwargs)
        live = public_activities()
        now = timezone.now()
        # Settings, the index page and the types bump the site version when they change
        # (activities/cache.py): kept under it, they cost no query (three of four here).
        context["campaign"] = CampaignSettings.for_request(request)
        context["activity_index"] = kept(
            "home:activity-index", ActivityIndexPage.objects.live().first
        )
        context["upcoming"] = with_card_data(
            order(live, "start", now, states=(ActivityState.ONGOING, ActivityState.UPCOMING))
        )[:8]
        # The summary is of this campaign's year (R32); all years together grew under each
        # new year's heading. Its numbers link to the listing of the same activities.
        # Earlier years' stay public (?year=): once the campaign year moved on, last year's
        # published figures were nowhere to be seen.
        campaign_year = context["campaign"].year
        year = summary_year(request, campaign_year)
        counts = home_counts(year)
        first, last = year_days(year)
        context["counts_year"] = year
        context["campaign_year"] = campaign_year
        home_url = self.get_url(request=request) or "/"
        context["summary_years"] = [
            {"year": other, "url": summary_url(home_url, other, campaign_year)}
            for other in sorted({campaign_year, *summary_years()}, reverse=True)
        ]
        full_url = self.get_full_url(request=request)
        context["canonical_url"] = full_url and summary_url(full_url, year, campaign_year)
        context["year_filter"] = f"from={first.isoformat()}&to={last.isoformat()}"
        context["total_approved"] = counts["total"]
        # The counts are shared by every language: the names are the current language's
        # (R34), from the provinces this process keeps.
        names = dict(province_choices(localized=True))
        context["by_province"] = [
            {**row, "province_name": names.get(row["province__code"], row["province__name"])}
            for row in counts["by_province"]
        ]
        # The types in use, and retired ones that public activities of the year still have:
        # listing only those in use, the numbers did not add up to the total beside them,
        # and a visitor could not reach a retired type's activities from here.
        types = kept(
            "home:all-types",
            lambda: list(ActivityType.objects.order_by("sort_order", "name")),
        )
        context["types"] = []
        for kept_type in types:
            count = counts["by_type"].get(kept_type.pk, 0)
            if count or kept_type.is_active:
                # A copy: the kept list is shared by requests counting other years.
                activity_type = copy.copy(kept_type)
                activity_type.count = count
                context["types"].append(activity_type)
        return context


def summary_year(request, campaign_year):
    """The year whose summary a request asks for (?year=): the campaign's when it names
    none. Http404 for anything but a year written plainly (2025, not 02025 or ２０２５: one
    address and one cached page per year) that is the campaign's or one of summary_years:
    a visitor changing the address gets a page not found, never a 500 nor an empty year."""
    asked = request.GET.get("year", "")
    if not asked:
        return campaign_year
    if not (len(asked) == 4 and asked.isascii() and asked.isdigit() and asked[0] != "0"):
        raise Http404("No summary of that year.")
    year = int(asked)
    if year != campaign_year and year not in summary_years():
        raise Http404("No summary of that year.")
    return year


def summary_url(home_url, year, campaign_year):
    """The address of `year`'s summary on the home page at `home_url`: the campaign year's
    is the home page itself."""
    return home_url if year == campaign_year else f"{home_url}?year={year}"


SUMMARY_YEARS_KEY = "home:summary-years"


def summary_years():
    """The years the public activities span (Beijing time), from the first one's start to
    the last one's end: the years whose summary counts something, but for a rare year
    with none in between, whose summary is then honestly empty. Two index lookups (the
    earliest start, the latest end), not a pass over every activity; shared like the
    counts."""
    from django.db.models import Max, Min

    from activities.cache import recounted
    from activities.listing import public_activities

    def count():
        span = public_activities().aggregate(first=Min("start_at"), last=Max("end_at"))
        moments = [moment for moment in span.values() if moment is not None]
        if not moments:
            return []
        first, last = (min(moments).astimezone(BEIJING).year, max(moments).astimezone(BEIJING).year)
        return list(range(max(first, MIN_YEAR), min(last, MAX_YEAR) + 1))

    key = SUMMARY_YEARS_KEY
    years, _lagging = recounted(key, f"{key}:latest", count, HOME_COUNTS_SECONDS)
    return years


def year_days(year):
    """The first and last day of `year`, as the listing's date range takes them."""
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


HOME_COUNTS_SECONDS = 300
HOME_COUNTS_KEY = "home:year-counts"


def home_counts(year):
    """The home page's totals. Each is a pass over every approved activity (a second at a
    million), so they are shared for five minutes rather than recomputed per request or
    per publication; the listing's own counts stay exact. When they expire, one request
    counts them again and the others show the previous ones (activities.cache.recounted):
    every request in flight counting them at once kept a burst of visitors waiting 8 s."""
    from activities.cache import recounted
    from activities.listing import apply_filters, public_activities

    def count():
        # The activities taking place in the year, by the listing's own date rule: each
        # number is what its link lists. By start (as the statistics report counts), an
        # exhibition running over New Year was listed under the year but not counted.
        first, last = year_days(year)
        grouped = apply_filters(
            public_activities(), {"from_date": first, "to_date": last}
        ).order_by()
        return {
            "total": grouped.count(),
            "by_province": list(
                grouped.values("province__code", "province__name")
                .annotate(count=models.Count("pk"))
                .order_by("-count", "province__code")[:10]
            ),
            "by_type": dict(
                grouped.values_list("activity_type").annotate(count=models.Count("pk"))
            ),
        }

    key = f"{HOME_COUNTS_KEY}:{year}"
    return recounted(key, f"{key}:latest", count, HOME_COUNTS_SECONDS)[0]


# The campaign's calendar (R15, R33): days are Beijing days whoever asks, whatever zone
# the request runs in.
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_date(moment=None):
    return timezone.localdate(moment or timezone.now(), timezone=BEIJING)


def _default_year():
    return beijing_date().year


@functools.cache
def _field_names_digest():
    """Names the settings' fields in the key of their kept copy: a copy pickled before a
    deployment added a field would read it with a query of its own on every page."""
    names = ",".join(field.attname for field in CampaignSettings._meta.concrete_fields)
    return hashlib.sha256(names.encode()).hexdigest()[:8]


@register_setting(icon="date")
class CampaignSettings(BaseSiteSetting):
    """The yearly campaign (R15). Drafts can be saved at any time; submission for review
    is open only inside the publishing window (the guide: 21 August – 30 September)."""

    # Bounded as the statistics' year (and an activity's dates): year 0 or 10000 failed the
    # form with a 500, and year 1, saved, made the statistics page a 500 for everyone.
    year = models.PositiveSmallIntegerField(
        _("campaign year"),
        default=_default_year,
        validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)],
    )
    theme = models.CharField(
        _("theme"),
        max_length=100,
        blank=True,
        help_text=_("The campaign's theme, shown on the home page."),
    )
    window_start = models.DateField(
        _("publishing opens"),
        null=True,
        blank=True,
        help_text=_("First day activities can be submitted. Empty: 21 August of the year."),
    )
    window_end = models.DateField(
        _("publishing closes"),
        null=True,
        blank=True,
        help_text=_("Last day activities can be submitted. Empty: 30 September of the year."),
    )
    nomination_extra_days = models.PositiveSmallIntegerField(
        _("extra days for nominations"),
        default=0,
        help_text=_(
            "Supplementary information for nominations can be filed until 10 days after an "
            "activity ends, plus these days."
        ),
    )
    # Whom submitters call when the platform itself gets in their way (the guide, (四)2:
    # 全国科普日平台技术运营咨询联系人). Shown in the public footer and on the admin
    # dashboard, only when a phone or an e-mail address is given.
    support_person = models.CharField(
        _("support contact person"),
        max_length=50,
        blank=True,
        help_text=_("Who answers questions about using the platform: a person or a team."),
    )
    support_phone = models.CharField(
        _("support phone"),
        max_length=CONTACT_PHONE_MAX_LENGTH,
        blank=True,
        validators=[validate_contact_phone],
        help_text=CONTACT_PHONE_HELP,
    )
    support_email = models.EmailField(_("support email"), blank=True)

    panels = [
        FieldRowPanel([FieldPanel("year"), FieldPanel("theme")]),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("window_start"), FieldPanel("window_end")])],
            heading=_("Publishing window"),
        ),
        FieldPanel("nomination_extra_days"),
        MultiFieldPanel(
            [
                FieldPanel("support_person"),
                FieldRowPanel([FieldPanel("support_phone"), FieldPanel("support_email")]),
            ],
            heading=_("Support contact"),
            help_text=_(
                "Shown in the site's footer and on the admin dashboard; nothing is shown while "
                "the phone and the email are empty."
            ),
        ),
    ]

    class Meta:
        verbose_name = _("campaign")

    @classmethod
    def for_request(cls, request):
        """The site's settings from the copy kept under the site version (saving them
        bumps it: activities/cache.py) instead of the database: every page's footer shows
        the support contact, and a query each would undo the frame's savings (#8). The
        template's `settings.home.CampaignSettings` comes here too."""
        from .references import kept

        attr_name = cls.get_cache_attr_name()
        found = getattr(request, attr_name, None)
        if found is None:
            site = Site.find_for_request(request)
            if site is None:
                raise cls.DoesNotExist("No site answers this request.")
            key = f"home:campaign:{_field_names_digest()}:{site.pk}"
            found = kept(key, lambda: cls._read(site))
            setattr(request, attr_name, found)
        return found

    @classmethod
    def _read(cls, site):
        """The saved settings, or unsaved defaults: unlike for_site, a page view writes
        nothing (a row created on the first view bumped the site version, dropping every
        routing fact just kept)."""
        return cls.base_queryset().filter(site=site).first() or cls(site=site)

    @classmethod
    def from_db(cls, db, field_names, values):
        """A year stored out of bounds (before the bounds, or around the form) reads as the
        current year: the home page, the statistics and the publishing window all build
        dates of it."""
        settings = super().from_db(db, field_names, values)
        year = settings.__dict__.get("year")
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            settings.year = _default_year()
        return settings

    def clean(self):
        super().clean()
        if not isinstance(self.year, int) or not MIN_YEAR <= self.year <= MAX_YEAR:
            return  # The year's own validators say why; its dates cannot be built.
        start, end = self.opens_on, self.closes_on
        if end < start:
            raise ValidationError({"window_end": _("The window cannot close before it opens.")})
        if end < datetime.date(self.year, 1, 1) or start > datetime.date(self.year, 12, 31):
            # Last year's dates left in place when the year moved on closed submission for
            # the whole new campaign, with a message naming last year's window.
            raise ValidationError(
                {
                    "window_start": _(
                        "The window must include days of the %(year)s campaign year: change "
                        "its dates, or leave them empty for 21 August to 30 September."
                    )
                    % {"year": self.year}
                }
            )
        if self.support_person.strip() and not (self.support_phone or self.support_email):
            raise ValidationError(
                {
                    "support_phone": _(
                        "Give a phone number or an email address for the support contact."
                    )
                }
            )

    @property
    def shows_support_contact(self):
        return bool(self.support_phone or self.support_email)

    def support_phones(self):
        return phone_links(self.support_phone)

    def support_contact_html(self):
        """The support contact as one line of HTML, for the footer and the dashboard: the
        name (marked Chinese on English pages), each number as a tel: link, the email as a
        mailto: link."""
        from activities.text import lang_attribute

        parts = []
        name = self.support_person.strip()
        if name:
            parts.append(format_html("<span{}>{}</span>", lang_attribute(name), name))
        if self.support_phone:
            parts.append(phone_links_html(self.support_phone))
        if self.support_email:
            parts.append(format_html('<a href="mailto:{0}">{0}</a>', self.support_email))
        return format_html_join(" ", "{}", ((part,) for part in parts))

    @property
    def opens_on(self):
        return self.window_start or datetime.date(self.year, 8, 21)

    @property
    def closes_on(self):
        return self.window_end or datetime.date(self.year, 9, 30)

    def is_open(self, moment=None):
        return self.opens_on <= beijing_date(moment) <= self.closes_on

    def window_display(self):
        return _("%(start)s to %(end)s") % {
            "start": self.opens_on.strftime("%Y-%m-%d"),
            "end": self.closes_on.strftime("%Y-%m-%d"),
        }
