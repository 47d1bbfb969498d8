"""推优 (R33) in the admin: the submitter files supplementary information; national
moderators list, view and mark nominations."""

from django.contrib import messages
from django.core.files.images import ImageFile
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.images.models import Image
from wagtail.search import index as search_index

from accounts import roles
from home.converters import is_db_id

from . import cache as page_cache
from .models import ActivityPage
from .nomination_forms import MarkForm, NominationFilterForm, NominationForm, ReportFormSet
from .nomination_models import (
    MAX_PHOTOS,
    MAX_VIDEOS,
    Nomination,
    NominationPhoto,
    NominationVideo,
    is_approved,
    photo_problems,
    video_problems,
    window_state,
)
from .uploads import image_problems


def can_file(user, page):
    """The activity's submitter, administrators and superusers (R33)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        user.is_superuser
        or roles.in_group(user, roles.ADMINISTRATORS)
        or (page.owner_id is not None and page.owner_id == user.pk)
    )


def can_mark(user):
    """National moderators and superusers."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or roles.in_group(user, roles.NATIONAL_MODERATORS))
    )


def _local(moment):
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def closed_message(page, request):
    """Why the form is closed now, or None when it is open."""
    if not is_approved(page):
        return _("Only approved activities on the public site can be nominated.")
    state, opens, last_day = window_state(page, site=getattr(request, "_wagtail_site", None))
    if state == "before":
        if opens is None:
            return _("The activity has no end time, so the form cannot open.")
        return _(
            "The form opens when the activity ends, at %(opens)s, and stays open until "
            "%(last)s (10 days after the end)."
        ) % {"opens": _local(opens), "last": last_day.strftime("%Y-%m-%d")}
    if state == "closed":
        return _("The form closed at the end of %(last)s (10 days after the activity ended).") % {
            "last": last_day.strftime("%Y-%m-%d")
        }
    return None


def _save_photo(upload, user, nomination, errors, evidence=False):
    # Decoded completely and checked for web code before anything is stored (issue #9).
    problems = image_problems(upload)
    if problems:
        errors.append(f"{upload.name}: {' '.join(str(problem) for problem in problems)}")
        return None
    image = Image(
        title=upload.name[:255], uploaded_by_user=user, file=ImageFile(upload, upload.name)
    )
    problems = photo_problems(image)
    if problems:
        errors.append(f"{upload.name}: {' '.join(str(problem) for problem in problems)}")
        return None
    if hasattr(image, "_set_image_file_metadata"):
        image._set_image_file_metadata()
    image.save()
    if not evidence:
        NominationPhoto.objects.create(nomination=nomination, image=image)
    return image


def _handle_uploads(request, nomination):
    """Saves every acceptable upload at once, so a failed submission never loses them."""
    errors = {"photos": [], "videos": [], "participants_evidence": []}
    deleted_photos = request.POST.getlist("delete_photo")
    if deleted_photos:
        nomination.photos.filter(pk__in=deleted_photos).delete()
    deleted_videos = request.POST.getlist("delete_video")
    if deleted_videos:
        for video in nomination.videos.filter(pk__in=deleted_videos):
            video.file.delete(save=False)
            video.delete()
    count = nomination.photos.count()
    for upload in request.FILES.getlist("photos"):
        if count >= MAX_PHOTOS:
            errors["photos"].append(
                _("At most 10 photos are allowed; %(name)s was not added.") % {"name": upload.name}
            )
            continue
        if _save_photo(upload, request.user, nomination, errors["photos"]):
            count += 1
    count = nomination.videos.count()
    for upload in request.FILES.getlist("videos"):
        if count >= MAX_VIDEOS:
            errors["videos"].append(
                _("At most 3 videos are allowed; %(name)s was not added.") % {"name": upload.name}
            )
            continue
        problems, seconds = video_problems(upload)
        if problems:
            errors["videos"].append(f"{upload.name}: {' '.join(str(p) for p in problems)}")
            continue
        NominationVideo.objects.create(
            nomination=nomination, file=upload, original_name=upload.name[:255], duration=seconds
        )
        count += 1
    evidence = request.FILES.get("participants_evidence")
    if evidence is not None:
        image = _save_photo(
            evidence, request.user, nomination, errors["participants_evidence"], evidence=True
        )
        if image is not None:
            nomination.participants_evidence = image
            nomination.save(update_fields=["participants_evidence", "updated_at"])
    return errors


def nomination_form_view(request, page_id):
    page = get_object_or_404(ActivityPage, pk=page_id)
    if not can_file(request.user, page):
        return HttpResponseForbidden(_("Only the activity's submitter can file its nomination."))
    closed = closed_message(page, request)
    nomination = Nomination.objects.filter(page=page).first() or Nomination(page=page)
    upload_errors = {}
    rule_errors = {}
    if request.method == "POST" and closed:
        response = _render_form(request, page, nomination, None, None, closed, {}, {})
        response.status_code = 403
        return response
    if request.method == "POST":
        with transaction.atomic():
            if nomination.pk is None:
                nomination.save()
            upload_errors = _handle_uploads(request, nomination)
        form = NominationForm(request.POST, instance=nomination)
        formset = ReportFormSet(request.POST, instance=nomination, prefix="reports")
        if form.is_valid() and formset.is_valid():
            with transaction.atomic():
                nomination = form.save()
                formset.save()
                rule_errors = nomination.rule_errors()
                nomination.is_complete = not rule_errors
                if nomination.is_complete and nomination.submitted_at is None:
                    nomination.submitted_at = timezone.now()
                nomination.save(update_fields=["is_complete", "submitted_at", "updated_at"])
            if not rule_errors and not any(upload_errors.values()):
                messages.success(request, _("The supplementary information is complete."))
                return redirect("nomination_form", page.pk)
            form = NominationForm(instance=nomination)
            formset = ReportFormSet(instance=nomination, prefix="reports")
        else:
            rule_errors = {
                key: value
                for key, value in nomination.rule_errors(reports=[None]).items()
                if key in ("photos", "videos", "participants_evidence")
            }
            if nomination.is_complete:
                nomination.is_complete = False
                nomination.save(update_fields=["is_complete", "updated_at"])
        messages.error(request, _("The supplementary information is not complete yet."))
        response = _render_form(
            request, page, nomination, form, formset, None, upload_errors, rule_errors
        )
        return response
    form = NominationForm(instance=nomination)
    formset = ReportFormSet(instance=nomination if nomination.pk else None, prefix="reports")
    if nomination.pk and not closed:
        rule_errors = nomination.rule_errors()
    return _render_form(request, page, nomination, form, formset, closed, {}, rule_errors)


