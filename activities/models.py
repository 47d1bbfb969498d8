import difflib
import unicodedata
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.forms.pages import CopyForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.widgets import AdminDateTimeInput
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from accounts import roles
from accounts.validators import (
    CONTACT_PHONE_HELP,
    CONTACT_PHONE_MAX_LENGTH,
    phone_links_html,
    validate_contact_phone,
)
from home.compiled import CompiledQuery
from home.references import kept
from home.routing import FastRoutingMixin
from organizations.choosers import OrganizationChooserWidget, OrganizationOfKindsChooserWidget
from organizations.forms import REGION_WIDGETS
from organizations.models import (
    CHANNEL_CATEGORY_CHOICES,
    ENGLISH_NAME_HELP,
    Organization,
    Region,
    name_in_language,
)
from search.fields import FilterWordsField, place_words, with_segmented_title
from search.filters import object_words
from search.segment import segment

from . import renditions
from .constants import (
    HTTP_URL_MESSAGE,
    MAX_YEAR,
    MIN_YEAR,
    NEVER_PUBLISHED,
    POSTER_FORMATS,
    POSTER_MAX_BYTES,
    POSTER_MIN_SIDE,
    SEARCH_DATES,
    SEARCH_FILTERS,
    SHORT_NOTICE,
    SHORT_NOTICE_WARNING,
    SIMILAR_NAME_RATIO,
    TITLE_MAX_LENGTH,
    newest_rank,
)
from .forms import ActivityPageForm
from .names import normalize_name
from .panels import BoundedInlinePanel
from .states import (
    ActivityState,
    ListingState,
    ReviewState,
    annotated_review_state,
    review_state_for,
)
from .text import (
    clean_names,
    direction_control_message,
    first_control_character,
    first_direction_control,
    has_visible_character,
    one_line_control_message,
    perceived_length,
    rich_text_is_visible,
    rich_text_length,
)

JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

# Its own code, so Django's generic "Enter a valid URL" does not replace the message.
validate_http_url = URLValidator(
    schemes=["http", "https"], message=HTTP_URL_MESSAGE, code="http_url"
)


# Bounds of the free texts (R13) that had none: only the 2.5 MB request limit, and a
# 60 KB run of one character in the content tied up a worker for minutes (the cost itself
# is fixed in search/segment.py; these bound what one save stores, renders and indexes).
# Generous: the guide asks for the content and the highlights as a clause each of the
# details' short summary ("活动将XXX", "该活动XXX"), and the seeded activities write a line
# of each. The details introduce the whole activity (programme, scientists, channels,
# pictures): 50,000 characters is a long booklet, above the 30,000 the hardening tests
# store as a long but real text, and segments in about 0.6 s at the worst. Wagtail's search
# description goes into <meta name="description">, of which search engines show about a
# hundred characters.
# Publishing checks them again (Page.save cleans): a bound an older version could exceed
# would refuse its approval, so they sit well above what anyone writes there.
TEXT_MAX_LENGTHS = {"content": 5_000, "highlights": 5_000, "search_description": 300}
# The details' text, counted without markup; and their HTML, markup included, so that
# formatting cannot grow them unbounded either (search indexes 200,000 characters).
DETAILS_MAX_TEXT = 50_000
DETAILS_MAX_HTML = 200_000

REQUIRED_MESSAGE = forms.Field.default_error_messages["required"]


def title_length_message(count):
    return _("The name has %(count)d characters; at most %(max)d are allowed.") % {
        "count": count,
        "max": TITLE_MAX_LENGTH,
    }


class ActivityCopyForm(CopyForm):
    """Wagtail's "copy" page (ActivityPage.copy_form_class), with the name's rules (R6,
    R31). Wagtail saves the copy as a draft, which checks only that the title is present
    and fits its column: a 62-character name, or one holding a control character, was
    stored on the copy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.user.is_superuser:
            # The address is the operators' business, as on the Promote tab: a submitter's
            # copy takes its slug from its name, whatever the form sends.
            # Wagtail's copy page renders each field's label, hidden or not (a removed
            # field renders as "None"): the label is left empty.
            slug = self.fields["new_slug"]
            slug.widget = forms.HiddenInput()
            slug.required = False
            slug.label = slug.help_text = ""

    def clean_new_title(self):
        title = unicodedata.normalize("NFC", self.cleaned_data["new_title"])
        messages = ActivityPage.title_errors(title)
        if messages:
            raise ValidationError(messages)
        return title

    def clean(self):
        title = self.cleaned_data.get("new_title")
        if not self.user.is_superuser and title:
            parent = self.cleaned_data.get("new_parent_page") or self.page.get_parent()
            base = slugify(title, allow_unicode=True) or "activity"
            slug, suffix = base, 1
            while not Page._slug_is_available(slug, parent):
                suffix += 1
                slug = f"{base}-{suffix}"
            self.cleaned_data["new_slug"] = slug
        return super().clean()


def http_url_or_empty(value):
    """`value` if it is an http(s) address, else "": a link stored without the editor's
    validation (an import, a shell) is never offered to visitors as something to click."""
    try:
        validate_http_url(value or "")
    except ValidationError:
        return ""
    return value


class ManagedOption(models.Model):
    """A value of a list that administrators manage (types, action categories)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(
        _("English name"), max_length=100, blank=True, help_text=ENGLISH_NAME_HELP
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("Unused values stay on old activities.")
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("name_en"),
        FieldPanel("sort_order"),
        FieldPanel("is_active"),
    ]

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        # Invisible characters made a look-alike of an option already listed (text.name_text).
        super().clean()
        errors = clean_names(self, "name", "name_en")
        if errors:
            raise ValidationError(errors)

    @property
    def display_name(self):
        """The name public pages show in the current language (name_in_language)."""
        return name_in_language(self.name, self.name_en)


class ActivityType(ManagedOption):
    class Meta(ManagedOption.Meta):
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")


class JointActionCategory(ManagedOption):
    class Meta(ManagedOption.Meta):
        verbose_name = _("joint action category")
        verbose_name_plural = _("joint action categories")


class SpecialActionCategory(ManagedOption):
    class Meta(ManagedOption.Meta):
        verbose_name = _("special action category")
        verbose_name_plural = _("special action categories")


class ActivityIndexPage(FastRoutingMixin, Page):
    """The public listing of activities; submitters create their activities under it."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["activities.ActivityPage"]
    max_count = 1

    def permissions_for_user(self, user):
        from .permissions import ActivityIndexPermissionTester

        return ActivityIndexPermissionTester(user, self)

    class Meta:
        verbose_name = _("activity index")

    def direct_children(self):
        return ActivityPage.objects.child_of(self).select_related(*ActivityPage.DETAIL_RELATED)

    @property
    def child_references(self):
        return ActivityPage.DETAIL_REFERENCES

    def get_context(self, request, *args, **kwargs):
        from .listing import build

        context = super().get_context(request, *args, **kwargs)
        context.update(build(request.GET, root=self))
        return context

    def get_workflow(self):
        # New activities are created here; their own channel picks the route once known
        # (ActivityPage.get_workflow). The index only needs to say "there is review".
        from workflow.models import ReviewRouting

        routing = ReviewRouting.for_site(self.get_site()) if self.pk else None
        workflow = routing.national_workflow if routing else None
        return workflow if workflow is not None and workflow.active else None

    @property
    def has_workflow(self):
        return self.get_workflow() is not None


# The listing's equality filters that are this table's columns (not a join's).
LISTED_FILTER_COLUMNS = [column for column in SEARCH_FILTERS.values() if "__" not in column]


class TypedMomentInput(AdminDateTimeInput):
    """Wagtail's date-and-time picker, leaving a typed value as typed: the picker replaced
    one it could not read ("2026-12-30 25:00", "20261230") with the current time or
    "NaN-NaN-NaN" when the box lost the focus, so a draft kept a start the unit never
    entered; the form's own error now says what is wrong with what they typed."""

    def get_config(self):
        return {**super().get_config(), "validateOnBlur": False}


