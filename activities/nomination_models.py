"""推优 (R33): the supplementary information an approved activity files after it ends, and
the national moderators' recommendation (优秀活动)."""

import datetime
import secrets

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from home.models import beijing_date

from .models import ActivityPage, http_url_or_empty, image_rule_problems, validate_http_url

MIN_PHOTOS = 3
MAX_PHOTOS = 10
MAX_VIDEOS = 3
MIN_REPORTS = 1
MAX_VIDEO_SECONDS = 180.0
MAX_VIDEO_BYTES = 200 * 1024 * 1024
# Three minutes at 240 frames a second with 48 kHz audio is about 52,000 packets; a file with
# many more is refused rather than walked packet by packet for minutes.
MAX_VIDEO_PACKETS = 250_000
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "m4v", "webm", "mkv", "avi"})
# Demuxer names (PyAV's container.format.name, comma-separated aliases) that hold video.
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "matroska", "webm", "avi"})
MIN_OFFLINE_PARTICIPANTS = 50
MIN_ONLINE_PARTICIPANTS = 100
WINDOW_DAYS = 10
SUMMARY_MIN = 20
SUMMARY_MAX = 2000


def summary_length_problem(text):
    """Why a summary's length is refused, in the words the form and the rules share
    (Django's own said 变量, "variable", to the unit writing its summary)."""
    length = len((text or "").strip())
    if SUMMARY_MIN <= length <= SUMMARY_MAX:
        return None
    return _("Write between %(min)d and %(max)d characters; there are %(count)d.") % {
        "min": SUMMARY_MIN,
        "max": SUMMARY_MAX,
        "count": length,
    }


SUMMARY_FIELDS = ("basic_facts", "main_results", "highlights", "resources", "lessons")


PARTICIPANTS_MESSAGE = _(
    "%(mode)s activities need at least %(needed)d participants; %(count)d given."
)


def required_participants(mode):
    """Offline 50, online 100; online-and-offline passes with the offline rule (50)."""
    if mode == ActivityPage.Mode.ONLINE:
        return MIN_ONLINE_PARTICIPANTS
    return MIN_OFFLINE_PARTICIPANTS


PHOTO_WORDING = {
    "format": _("Photos must be JPEG, PNG or WebP images."),
    "size": _("The photo is %(size).1f MB; at most 10 MB is allowed."),
    "pixels": _(
        "The photo is %(width)d×%(height)d pixels; its short side must be at least %(min)d pixels."
    ),
}


def photo_problems(image):
    """Why an image cannot be a nomination photo: the poster's limits, worded for photos."""
    return image_rule_problems(image, PHOTO_WORDING)


def storage_name(original):
    """A file name nobody can guess from the original's (the media folder is public): the
    original name is kept only as the title or original_name shown to people."""
    extension = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    token = secrets.token_hex(16)
    return f"{token}.{extension}" if extension.isalnum() else token


def video_upload_to(instance, filename):
    return timezone.now().strftime("nomination_videos/%Y/%m/") + storage_name(filename)


def video_problems(upload):
    """Why an uploaded file cannot be a nomination video, and its duration in seconds.
    The duration is read from the file with PyAV (FFmpeg), not trusted from the name."""
    import av

    name = (getattr(upload, "name", "") or "").lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in VIDEO_EXTENSIONS:
        return [_("Videos must be MP4, MOV, M4V, WebM, MKV or AVI files.")], None
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_VIDEO_BYTES:
        return [
            _("The video is %(size).1f MB; at most 200 MB is allowed.") % {"size": size / 2**20}
        ], None
    played = None
    try:
        upload.seek(0)
        path = getattr(upload, "temporary_file_path", None)
        with av.open(path() if path else upload, mode="r") as container:
            formats = set((container.format.name or "").split(","))
            has_video = bool(container.streams.video)
            declared = _declared_seconds(container)
            if formats & VIDEO_CONTAINERS and has_video and declared <= MAX_VIDEO_SECONDS:
                played = _played_seconds(container)
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return [_("This file could not be read as a video.")], None
    finally:
        upload.seek(0)
    if not formats & VIDEO_CONTAINERS or not has_video:
        return [_("This file is not a video.")], None
    if declared > MAX_VIDEO_SECONDS:
        return [
            _("The video lasts %(duration)s; at most 3 minutes is allowed.")
            % {"duration": format_duration(declared)}
        ], round(declared, 3)
    if played is None:
        return [
            _(
                "The video has too many frames to be checked; upload a file encoded at a "
                "usual frame rate."
            )
        ], None
    seconds = round(max(declared, played), 3)
    if seconds > MAX_VIDEO_SECONDS:
        return [_("The video lasts more than 3 minutes; at most 3 minutes is allowed.")], seconds
    if seconds <= 0:
        return [_("The video's duration could not be read; upload another file.")], None
    return [], seconds


def _declared_seconds(container):
    """The longest duration the file's headers state (the container's and each stream's)."""
    import av

    found = [container.duration / av.time_base] if container.duration else []
    for stream in container.streams:
        if stream.duration and stream.time_base:
            found.append(float(stream.duration * stream.time_base))
    return max(found, default=0.0)