def _render_form(request, page, nomination, form, formset, closed, upload_errors, rule_errors):
    file_errors = {
        key: [*rule_errors.get(key, []), *upload_errors.get(key, [])]
        for key in ("photos", "videos", "participants_evidence")
    }
    return TemplateResponse(
        request,
        "activities/nomination/form.html",
        {
            "page_title": _("Supplementary information for nomination"),
            "page": page,
            "nomination": nomination,
            "photos": nomination.photos.select_related("image") if nomination.pk else [],
            "videos": nomination.videos.all() if nomination.pk else [],
            "form": form,
            "formset": formset,
            "closed": closed,
            "file_errors": file_errors,
            "participants_help": Nomination._meta.get_field("participants").help_text,
        },
    )


# Moderators ---------------------------------------------------------------------------------


def _forbidden():
    return HttpResponseForbidden(_("Nominations are marked by national moderators."))


def mark(nominations, user, recommended, note=""):
    """Marks nominations as recommended (优秀活动) or not; only complete ones can be
    recommended. Returns how many changed."""
    if not can_mark(user):
        raise PermissionError
    if recommended:
        # A taken-down activity is not recommended either (R33: approved activities only).
        nominations = nominations.filter(is_complete=True, page__live=True)
    pages = list(nominations.values_list("page_id", flat=True))
    changed = nominations.update(
        recommended=recommended,
        recommendation_note=note or "",
        marked_by=user,
        marked_at=timezone.now(),
    )
    # "Recommended" is a filter word beside the title (search/filters.py).
    for page in ActivityPage.objects.filter(pk__in=pages):
        search_index.insert_or_update_object(page)
    # An UPDATE sends no save signal: the badge and the filter's kept counts, cards and
    # search results are renewed here.
    if pages:
        page_cache.bump(page_cache.LISTING, *map(page_cache.page_dependency, pages))
    return changed


def nomination_list_view(request):
    if not can_mark(request.user):
        return _forbidden()
    queryset = Nomination.objects.select_related(
        "page", "page__province", "page__activity_type", "page__channel"
    ).annotate(
        photo_count=Count("photos", distinct=True),
        video_count=Count("videos", distinct=True),
        report_count=Count("reports", distinct=True),
    )
    if request.method == "POST":
        # Forged values are not nominations: dropped, not a database error.
        ids = [value for value in request.POST.getlist("selected") if is_db_id(value)]
        action = request.POST.get("action")
        if ids and action in ("recommend", "unrecommend"):
            chosen = Nomination.objects.filter(pk__in=ids)
            changed = mark(
                chosen, request.user, action == "recommend", request.POST.get("note", "")[:500]
            )
            messages.success(request, _("%(count)d nominations marked.") % {"count": changed})
            skipped = len(ids) - changed
            if skipped > 0:
                messages.warning(
                    request,
                    _(
                        "%(count)d nominations cannot be recommended: incomplete, or the "
                        "activity is not listed."
                    )
                    % {"count": skipped},
                )
        else:
            messages.error(request, _("Choose nominations and an action."))
        return redirect(request.get_full_path())
    filters = NominationFilterForm(request.GET or None)
    queryset = filters.apply(queryset).order_by("-is_complete", "-updated_at")
    return TemplateResponse(
        request,
        "activities/nomination/list.html",
        {"page_title": _("Nominations"), "filters": filters, "nominations": queryset[:500]},
    )


def nomination_review_view(request, page_id):
    if not can_mark(request.user):
        return _forbidden()
    nomination = get_object_or_404(
        Nomination.objects.select_related("page", "participants_evidence"), page_id=page_id
    )
    if request.method == "POST":
        form = MarkForm(request.POST)
        if form.is_valid():
            recommended = form.cleaned_data["recommended"]
            changed = mark(
                Nomination.objects.filter(pk=nomination.pk),
                request.user,
                recommended,
                form.cleaned_data["note"],
            )
            if changed:
                messages.success(request, _("The nomination has been marked."))
                return redirect("nomination_list")
            messages.error(
                request,
                _("Only complete nominations of listed activities can be recommended."),
            )
    else:
        form = MarkForm(
            initial={
                "recommended": "1" if nomination.recommended else "0",
                "note": nomination.recommendation_note,
            }
        )
    return TemplateResponse(
        request,
        "activities/nomination/review.html",
        {
            "page_title": _("Nomination: %(title)s") % {"title": nomination.page.title},
            "nomination": nomination,
            "page": nomination.page,
            "rule_errors": nomination.rule_errors(),
            "form": form,
        },
    )