# The format to type, shown in the box: on a phone the calendar that pops up is partly off
# screen, and typing is the way in.
TYPED_MOMENT = TypedMomentInput(attrs={"placeholder": "2026-09-20 09:00"})


class ActivityPage(FastRoutingMixin, Page):
    """A key activity (重点活动) with every item the publishing guide asks for (R6–R14)."""

    # What the public page shows from other tables when it is routed: its nomination
    # joined; reference rows from the process's copy (home/references.py), since joining
    # them took longer to plan than the page took to read.
    DETAIL_RELATED = ("nomination",)
    DETAIL_REFERENCES = ("province", "city", "county", "activity_type", "channel", "poster")

    class Mode(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")
        BOTH = "both", _("Online and offline")

        @classmethod
        def attendable(cls, mode):
            """The modes of the activities a visitor can attend in `mode`: one held both
            online and offline is attended online as well as in person."""
            return [mode] if mode == cls.BOTH else [mode, cls.BOTH]

    # Basic information (基本信息)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    activity_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity type"),
        on_delete=models.PROTECT,
        null=True,
        related_name="activities",
        # No limit_choices_to={"is_active": True}: a retired type stays valid on the
        # activities that have it (approving or saving them was refused with "… is not a
        # valid choice"); the editor offers new choices from the types in use only
        # (ActivityPageForm._offer_active_options).
    )
    start_at = models.DateTimeField(
        _("starts"),
        null=True,
        help_text=_(
            "Publish before the activity takes place: the start must be later than the "
            "submission. Review takes time, so submit at least a week ahead."
        ),
    )
    end_at = models.DateTimeField(_("ends"), null=True)
    province = models.ForeignKey(
        Region,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        limit_choices_to={"level": Region.Level.PROVINCE},
        help_text=_("Where the activity mainly takes place and serves the public."),
    )
    city = models.ForeignKey(
        Region,
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    county = models.ForeignKey(
        Region,
        verbose_name=_("county or district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel_category = models.CharField(
        _("channel category"),
        max_length=20,
        choices=CHANNEL_CATEGORY_CHOICES,
        help_text=_(
            "Choose the category first. Districts of Beijing, Tianjin, Shanghai and "
            "Chongqing choose the municipal association category. The channel decides who "
            "reviews the activity."
        ),
    )
    channel = models.ForeignKey(
        Organization,
        verbose_name=_("responsible channel"),
        on_delete=models.PROTECT,
        null=True,
        related_name="channel_activities",
        help_text=_(
            "The organization whose channel this activity counts for. A municipal or county "
            "association that cannot be found can be replaced by its province's association."
        ),
    )
    # Kept in step with the channel on every save so moderation queries filter one indexed
    # column instead of joining through organizations.
    review_province = models.ForeignKey(
        Region,
        verbose_name=_("reviewing province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    is_joint_action = models.BooleanField(_("part of a joint action"), default=False)
    joint_action_categories = ParentalManyToManyField(
        JointActionCategory,
        verbose_name=_("joint action categories"),
        blank=True,
        related_name="activities",
    )
    is_special_action = models.BooleanField(_("part of a special action"), default=False)
    special_action_categories = ParentalManyToManyField(
        SpecialActionCategory,
        verbose_name=_("special action categories"),
        blank=True,
        related_name="activities",
    )
    is_youth_festival = models.BooleanField(_("part of the youth science festival"), default=False)
    has_partner_departments = models.BooleanField(
        _("with ministries or government departments"), default=False
    )
    has_partner_societies = models.BooleanField(_("with societies"), default=False)
    supports_reservation = models.BooleanField(_("reservation supported"), default=False)
    reservation_url = models.URLField(
        _("reservation link"),
        max_length=500,
        blank=True,
        validators=[validate_http_url],
        help_text=_("The third-party booking page, starting with http:// or https://."),
    )

    # Content (活动内容)
    poster = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("poster"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "A poster or a clear, informative picture: JPEG, PNG or WebP, at most 10 MB, at "
            "least 600 pixels on its short side. It must show the words or mark 全国科普日, "
            "the activity's name, its time and its host unit."
        ),
    )
    details = RichTextField(
        _("details"),
        help_text=_(
            "Introduce the activity so that the public wants to take part and the media can "
            "report it: theme, time and place, audience, programme, highlights, scientists, "
            "how to take part and contacts. Commercial promotion and routine teaching are not "
            "Science Day activities."
        ),
    )
    content = models.TextField(
        _("activity content"),
        help_text=_("Required: what happens at the activity."),
    )
    audience = models.CharField(
        _("audience"), max_length=200, help_text=_("Required: who the activity is for.")
    )
    scientists = models.CharField(
        _("participating scientists"),
        max_length=300,
        help_text=_(
            "Required: names, units and titles; if not yet decided, the field, e.g. "
            "scientists in astronomy."
        ),
    )
    contact_person = models.CharField(_("contact person"), max_length=50)
    # Checked on submission (submission_errors), not on every save: a revision stored
    # before the rule must still publish when approved or put back.
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=CONTACT_PHONE_MAX_LENGTH,
        help_text=CONTACT_PHONE_HELP,
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    highlights = models.TextField(
        _("highlights"),
        blank=True,
        help_text=_("Optional, recommended: what sets it apart and draws the public."),
    )
    expected_participants = models.PositiveIntegerField(
        _("expected participants"), null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    participation_channel = models.CharField(
        _("how to take part"),
        max_length=300,
        blank=True,
        help_text=_("Optional: contacts or a reservation link already count as a channel."),
    )
    promotion = models.CharField(
        _("promotion"),
        max_length=300,
        blank=True,
        help_text=_("Optional: e.g. the official account or notice board that promotes it."),
    )

    name_key = models.CharField(max_length=255, editable=False, db_index=True, default="")
    # The new-activity form's one-time token (ActivityPageForm): the same form posted twice
    # (a second tab, the back button, a retried request) creates one activity, not two.
    # db_default: the bulk seeder's column lists leave it out.
    creation_token = models.CharField(max_length=32, editable=False, default="", db_default="")
    # What "newest first" sorts on: Wagtail's first_published_at, copied to this table (or
    # NEVER_PUBLISHED). With a filter on this table (province, type) the listing then reads
    # one index in order, instead of walking the page table's dates and joining each row to
    # test the filter (0.4-3 s at a million activities; docs/performance.md).
    newest_key = models.DateTimeField(editable=False, default=NEVER_PUBLISHED)
    # The same order as one unique number (constants.newest_rank): on PostgreSQL a GiST
    # index of (the activity's dates, this) reads a date range newest first (listing.order).
    newest_rank = models.BigIntegerField(editable=False, null=True)
    # Wagtail's `live`, copied to this table: a deep page of the listing skips thousands of
    # activities, and finding them through this table's indexes alone (listing.Segments)
    # spares a probe of the page table for each (40 ms for page 500 at a million). The page
    # shown is still read with Wagtail's own `live`, so a stale copy can hide an activity
    # from a deep page, never show an unpublished one.
    listed = models.BooleanField(editable=False, default=False)

    basic_panels = [
        FieldPanel("title", heading=_("Activity name")),
        FieldRowPanel(
            [
                FieldPanel("mode"),
                # A plain select: the snippet chooser would offer retired types too.
                FieldPanel("activity_type", widget=forms.Select),
            ]
        ),
        FieldRowPanel(
            [
                FieldPanel("start_at", widget=TYPED_MOMENT),
                FieldPanel("end_at", widget=TYPED_MOMENT),
            ],
            heading=_("Activity time"),
        ),
        FieldRowPanel(
            [
                FieldPanel("province", widget=REGION_WIDGETS["province"]),
                FieldPanel("city", widget=REGION_WIDGETS["city"]),
                FieldPanel("county", widget=REGION_WIDGETS["county"]),
            ],
            heading=_("Region"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("channel_category"),
                FieldPanel(
                    "channel",
                    widget=OrganizationChooserWidget(
                        linked_fields={"category": "#id_channel_category"}
                    ),
                ),
            ],
            heading=_("Responsible channel (important)"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("is_joint_action"),
                FieldPanel("joint_action_categories", widget=forms.CheckboxSelectMultiple),
                FieldPanel("is_special_action"),
                FieldPanel("special_action_categories", widget=forms.CheckboxSelectMultiple),
                FieldPanel("is_youth_festival"),
            ],
            heading=_("Campaign programmes"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("has_partner_departments"),
                BoundedInlinePanel("partner_departments", label=_("Partner department")),
                FieldPanel("has_partner_societies"),
                BoundedInlinePanel("partner_societies", label=_("Partner society")),
            ],
            heading=_("Cooperation"),
        ),
        MultiFieldPanel(
            [FieldPanel("supports_reservation"), FieldPanel("reservation_url")],
            heading=_("Reservation"),
        ),
    ]
    content_tab_panels = [
        FieldPanel("poster"),
        FieldPanel("details"),
        MultiFieldPanel(
            [
                FieldPanel("content"),
                FieldPanel("audience"),
                FieldPanel("scientists"),
                FieldRowPanel(
                    [
                        FieldPanel("contact_person"),
                        FieldPanel("contact_phone"),
                        FieldPanel("contact_email"),
                    ],
                    # PIPL: making someone's name and number public needs their consent.
                    help_text=_(
                        "Shown on the public activity page: make sure the contact person agrees."
                    ),
                ),
            ],
            heading=_("Key facts (required)"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("highlights"),
                FieldRowPanel([FieldPanel("expected_participants"), FieldPanel("address")]),
                FieldPanel("participation_channel"),
                FieldPanel("promotion"),
            ],
            heading=_("More facts (optional)"),
        ),
    ]
    units_panels = [
        BoundedInlinePanel("host_units", label=_("Host unit"), min_num=1),
        BoundedInlinePanel("organizer_units", label=_("Organizer unit")),
    ]
    # The guide's form has no such tab: the address, search-engine texts and menus are the
    # site operators' business, and a clerk met "slug" and "title tag" beside their
    # activity's facts. A field in a panel its user may not see is left out of their form
    # too (django-permissionedforms), so their saves keep what a superuser set; a new
    # activity's slug comes from its name (_fill_empty_slug).
    promote_panels = [
        MultiFieldPanel(
            [
                FieldPanel(name, permission="superuser")
                for name in ("slug", "seo_title", "search_description")
            ],
            heading=_("For search engines"),
        ),
        MultiFieldPanel(
            [FieldPanel("show_in_menus", permission="superuser")],
            heading=_("For site menus"),
        ),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(basic_panels, heading=_("Basic information")),
            ObjectList(content_tab_panels, heading=_("Activity content")),
            ObjectList(units_panels, heading=_("Host and organizer units")),
            ObjectList(promote_panels, heading=_("Promote"), permission="superuser"),
        ]
    )

    search_fields = [
        # The title column of the index holds the title segmented too (search/fields.py).
        *with_segmented_title(Page.search_fields),
        # Segmented text (search/segment.py) so Chinese words match inside longer text.
        index.SearchField("search_title", boost=3),
        index.SearchField("search_text"),
        index.AutocompleteField("search_title"),
        # The listing's equality filters as words beside the title (search/filters.py).
        FilterWordsField(),
        index.FilterField("province"),
        index.FilterField("activity_type"),
        index.FilterField("mode"),
        index.FilterField("start_at"),
        index.FilterField("channel_category"),
        index.FilterField("is_youth_festival"),
    ]
    # Indexed by save() once the units are written (indexing.index_after_save), not by
    # Wagtail's post_save, which runs inside Page.save before modelcluster writes them.
    search_auto_update = False

    parent_page_types = ["activities.ActivityIndexPage"]
    subpage_types = []
    base_form_class = ActivityPageForm
    exclude_fields_in_copy = ["creation_token"]
    copy_form_class = ActivityCopyForm

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["start_at"], name="activity_start"),
            models.Index(fields=["province", "start_at"], name="activity_province_start"),
            models.Index(fields=["activity_type", "start_at"], name="activity_type_start"),
            # The listing's ongoing and ended segments read these in order (listing.order).
            # start_at included: the ongoing segment's filter is then answered by the index.
            models.Index(fields=["end_at", "page_ptr"], include=["start_at"], name="activity_end"),
            models.Index(fields=["province", "end_at"], name="activity_province_end"),
            models.Index(fields=["activity_type", "end_at"], name="activity_type_end"),
            # "Newest first" (listing.order), alone or within a province or a type. With the
            # dates as keys too, the state and date filters are tested in the index as it is
            # read newest first: the newest activities are mostly upcoming, and "ended,
            # newest first" otherwise fetched 350,000 rows to discard (0.5-1 s at a million).
            models.Index(
                fields=["newest_key", "page_ptr", "end_at", "start_at"], name="activity_newest"
            ),
            models.Index(
                fields=["province", "newest_key", "page_ptr"], name="activity_province_newest"
            ),
            models.Index(
                fields=["activity_type", "newest_key", "page_ptr"], name="activity_type_newest"
            ),
            # Deep pages of the listing, by segment order (listing.Segments._slice), with
            # the equality filters' columns included: skipping past a filtered listing's
            # first 10,000 is then an index-only scan whatever the filters.
            models.Index(
                fields=["end_at", "page_ptr"],
                include=["start_at", *LISTED_FILTER_COLUMNS],
                condition=models.Q(listed=True),
                name="activity_listed_end",
            ),
            models.Index(
                fields=["start_at", "page_ptr"],
                include=["end_at", *LISTED_FILTER_COLUMNS],
                condition=models.Q(listed=True),
                name="activity_listed_start",
            ),
            models.Index(
                fields=["newest_key", "page_ptr"],
                include=["end_at", "start_at", *LISTED_FILTER_COLUMNS],
                condition=models.Q(listed=True),
                name="activity_listed_newest",
            ),
        ]

    def __str__(self):
        return self.title

    # Search (R29) -----------------------------------------------------------------------

    def search_title(self):
        return segment(self.title)

    @staticmethod
    def search_filters_of(values, places=()):
        """The words beside the title of an activity whose column values (by attname) are
        `values`: its filter words and its title's characters (search/filters.py), then
        the words of `places`, the names of its province, city and county
        (search.fields.place_words: 北京 finds the activities held in Beijing in the title
        pass, which ranks first)."""
        zone = ZoneInfo(settings.TIME_ZONE)
        words = object_words(values, SEARCH_FILTERS, SEARCH_DATES, zone)
        return " ".join([*words, *place_words(places)])

    def search_filters(self):
        values = dict(self.__dict__)
        # Marked by national moderators with one UPDATE, which re-indexes the activities
        # it marks (nomination_views.mark). A batch read for indexing carries the answer
        # (activities.indexing.for_indexing); the index asks this method several times.
        # An object not saved yet (the bulk seeder's self-check builds one) has none.
        recommended = values.pop("_recommended", None)
        if recommended is None:
            recommended = not self._state.adding and (
                Nomination.objects.filter(page_id=self.pk, recommended=True).exists()
            )
        values["nomination__recommended"] = recommended
        return self.search_filters_of(values, self._search_places())

    def _search_places(self):
        # The regions read by search_text too (select_related in indexing.for_indexing).
        return [region.name for region in (self.province, self.city, self.county) if region]

    def search_text(self):
        parts = [
            strip_tags(self.details or ""),
            self.content,
            self.audience,
            self.scientists,
            self.highlights,
            self.address,
            str(self.activity_type or ""),
            str(self.province or ""),
            str(self.city or ""),
            str(self.county or ""),
            *organization_search_names(self.channel),
            *(name for unit in self.host_units.all() for name in unit_search_names(unit)),
            *(name for unit in self.organizer_units.all() for name in unit_search_names(unit)),
        ]
        return segment(" ".join(part for part in parts if part))

    # Validation -------------------------------------------------------------------------

    def clean(self):
        super().clean()
        errors = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        self._clean_title_length(add)
        for name in ("start_at", "end_at"):
            moment = getattr(self, name)
            if moment is not None and not MIN_YEAR <= moment.year <= MAX_YEAR:
                # Beyond what an activity can be (and year 1 failed the database, a 500).
                add(
                    name,
                    _("Enter a date between the years %(first)d and %(last)d.")
                    % {"first": MIN_YEAR, "last": MAX_YEAR},
                )
        refused = {"start_at", "end_at"} & set(getattr(self, "_invalid_fields", ()))
        if not refused and self.start_at and self.end_at and self.end_at < self.start_at:
            add("end_at", _("The end cannot be before the start."))
        self._clean_region(add)
        self._clean_channel(add)
        self._clean_follow_ups(add)
        self._clean_poster(add)
        if errors:
            raise ValidationError(errors)

    def _clean_title_length(self, add):
        """R6: at most 50 characters, as readers count them (text.perceived_length: é
        typed as two code points counts one, so does a family emoji)."""
        count = perceived_length(self.title) if self.title else 0
        if count > TITLE_MAX_LENGTH:
            add("title", title_length_message(count))

    @classmethod
    def title_errors(cls, title):
        """The messages the name rules give `title` (R6, R31), as when an activity is
        saved: for forms that set a name alone (ActivityCopyForm)."""
        page = cls(title=title)
        errors = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        others = [field.name for field in cls._meta.fields if field.name != "title"]
        try:
            page.clean_fields(exclude=others)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors:
            page._clean_title_length(add)
        return errors.get("title", [])

    def clean_fields(self, exclude=None):
        """Each field's own validation, then, in the fields that passed it: R31's control
        characters (and direction controls), required text that shows nothing (R6, R13),
        and the free texts' lengths (R13). Here rather than in clean(): a field the form
        leaves out (`exclude`) must get no error, and a link already refused as a link is
        not refused twice. Each field gets the first of these it breaks."""
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)

        def add(field, message):
            errors.setdefault(field, []).append(message)

        for check in (
            self._clean_control_characters,
            self._clean_invisible_text,
            self._clean_text_lengths,
        ):
            check({*(exclude or ()), *errors}, add)
        if errors:
            raise ValidationError(errors)

    def _typed_text_fields(self, skipped):
        """(field, multi_line) of the text fields an editor types, but those in `skipped`."""
        for field in self._meta.concrete_fields:
            if field.name in skipped or not field.editable:
                continue
            if field.choices or isinstance(field, models.SlugField):
                continue  # choices and slugs allow a narrower alphabet already
            if isinstance(field, models.TextField):
                yield field, True
            elif isinstance(field, models.CharField):
                yield field, False

    def _clean_invisible_text(self, skipped, add):
        """R6, R13: required text must show something. Django's "required" counts a
        zero-width space (U+200B), a joiner or a BOM as text: a name of two zero-width
        spaces was submitted, an untitled activity. Rich text shows an image too."""
        for field, _multi_line in self._typed_text_fields(skipped):
            value = getattr(self, field.attname)
            if field.blank or not value:
                continue  # an empty value has had Django's own message
            if isinstance(field, RichTextField):
                visible = rich_text_is_visible(value)
            else:
                visible = has_visible_character(value)
            if not visible:
                add(field.name, REQUIRED_MESSAGE)

    def _clean_text_lengths(self, skipped, add):
        """R13: the free texts Django bounds by no column size have a bound of their own
        (TEXT_MAX_LENGTHS, DETAILS_MAX_TEXT)."""
        for name, limit in TEXT_MAX_LENGTHS.items():
            count = len(getattr(self, name) or "")
            if name not in skipped and count > limit:
                add(
                    name,
                    _("This text has %(count)d characters; at most %(max)d are allowed.")
                    % {"count": count, "max": limit},
                )
        if "details" in skipped or not self.details:
            return
        count = rich_text_length(self.details)
        if count > DETAILS_MAX_TEXT:
            add(
                "details",
                _("The details have %(count)d characters of text; at most %(max)d are allowed.")
                % {"count": count, "max": DETAILS_MAX_TEXT},
            )
        elif len(self.details) > DETAILS_MAX_HTML:
            add(
                "details",
                _(
                    "With their formatting the details are %(count)d characters long; at most "
                    "%(max)d are allowed. Remove formatting pasted with the text, or shorten it."
                )
                % {"count": len(self.details), "max": DETAILS_MAX_HTML},
            )

    def _clean_control_characters(self, skipped, add):
        """R31: no invisible control character in the text an editor types, Page's (title,
        SEO title, description) included. Word's manual line break survives pasting, and
        XML refuses it: the feeds answered 500 for one live activity holding one. Text
        areas keep tabs and line breaks; one-line fields take none, nor a direction
        control (U+202E, the right-to-left override, made a name read backwards)."""
        for field, multi_line in self._typed_text_fields(skipped):
            value = getattr(self, field.attname)
            char = first_control_character(value, multi_line)
            if char is None and not multi_line:
                char = first_direction_control(value)
                if char is not None:
                    add(field.name, direction_control_message(char))
                    continue
            if char is None:
                continue
            if not multi_line:
                add(field.name, one_line_control_message(char))
                continue
            message = _(
                "Delete the invisible control character (%(code)s) in this text, such "
                "as a manual line break pasted from Word. Line breaks made with Enter "
                "and tabs are fine."
            )
            add(field.name, message % {"code": f"U+{ord(char):04X}"})

    def _clean_region(self, add):
        province, city, county = self.province, self.city, self.county
        if city is not None and (
            city.level != Region.Level.CITY or city.parent_id != getattr(province, "pk", None)
        ):
            add("city", _("The city is not in the chosen province."))
        if county is not None:
            expected_parent = city.pk if city is not None else getattr(province, "pk", None)
            if county.level != Region.Level.COUNTY or county.parent_id != expected_parent:
                add("county", _("The county is not in the chosen city or province."))

    def _clean_channel(self, add):
        channel = self.channel
        if channel is None:
            return
        if not channel.is_certified:
            add("channel", _("Only certified organizations can be a responsible channel."))
        if self.channel_category and channel.category != self.channel_category:
            add(
                "channel",
                _("%(name)s is not of the chosen category (%(category)s).")
                % {"name": channel.name, "category": self.get_channel_category_display()},
            )

    def _clean_follow_ups(self, add):
        """R11: each "yes" needs its follow-up. Many-to-many values of an unsaved form live in
        the cluster, so they are read through the relation managers."""
        if self.is_joint_action and not self._related_count("joint_action_categories"):
            add("joint_action_categories", _("Choose at least one joint action category."))
        if self.is_special_action and not self._related_count("special_action_categories"):
            add("special_action_categories", _("Choose at least one special action category."))
        if self.has_partner_departments and not self._related_count("partner_departments"):
            add("has_partner_departments", _("Add at least one partner department."))
        if self.has_partner_societies and not self._related_count("partner_societies"):
            add("has_partner_societies", _("Add at least one partner society."))
        if (
            self.supports_reservation
            and not self.reservation_url
            and "reservation_url" not in getattr(self, "_invalid_fields", ())
        ):
            add("reservation_url", _("Give the booking page's link."))

    def _related_count(self, name):
        pending = getattr(self, "_pending_relation_counts", None)
        if pending is not None and name in pending:
            return pending[name]
        try:
            return len(getattr(self, name).all())
        except ValueError:  # an unsaved page without a cluster yet
            return 0

    def _clean_poster(self, add):
        poster = self.poster
        if poster is None:
            return
        for message in poster_problems(poster):
            add("poster", message)

    # Submission rules (R8, R15) -----------------------------------------------------------

    def submission_errors(
        self, moment=None, site=None, start_at=None, contact_phone=None, user=None
    ):
        """What stops this activity from being submitted now, by field. Checked when the
        editor submits and when a workflow starts, so every path shares it. The editor
        passes the start and the phone it is about to save, and who submits."""
        from home.models import CampaignSettings

        moment = moment or timezone.now()
        start_at = start_at or self.start_at
        errors = {}
        if start_at and start_at <= moment:
            if self._live_start() != start_at:
                errors["start_at"] = [
                    _("The start must be later than now: submit activities before they take place.")
                ]
            elif not roles.corrects_activities_under_way(user):
                # A correction of a live activity that has begun: its start is not what the
                # submitter got wrong, and the public keeps the approved version. The
                # platform's support may submit it; the review still decides.
                errors["__all__"] = [
                    _(
                        "This activity has already started, so changes to it can no longer "
                        "be submitted for review; the approved version stays public. Save "
                        "your changes as a draft, or ask the platform's support to correct it."
                    )
                ]
        pending = getattr(self, "_pending_relation_counts", None)
        if pending is None and self.pk and not self.host_units.exists():
            # The editor's host rows are checked by their own formset (R14); a draft may be
            # saved without one, so a submission by any other path checks it here.
            errors.setdefault("__all__", []).append(_("Add at least one host unit."))
        contact_phone = self.contact_phone if contact_phone is None else contact_phone
        if contact_phone:
            try:
                validate_contact_phone(contact_phone)
            except ValidationError as error:
                errors["contact_phone"] = error.messages
        site = site or (self.get_site() if self.pk else None)
        # The support corrects a live activity whenever it must: one running into October
        # was past the window, and the unit is sent to the support.
        support_correction = roles.corrects_activities_under_way(user) and self.live
        if site is not None and not self.answers_request_for_changes() and not support_correction:
            campaign = CampaignSettings.for_site(site)
            if not campaign.is_open(moment):
                errors.setdefault("__all__", []).append(
                    _(
                        "Submission is closed: activities of the %(year)s campaign can be "
                        "submitted from %(window)s. You can still save your draft."
                    )
                    % {"year": campaign.year, "window": campaign.window_display()}
                )
        return errors

    def _live_start(self):
        """The start of the public version (the page row holds it), if the activity is live."""
        if not self.pk:
            return None
        row = ActivityPage.objects.filter(pk=self.pk, live=True).values_list("start_at", flat=True)
        return row.first()

    def answers_request_for_changes(self):
        """Whether a submission would answer a review's request for changes. The window
        bounds new submissions (R15), not the corrections a review asked for: changes
        requested near its end, or before the campaign's year moved on, could otherwise
        never be resubmitted and the review stayed open for good."""
        from wagtail.models import WorkflowState

        if not self.pk:
            return False
        states = WorkflowState.objects.for_instance(self)
        return states.filter(status=WorkflowState.STATUS_NEEDS_CHANGES).exists()

    def get_warnings(self, moment=None):
        """Advice that does not block saving or submitting."""
        moment = moment or timezone.now()
        warnings = []
        if self.start_at and moment < self.start_at < moment + SHORT_NOTICE:
            warnings.append(SHORT_NOTICE_WARNING)
        similar = self.similar_named_activities()
        # Other units' drafts and activities under review are named to nobody else (R2):
        # only counted.
        named = [page for page in similar if page.live or page.owner_id == self.owner_id]
        if named:
            warnings.append(
                _(
                    "Other activities of this campaign have the same or a very similar name: "
                    "%(names)s. Make the name distinguishable."
                )
                % {"names": "、".join(page.title for page in named)}
            )
        unnamed = len(similar) - len(named)
        if unnamed:
            warnings.append(
                ngettext(
                    "%(count)d unpublished activity of another unit has the same or a very "
                    "similar name. Make the name distinguishable.",
                    "%(count)d unpublished activities of other units have the same or a very "
                    "similar name. Make the name distinguishable.",
                    unnamed,
                )
                % {"count": unnamed}
            )
        return warnings

    def similar_named_activities(self, limit=5):
        key = normalize_name(self.title)
        if not key or self.start_at is None:
            return []
        year = timezone.localtime(self.start_at).year
        # Names sharing their first or their last four characters are the candidates.
        candidates = (
            ActivityPage.objects.filter(start_at__year=year)
            .filter(models.Q(name_key__startswith=key[:4]) | models.Q(name_key__endswith=key[-4:]))
            .exclude(pk=self.pk)
        )
        similar = []
        for page in candidates.only("title", "name_key", "live", "owner")[:200]:
            if difflib.SequenceMatcher(None, key, page.name_key).ratio() >= SIMILAR_NAME_RATIO:
                similar.append(page)
            if len(similar) >= limit:
                break
        return similar

    # Persistence --------------------------------------------------------------------------

    @classmethod
    def from_serializable_data(cls, data, check_fks=True, strict_fks=False):
        """A saved version whose poster, channel or type has since been deleted reads as a
        version without it. PROTECT guards only what the page row points at, and a
        newer revision's image or organization can be deleted; modelcluster then raised
        for PROTECT, and the editor, the preview and every review action on the activity
        answered 500. Now the editor asks for the missing item again and review refuses
        to approve it (workflow.publishing)."""
        if check_fks:
            data = dict(data)
            for field in cls._meta.local_concrete_fields:
                value = data.get(field.name)
                if (
                    value is not None
                    and field.is_relation
                    and field.remote_field.on_delete is models.PROTECT
                    and not field.related_model._default_manager.filter(pk=value).exists()
                ):
                    data[field.name] = None
        return super().from_serializable_data(data, check_fks, strict_fks)

    def full_clean(self, *args, **kwargs):
        self._normalize_title()
        self._sync_derived_fields()
        self._fill_empty_slug()
        super().full_clean(*args, **kwargs)

    def minimal_clean(self):
        # What Page.save() runs for a page that is not live.
        self._fill_empty_slug()
        super().minimal_clean()

    def _fill_empty_slug(self):
        """Wagtail derives an empty slug from the name, but a name like ？？？ or emoji has
        nothing a slug holds: the page was saved with slug "", and every later activity
        saved with an empty slug was refused as taking "" already in use. Done where Wagtail
        makes its own slug (saving under a known parent), so the same lock covers both."""
        parent_is_known = bool(self.path or getattr(self, "_cached_parent_obj", None))
        empty = self.title and not slugify(self.title, allow_unicode=True)
        if not self.slug and parent_is_known and empty:
            self.slug = self._get_autogenerated_slug("activity")

    def save(self, *args, **kwargs):
        self._normalize_title()
        self._sync_derived_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            # Page.copy(keep_live=True) saves only the publication fields.
            derived = {"first_published_at": ("newest_key", "newest_rank"), "live": ("listed",)}
            added = {
                copy
                for field, copies in derived.items()
                if field in update_fields
                for copy in copies
            }
            if added:
                kwargs["update_fields"] = {*update_fields, *added}
        super().save(*args, **kwargs)
        if self.newest_rank is None:
            # The rank holds the id, which the first save has only just given.
            self.newest_rank = newest_rank(self.newest_key, self.pk)
            ActivityPage.objects.filter(pk=self.pk).update(newest_rank=self.newest_rank)
        from .indexing import index_after_save

        index_after_save(self)

    def _normalize_title(self):
        """R6: the name in Unicode's composed form (NFC), as it is counted: é typed as e and
        a combining accent is stored as the one character it shows."""
        if self.title:
            self.title = unicodedata.normalize("NFC", self.title)

    @staticmethod
    def sync_listed(sender, instance, **kwargs):
        """page_published/page_unpublished: `listed` of an activity saved as a plain Page.
        Wagtail's scheduled unpublishing (publish_scheduled) unpublishes Page objects, whose
        save() is not this class's; the signal then carries the activity, read again."""
        if isinstance(instance, ActivityPage) and instance.listed != bool(instance.live):
            instance.listed = bool(instance.live)
            ActivityPage.objects.filter(pk=instance.pk).update(listed=instance.listed)

    def _sync_derived_fields(self):
        self.newest_key = self.first_published_at or NEVER_PUBLISHED
        self.newest_rank = newest_rank(self.newest_key, self.pk)
        self.listed = bool(self.live)
        self.name_key = normalize_name(self.title)[:255]
        channel = self.channel if self.channel_id else None
        province = channel.province_id if channel is not None else None
        if province != self.review_province_id and not self._province_step_recorded():
            self.review_province_id = province

    def _province_step_recorded(self):
        """While a review is in progress the row's province is the one ReviewTask.start
        recorded from the version under review. A live activity's row holds the live
        version, whose channel may lie elsewhere: a take-down during re-review saved the
        row and handed the province step to the old channel's province (R20)."""
        from wagtail.models import WorkflowState

        return bool(self.pk) and (
            WorkflowState.objects.filter(
                base_content_type_id=self.get_base_content_type().pk,
                object_id=str(self.pk),
                status=WorkflowState.STATUS_IN_PROGRESS,
            ).exists()
        )

    # Review route (R19) ------------------------------------------------------------------

    def permissions_for_user(self, user):
        from .permissions import ActivityPermissionTester

        return ActivityPermissionTester(user, self)

    def get_workflow(self):
        """Chosen by the channel's category, not by tree position (Wagtail's default)."""
        from workflow.models import workflow_for

        return workflow_for(self)

    @property
    def has_workflow(self):
        # Wagtail's has_workflow queries the tree itself; keep it in step with get_workflow.
        return self.get_workflow() is not None

    # Public page (R30) ------------------------------------------------------------------

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        page = self
        if getattr(request, "is_preview", False):
            # A preview shows the editor's unsaved units, which live in the page's cluster.
            units = {
                kind: [unit.display_name for unit in getattr(page, relation).all()]
                for kind, relation in self.UNIT_KINDS
            }
        else:
            units = page.units_by_kind()
        context["units"] = units
        context["action_categories"] = page.action_categories()
        context["absolute_url"] = self.get_full_url(request)
        context["qr_svg"] = qr_svg(context["absolute_url"])
        context["json_ld"] = page.json_ld(context["absolute_url"], request, units["host"])
        return context

    def serve(self, request, *args, **kwargs):
        from .cache import current_version, mark_dependency, page_dependency

        dependency = page_dependency(self.pk)
        current_version(dependency)  # before rendering: see activities/cache.py
        response = super().serve(request, *args, **kwargs)
        return mark_dependency(response, dependency)

    UNIT_KINDS = (
        ("host", "host_units"),
        ("organizer", "organizer_units"),
        ("department", "partner_departments"),
        ("society", "partner_societies"),
    )

    def units_by_kind(self):
        """The display names of host, organizer and partner units, by kind, in one query
        (a UNION over the four tables) instead of one per table.

        A live page's unit rows are those of its live revision (publishing writes them,
        saving a draft does not), and the names are organizations' (whose changes bump the
        site version): so they are kept per live revision like the reference rows."""
        if not self.pk:
            return {kind: [] for kind, _relation in self.UNIT_KINDS}
        if not (self.live and self.live_revision_id):
            return self._read_units()
        return kept(f"units:{self.pk}:{self.live_revision_id}", self._read_units)

    def contact_phone_html(self):
        """Each number a tel: link: "010-58881234，13912345678", as the field's help writes
        several, was one link dialling the first number for both."""
        return phone_links_html(self.contact_phone)

    def action_categories(self):
        """The names of its joint-action and special-action categories in the current
        language (R11, R30, R34), kept per live revision like its units (category changes
        bump the site version). Both names are kept and one is picked per request, so the
        kept copy serves every language."""
        if not (self.is_joint_action or self.is_special_action):
            return {"joint": [], "special": []}
        if not (self.pk and self.live and self.live_revision_id):
            names = self._read_action_categories()
        else:
            # Not "actions:": what was kept under that name holds the Chinese names alone.
            names = kept(
                f"action-names:{self.pk}:{self.live_revision_id}", self._read_action_categories
            )
        return {
            kind: [name_in_language(name, name_en) for name, name_en in pairs]
            for kind, pairs in names.items()
        }

    def _read_action_categories(self):
        # Through the page's cluster, so a preview shows the editor's unsaved choices.
        return {
            "joint": [
                (category.name, category.name_en) for category in self.joint_action_categories.all()
            ]
            if self.is_joint_action
            else [],
            "special": [
                (category.name, category.name_en)
                for category in self.special_action_categories.all()
            ]
            if self.is_special_action
            else [],
        }

    @property
    def region_names(self):
        """Its province, city and county as public pages and feeds name them: in the
        current language (R34), the Chinese name where a region has no English one."""
        return [region.display_name for region in (self.province, self.city, self.county) if region]

    def _read_units(self):
        units = {kind: [] for kind, _relation in self.UNIT_KINDS}
        rows = _UNITS_QUERY.run(None, page_id=self.pk)
        for kind, _order, _pk, display in sorted(rows, key=lambda row: row[:3]):
            units[kind].append(display)
        return units

    @classmethod
    def units_queryset(cls, page_id):
        parts = [
            cls._meta.get_field(relation)
            .related_model.objects.filter(page_id=page_id)
            .annotate(
                kind=models.Value(kind, output_field=models.CharField()),
                display=Coalesce("organization__name", "name"),
            )
            .order_by()
            .values_list("kind", "sort_order", "pk", "display")
            for kind, relation in cls.UNIT_KINDS
        ]
        return parts[0].union(*parts[1:], all=True)

    def json_ld(self, url, request=None, host_names=None):
        """schema.org Event metadata for search engines and share previews."""
        import json

        from django.utils.safestring import mark_safe

        modes = {
            self.Mode.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
            self.Mode.OFFLINE: "https://schema.org/OfflineEventAttendanceMode",
            self.Mode.BOTH: "https://schema.org/MixedEventAttendanceMode",
        }
        place = " ".join(part for part in (*self.region_names, self.address) if part)
        data = {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": self.title,
            "url": url,
            "startDate": self.start_at.isoformat() if self.start_at else None,
            "endDate": self.end_at.isoformat() if self.end_at else None,
            "eventAttendanceMode": modes.get(self.mode),
            "eventStatus": "https://schema.org/EventScheduled",
            "description": (self.content or "")[:300],
            "location": self.json_ld_location(url, place),
            "organizer": [
                {"@type": "Organization", "name": name}
                for name in (
                    host_names
                    if host_names is not None
                    else [unit.display_name for unit in self.host_units.all()]
                )
            ],
        }
        if self.poster_id and request is not None:
            rendition = renditions.rendition(self.poster, renditions.SHARE)
            if rendition is not None:
                data["image"] = request.build_absolute_uri(rendition.url)
        if self.public_reservation_url and self.activity_state() != ActivityState.ENDED:
            # No price: the platform does not know one, and "0" told search engines
            # every booked activity was free.
            data["offers"] = {"@type": "Offer", "url": self.public_reservation_url}
        # No "<", ">" or "&" at all (JSON escapes them, as Django's json_script does): "</"
        # would end the script element, and "<!--<script>" would make the browser read the
        # rest of the page as script.
        text = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
        return mark_safe(text)  # noqa: S308 - JSON of our own data, markup characters escaped

    def json_ld_location(self, url, place):
        """schema.org: an online activity is held at a VirtualLocation (where to take
        part, else its page), an offline one at a Place, one held both ways at both."""
        virtual = {"@type": "VirtualLocation", "url": self.public_reservation_url or url}
        physical = {"@type": "Place", "name": place}
        if self.mode == self.Mode.ONLINE:
            return virtual
        if self.mode == self.Mode.BOTH:
            return [physical, virtual]
        return physical

    @classmethod
    def index_for_user(cls, user):
        """The activity index under which `user` may create activities, if any."""
        index = ActivityIndexPage.objects.live().first() or ActivityIndexPage.objects.first()
        if index is None or not index.permissions_for_user(user).can_add_subpage():
            return None
        return index

    @classmethod
    def can_create_at_index_for(cls, user):
        return cls.index_for_user(user) is not None

    # States (R16–R18) -----------------------------------------------------------------------

    @cached_property
    def review_state(self):
        if hasattr(self, "_workflow_status"):
            return annotated_review_state(self)
        return review_state_for(self)

    def get_mode_display(self):
        # Django's version builds a dict of every choice per call, hashing each lazy
        # label (0.15 ms a call; the detail page shows the mode twice).
        try:
            return str(self.Mode(self.mode).label)
        except ValueError:
            return self.mode

    def activity_state(self, moment=None):
        return ActivityState.at(self.start_at, self.end_at, moment)

    @property
    def public_reservation_url(self):
        """The booking link visitors see (R11, R30): only when reservation is on and the
        link is http(s)."""
        return http_url_or_empty(self.reservation_url) if self.supports_reservation else ""

    @property
    def listing_state(self):
        if self.live:
            return ListingState.ON
        taken_down = getattr(self, "_taken_down", None)
        if taken_down is None:
            taken_down = self.take_downs.filter(restored_at=None).exists()
        return ListingState.TAKEN_DOWN if taken_down else ListingState.OFF

    @property
    def review_comment(self):
        """The reviewer's comment when the activity came back for changes."""
        if self.review_state not in (ReviewState.PROVINCE_REJECTED, ReviewState.NATIONAL_REJECTED):
            return ""
        if hasattr(self, "_task_comment"):
            return self._task_comment or ""
        state = self.current_workflow_state
        task_state = state.current_task_state if state else None
        return task_state.comment if task_state else ""

    @property
    def is_recommended(self):
        """Whether national moderators marked it an excellent activity (R33). Templates
        use this rather than nomination.recommended: a missing nomination raises, and
        Django's template engine then inspects the whole page object to explain it."""
        try:
            return self.nomination.recommended
        except models.ObjectDoesNotExist:
            return False

    @property
    def is_province_reviewed(self):
        return self.channel_category in Organization.PROVINCE_REVIEWED