def _played_seconds(container):
    """Where the last packet of any stream ends, in seconds. Headers can state a quarter of
    the real length (an edited mvhd, mdhd or tkhd); the packets' timestamps are what a
    player plays. The packets are read, not decoded, and reading stops once they pass the
    limit. None when there are too many packets to read."""
    end = 0.0
    for count, packet in enumerate(container.demux(), 1):
        if count > MAX_VIDEO_PACKETS:
            return None
        moment = packet.pts if packet.pts is not None else packet.dts
        if moment is None or packet.time_base is None:
            continue
        end = max(end, float((moment + (packet.duration or 0)) * packet.time_base))
        if end > MAX_VIDEO_SECONDS:
            break
    return end


def format_duration(seconds):
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class Nomination(models.Model):
    """One per activity; kept as the submitter fills it in, complete once every rule holds."""

    page = models.OneToOneField(
        ActivityPage,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="nomination",
    )
    participants = models.PositiveIntegerField(
        _("participants"),
        null=True,
        blank=True,
        help_text=_(
            "Offline activities need at least 50 participants, online ones at least 100; "
            "activities both online and offline follow the offline rule (at least 50)."
        ),
    )
    participants_evidence = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("participant evidence photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    basic_facts = models.TextField(_("basic facts"), blank=True)
    main_results = models.TextField(_("main results"), blank=True)
    highlights = models.TextField(_("highlights"), blank=True)
    resources = models.TextField(_("reusable science resources"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    is_complete = models.BooleanField(_("complete"), default=False, db_index=True)
    recommended = models.BooleanField(_("recommended"), default=False, db_index=True)
    recommendation_note = models.CharField(_("note"), max_length=500, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")

    def __str__(self):
        return str(self.page)

    def rule_errors(self, reports=None, photo_count=None, video_count=None):
        """Every rule that does not hold, by field; empty when the nomination is complete."""
        errors = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        if reports is None:
            reports = list(self.reports.all()) if self.pk else []
        if len(reports) < MIN_REPORTS:
            add("reports", _("Add at least one media report."))
        photo_count = self.photos.count() if photo_count is None and self.pk else photo_count or 0
        if photo_count < MIN_PHOTOS:
            add(
                "photos",
                _("Upload at least 3 photos; there are %(count)d.") % {"count": photo_count},
            )
        elif photo_count > MAX_PHOTOS:
            add(
                "photos",
                _("At most 10 photos are allowed; there are %(count)d.") % {"count": photo_count},
            )
        video_count = self.videos.count() if video_count is None and self.pk else video_count or 0
        if video_count > MAX_VIDEOS:
            add("videos", _("At most 3 videos are allowed."))
        needed = required_participants(self.page.mode)
        if self.participants is None:
            add("participants", _("Give the number of participants."))
        elif self.participants < needed:
            add(
                "participants",
                PARTICIPANTS_MESSAGE
                % {
                    "mode": self.page.get_mode_display(),
                    "needed": needed,
                    "count": self.participants,
                },
            )
        if not self.participants_evidence_id:
            add("participants_evidence", _("Upload a photo that shows the participants."))
        for name in SUMMARY_FIELDS:
            problem = summary_length_problem(getattr(self, name))
            if problem:
                add(name, problem)
        return errors


class NominationReport(models.Model):
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="reports")
    title = models.CharField(_("report title"), max_length=200)
    outlet = models.CharField(_("media outlet"), max_length=100)
    url = models.URLField(_("link"), max_length=500, validators=[validate_http_url])
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("media report")

    def __str__(self):
        return self.title

    @property
    def safe_url(self):
        """The link moderators open: only http(s), even one stored without validation."""
        return http_url_or_empty(self.url)


class NominationPhoto(models.Model):
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="photos")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("photo")

    def __str__(self):
        return str(self.image)


class NominationVideo(models.Model):
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(_("video"), upload_to=video_upload_to, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    duration = models.FloatField(_("duration in seconds"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("video")

    def __str__(self):
        return self.original_name or self.file.name

    @property
    def duration_display(self):
        return format_duration(self.duration)


# The window (R33) ------------------------------------------------------------------------


def window(page, site=None):
    """(opens, last_day): opens at the activity's end; the last day is the 10th calendar day
    after the end's date in Asia/Shanghai, plus the campaign's extra days."""
    from home.models import CampaignSettings

    if page.end_at is None:
        return None, None
    extra = 0
    site = site or page.get_site()
    if site is not None:
        extra = CampaignSettings.for_site(site).nomination_extra_days
    return page.end_at, last_filing_day(page.end_at, extra)


def last_filing_day(end_at, extra_days):
    """The 10th calendar day after the end's date in Asia/Shanghai, plus the campaign's
    `extra_days` (a list reads them once for all its rows)."""
    return beijing_date(end_at) + datetime.timedelta(days=WINDOW_DAYS + extra_days)


def window_state(page, moment=None, site=None):
    """The state ("before", "open" or "closed"), with the opening moment and the last day."""
    moment = moment or timezone.now()
    opens, last_day = window(page, site)
    if opens is None or moment < opens:
        return "before", opens, last_day
    if beijing_date(moment) > last_day:
        return "closed", opens, last_day
    return "open", opens, last_day


def summary_filed(nomination):
    """Whether every summary field meets its rule as stored. Once the summary is closed,
    what was stored by then is what counts: one not filed in time keeps the nomination
    incomplete (rule_errors), whatever material is added afterwards."""
    return not any(summary_length_problem(getattr(nomination, name)) for name in SUMMARY_FIELDS)


def is_approved(page):
    """Approved and on the public site: live, and not taken down (R18, R33)."""
    return page.live and not page.take_downs.filter(restored_at=None).exists()


# Completeness and the recommendation (R33) --------------------------------------------------


def refresh_completeness(nomination_id, user=None):
    """Stores whether the stored material meets every rule, and returns the rules that do
    not hold (None when the nomination is gone). The flag only feeds the moderators' list:
    marking reads the rules afresh. Recommended material that stops meeting them, because
    an image was deleted outside the form (which is locked once recommended), loses the
    recommendation, logged with the reasons: a badge must not stand on material that is no
    longer there."""
    from wagtail.log_actions import log

    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update().filter(pk=nomination_id).first()
            if nomination_id
            else None
        )
        if nomination is None:
            return None
        errors = nomination.rule_errors()
        complete = not errors
        changed = []
        if nomination.is_complete != complete:
            nomination.is_complete = complete
            changed.append("is_complete")
        if complete and nomination.submitted_at is None:
            nomination.submitted_at = timezone.now()
            changed.append("submitted_at")
        withdrawn = not complete and nomination.recommended
        if withdrawn:
            nomination.recommended = False
            nomination.marked_by = user if getattr(user, "is_authenticated", False) else None
            nomination.marked_at = timezone.now()
            changed += ["recommended", "marked_by", "marked_at"]
        if changed:
            nomination.save(update_fields=[*changed, "updated_at"])
        if withdrawn:
            reasons = " ".join(str(message) for messages in errors.values() for message in messages)
            log(nomination.page, "nominations.withdraw", user=user, data={"comment": reasons})
    if withdrawn:
        recommendation_changed([nomination.page_id])
    return errors


def recommendation_changed(page_ids):
    """Renews what shows the recommendation: "recommended" is a filter word beside the title
    (search/filters.py), and the badge is on cached pages, cards and filter counts. Marking
    is an UPDATE, which sends no save signal."""
    from modelsearch.backends import get_search_backends

    from . import cache as page_cache
    from .indexing import for_indexing

    page_ids = list(page_ids)
    pages = for_indexing(page_ids)
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(ActivityPage, pages)
    if page_ids:
        page_cache.bump(page_cache.LISTING, *map(page_cache.page_dependency, page_ids))


# Nomination material in the image library -------------------------------------------------


def nomination_material():
    """The images that are nomination photos or participant evidence. They are managed in
    the nomination form only; accounts/upload_policy.py keeps them out of the image
    library, the chooser and the admin API for everyone but superusers."""
    return models.Q(pk__in=NominationPhoto.objects.values("image_id")) | models.Q(
        pk__in=Nomination.objects.filter(participants_evidence__isnull=False).values(
            "participants_evidence_id"
        )
    )


def discard_image(image):
    """Deletes an image that was nomination material, with its renditions and files
    (Wagtail removes the files once the deletion is committed). One still used elsewhere,
    as a poster chosen before nomination material was hidden from the chooser, stays."""
    from django.db.models import ProtectedError

    if image is None:
        return False
    try:
        with transaction.atomic():
            image.delete()
    except ProtectedError:
        return False
    return True


def _image_deleting(sender, instance, **kwargs):
    instance._nominations = list(
        Nomination.objects.filter(
            models.Q(participants_evidence=instance) | models.Q(photos__image=instance)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def _image_deleted(sender, instance, **kwargs):
    for nomination_id in getattr(instance, "_nominations", ()):
        refresh_completeness(nomination_id)


def _nomination_deleting(sender, instance, **kwargs):
    instance._images = [
        *instance.photos.values_list("image_id", flat=True),
        *([instance.participants_evidence_id] if instance.participants_evidence_id else []),
    ]


def _nomination_deleted(sender, instance, **kwargs):
    from wagtail.images import get_image_model

    for image in get_image_model().objects.filter(pk__in=getattr(instance, "_images", ())):
        discard_image(image)


def _video_deleted(sender, instance, **kwargs):
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


pre_delete.connect(_image_deleting, sender="wagtailimages.Image", dispatch_uid="nom_image_pre")
post_delete.connect(_image_deleted, sender="wagtailimages.Image", dispatch_uid="nom_image")
pre_delete.connect(_nomination_deleting, sender=Nomination, dispatch_uid="nom_pre")
post_delete.connect(_nomination_deleted, sender=Nomination, dispatch_uid="nom_images")
post_delete.connect(_video_deleted, sender=NominationVideo, dispatch_uid="nom_video_file")
