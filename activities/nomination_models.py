"""推优 (R33): the supplementary information an approved activity files after it ends, and
the national moderators' recommendation (优秀活动)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ActivityPage, http_url_or_empty, poster_problems, validate_http_url

MIN_PHOTOS = 3
MAX_PHOTOS = 10
MAX_VIDEOS = 3
MIN_REPORTS = 1
MAX_VIDEO_SECONDS = 180.0
MAX_VIDEO_BYTES = 200 * 1024 * 1024
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "m4v", "webm", "mkv", "avi"})
# Demuxer names (PyAV's container.format.name, comma-separated aliases) that hold video.
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "matroska", "webm", "avi"})
MIN_OFFLINE_PARTICIPANTS = 50
MIN_ONLINE_PARTICIPANTS = 100
WINDOW_DAYS = 10
SUMMARY_MIN = 20
SUMMARY_MAX = 2000
SUMMARY_FIELDS = ("basic_facts", "main_results", "highlights", "resources", "lessons")


def required_participants(mode):
    """Offline 50, online 100; online-and-offline passes with the offline rule (50)."""
    if mode == ActivityPage.Mode.ONLINE:
        return MIN_ONLINE_PARTICIPANTS
    return MIN_OFFLINE_PARTICIPANTS


def photo_problems(image):
    """Photos follow the poster upload rules (R12): format, size, short side."""
    return list(poster_problems(image))


def video_problems(upload):
    """Why an uploaded file cannot be a nomination video, and its duration in seconds.
    The duration is read from the container with PyAV (FFmpeg), not trusted from the name."""
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
    try:
        upload.seek(0)
        path = getattr(upload, "temporary_file_path", None)
        with av.open(path() if path else upload, mode="r") as container:
            formats = set((container.format.name or "").split(","))
            has_video = bool(container.streams.video)
            duration = container.duration
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return [_("This file could not be read as a video.")], None
    finally:
        upload.seek(0)
    if not formats & VIDEO_CONTAINERS or not has_video:
        return [_("This file is not a video.")], None
    if duration is None or duration <= 0:
        return [_("The video's duration could not be read; upload another file.")], None
    seconds = round(duration / av.time_base, 3)
    if seconds > MAX_VIDEO_SECONDS:
        return [
            _("The video lasts %(duration)s; at most 3 minutes is allowed.")
            % {"duration": format_duration(seconds)}
        ], seconds
    return [], seconds


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
            "Offline activities need at least 50 participants, online ones at least 100. "
            "线上线下活动满足线下标准（不少于50人）即可."
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
                _("A %(mode)s activity needs at least %(needed)d participants; %(count)d given.")
                % {
                    "mode": self.page.get_mode_display(),
                    "needed": needed,
                    "count": self.participants,
                },
            )
        if not self.participants_evidence_id:
            add("participants_evidence", _("Upload a photo that shows the participants."))
        for name in SUMMARY_FIELDS:
            length = len((getattr(self, name) or "").strip())
            if length < SUMMARY_MIN or length > SUMMARY_MAX:
                add(
                    name,
                    _("Write between %(min)d and %(max)d characters; there are %(count)d.")
                    % {"min": SUMMARY_MIN, "max": SUMMARY_MAX, "count": length},
                )
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
    file = models.FileField(_("video"), upload_to="nomination_videos/%Y/%m/", max_length=255)
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
    end_day = timezone.localdate(page.end_at)
    return page.end_at, end_day + datetime.timedelta(days=WINDOW_DAYS + extra)


def window_state(page, moment=None, site=None):
    """The state ("before", "open" or "closed"), with the opening moment and the last day."""
    moment = moment or timezone.now()
    opens, last_day = window(page, site)
    if opens is None or moment < opens:
        return "before", opens, last_day
    if timezone.localdate(moment) > last_day:
        return "closed", opens, last_day
    return "open", opens, last_day


def is_approved(page):
    """Approved and on the public site: live, and not taken down (R18, R33)."""
    return page.live and not page.take_downs.filter(restored_at=None).exists()