QR_CACHE_SECONDS = 30 * 24 * 3600


def qr_svg(url):
    """A QR code of the page URL as inline SVG, for sharing from a screen to a phone.

    The code depends only on the URL, so it is made once and kept in the cache. A fixed
    mask pattern skips segno's search for the best of eight (10 ms of a 15 ms page); any
    mask is valid, the search only evens out light and dark modules."""
    import hashlib
    import io

    import segno
    from django.utils.safestring import mark_safe

    from .cache import versioned

    def build():
        buffer = io.BytesIO()
        segno.make(url, error="m", mask=2).save(
            buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=url
        )
        return buffer.getvalue().decode()

    # Kept in this process as well as in the shared cache: a round trip per detail page.
    svg = versioned("qr:v1:" + hashlib.sha256(url.encode()).hexdigest(), build, QR_CACHE_SECONDS)
    return mark_safe(svg)  # noqa: S308 - generated SVG, no user markup


def image_rule_problems(image, wording):
    """Why `image` breaks the poster's limits (R12: format, size, short side), in
    `wording`'s messages ("format", "size", "pixels"); empty when it does not."""
    problems = []
    name = (image.file.name or "").lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in POSTER_FORMATS:
        problems.append(wording["format"])
    size = image.file_size
    if size is None:
        try:
            size = image.file.size
        except (OSError, ValueError):
            size = None
    if size is not None and size > POSTER_MAX_BYTES:
        problems.append(wording["size"] % {"size": size / 2**20})
    if min(image.width or 0, image.height or 0) < POSTER_MIN_SIDE:
        problems.append(
            wording["pixels"]
            % {"width": image.width or 0, "height": image.height or 0, "min": POSTER_MIN_SIDE}
        )
    return problems


POSTER_WORDING = {
    "format": _("The poster must be a JPEG, PNG or WebP image."),
    "size": _("The poster is %(size).1f MB; at most 10 MB is allowed."),
    "pixels": _(
        "The poster is %(width)d×%(height)d pixels; its short side must be at least %(min)d pixels."
    ),
}


def poster_problems(image):
    """Why an image cannot be a poster (R12); empty when it can."""
    return image_rule_problems(image, POSTER_WORDING)


def unit_panels(categories=None):
    """A unit's row: a library pick (of `categories` only, if given) or the exact name."""
    if categories:
        widget = OrganizationOfKindsChooserWidget(categories)
    else:
        widget = OrganizationChooserWidget()
    return [FieldPanel("organization", widget=widget), FieldPanel("name")]


def organization_search_names(organization):
    """The names an activity's text holds for a library organization: its name, then its
    short name (中科院 for 中国科学院, 中宣部, 工信部: R29), read with the organization."""
    if organization is None:
        return []
    names = [organization.name]
    if organization.short_name and organization.short_name != organization.name:
        names.append(organization.short_name)
    return names


def unit_search_names(unit):
    """A unit's names in an activity's indexed text: its organization's (name and short
    name) when linked, else the name typed."""
    return organization_search_names(unit.organization) if unit.organization_id else [unit.name]


class ActivityUnit(Orderable):
    """A unit named on an activity: picked from the library (and kept linked) or, when the
    library has no match, typed as plain text exactly as on its seal (R5, R14)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("from the organization library"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(
        _("or the exact name"),
        max_length=100,
        blank=True,
        help_text=_("When the library has no match, type the full name as on its seal."),
    )

    panels = unit_panels()
    # The library categories a unit of this kind may be, or None for any (R11).
    organization_categories = None
    organization_kind_message = None

    class Meta(Orderable.Meta):
        abstract = True

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.organization.name if self.organization_id else self.name

    def clean(self):
        super().clean()
        self.name = " ".join((self.name or "").split())
        if not has_visible_character(self.name):
            # Zero-width spaces and the like are no name (R14): as if nothing was typed.
            self.name = ""
        if self.organization_id:
            if not self.organization.is_certified:
                raise ValidationError(
                    {"organization": _("Only certified organizations can be picked.")}
                )
            kinds = self.organization_categories
            if kinds and self.organization.category not in kinds:
                raise ValidationError({"organization": self.organization_kind_message})
            self.name = self.organization.name
        elif not self.name:
            raise ValidationError(
                {"name": _("Pick an organization from the library or type its exact name.")}
            )
        else:
            char = first_direction_control(self.name)
            if char is not None:
                raise ValidationError({"name": direction_control_message(char)})
            self.organization = self.library_match()
            if self.organization is not None:
                self.name = self.organization.name

    def library_match(self):
        """The one certified organization (of this unit's kinds) named exactly as typed. The
        guide links a unit to the library when it exists there (R5, R14): a name typed in
        full instead of picked stayed plain text, unlinked from the unit's activities."""
        matches = Organization.objects.certified().filter(name=self.name)
        if self.organization_categories:
            matches = matches.filter(category__in=self.organization_categories)
        found = list(matches[:2])
        return found[0] if len(found) == 1 else None


class HostUnit(ActivityUnit):
    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="host_units")

    class Meta(ActivityUnit.Meta):
        verbose_name = _("host unit")
        verbose_name_plural = _("host units")


class OrganizerUnit(ActivityUnit):
    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="organizer_units")

    class Meta(ActivityUnit.Meta):
        verbose_name = _("organizer unit")
        verbose_name_plural = _("organizer units")


class PartnerDepartment(ActivityUnit):
    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="partner_departments")
    # R11: ministries, or local government departments, which the library files as 其他.
    organization_categories = (Organization.Category.MINISTRY, Organization.Category.OTHER)
    organization_kind_message = _(
        "Pick a ministry or a government department (category Ministry or Other) from the "
        "library, or type the department's exact name."
    )
    panels = unit_panels(organization_categories)

    class Meta(ActivityUnit.Meta):
        verbose_name = _("partner department")
        verbose_name_plural = _("partner departments")


class PartnerSociety(ActivityUnit):
    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="partner_societies")
    # R11: national societies, or the others (provincial societies are filed as 其他).
    organization_categories = (Organization.Category.NATIONAL_SOCIETY, Organization.Category.OTHER)
    organization_kind_message = _(
        "Pick a society (category National society or Other) from the library, or type the "
        "society's exact name."
    )
    panels = unit_panels(organization_categories)

    class Meta(ActivityUnit.Meta):
        verbose_name = _("partner society")
        verbose_name_plural = _("partner societies")


__all__ = [
    "ActivityIndexPage",
    "ActivityPage",
    "ActivityState",
    "ActivityType",
    "HostUnit",
    "JointActionCategory",
    "ListingState",
    "OrganizerUnit",
    "PartnerDepartment",
    "PartnerSociety",
    "ReviewState",
    "SpecialActionCategory",
]


# The detail page's units: four tables in one UNION, compiled once per process.
_UNITS_QUERY = CompiledQuery(HostUnit, ActivityPage.units_queryset, page_id=int)

from .nomination_models import (  # noqa: E402,F401 - registers the R33 models
    Nomination,
    NominationPhoto,
    NominationReport,
    NominationVideo,
)
