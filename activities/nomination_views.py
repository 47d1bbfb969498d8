"""推优 (R33) in the admin: the submitter files supplementary information; national
moderators list, view and mark nominations."""

import mimetypes
import re
import uuid
from collections import Counter
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.admin.paginator import WagtailPaginator
from wagtail.images.models import Image
from wagtail.log_actions import log
from wagtail.log_actions import registry as log_registry

from accounts import roles
from home.concurrency import FINGERPRINT_FIELD
from home.converters import is_db_id
from home.models import beijing_date

from .models import ActivityPage
from .nomination_forms import (
    MarkForm,
    NominationFilterForm,
    NominationForm,
    ReportForm,
    ReportFormSet,
    material_fingerprint,
)
from .nomination_models import (
    MAX_PHOTOS,
    MAX_VIDEOS,
    SUMMARY_FIELDS,
    Nomination,
    NominationPhoto,
    NominationReport,
    NominationVideo,
    discard_image,
    is_approved,
    photo_problems,
    recommendation_changed,
    refresh_completeness,
    storage_name,
    summary_filed,
    video_problems,
    window_state,
)
from .uploads import image_problems

LIST_PER_PAGE = 50
REPORTS = "reports"
REPORT_ROW = re.compile(rf"^{REPORTS}-(\d+)-(.+)$")


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


def can_see(user, page):
    """Who may see a nomination's material: whoever files it or marks it."""
    return can_file(user, page) or can_mark(user)


def _forbidden(request, reason):
    """A 403 in the admin's frame with the reason, rather than PermissionDenied, which Wagtail
    turns into a redirect to the dashboard: whoever followed a link learns why it is closed."""
    return TemplateResponse(
        request, "accounts/admin/forbidden.html", {"reason": reason}, status=403
    )


def _local(moment):
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def closed_message(page, request, nomination=None):
    """Why the form is closed now, or None when it is open. The end of the window does not
    close it: only the summary is due within it (summary_closed_message)."""
    if not is_approved(page):
        return _("Only approved activities on the public site can be nominated.")
    if nomination is not None and nomination.recommended:
        # The recommendation was given to this material; changing it afterwards would keep
        # the badge on something the moderators never saw.
        return _(
            "This activity has been recommended as an excellent activity, so its "
            "supplementary information can no longer be changed. If it must change, ask "
            "the national moderators to withdraw the recommendation first."
        )
    state, opens, last_day = window_state(page, site=getattr(request, "_wagtail_site", None))
    if state == "before" and opens is None:
        return _("The activity has no end time, so the form cannot open.")
    if state == "before":
        # The campaign may add days to the guide's ten (nomination_extra_days).
        days = (last_day - beijing_date(opens)).days
        values = {"opens": _local(opens), "last": last_day.strftime("%Y-%m-%d"), "days": days}
        return (
            ngettext(
                "The form opens when the activity ends, at %(opens)s, and stays open until "
                "%(last)s (%(days)d day after the end).",
                "The form opens when the activity ends, at %(opens)s, and stays open until "
                "%(last)s (%(days)d days after the end).",
                days,
            )
            % values
        )
    return None


def summary_closed_message(page, request, nomination):
    """Why the summary can no longer be changed, or None while it can. The guide gives ten
    days (plus the campaign's extra days) for item (4), the activity summary, only: media
    reports, photos, videos and the participants can still be filed afterwards. A summary
    not complete by then never will be, and the submitter is told so plainly."""
    state, opens, last_day = window_state(page, site=getattr(request, "_wagtail_site", None))
    if state != "closed":
        return None
    days = (last_day - beijing_date(opens)).days
    message = ngettext(
        "The activity summary closed at the end of %(last)s (%(days)d day after the activity "
        "ended) and can no longer be changed. Media reports, photos, videos and participants "
        "can still be added or changed.",
        "The activity summary closed at the end of %(last)s (%(days)d days after the activity "
        "ended) and can no longer be changed. Media reports, photos, videos and participants "
        "can still be added or changed.",
        days,
    ) % {"last": last_day.strftime("%Y-%m-%d"), "days": days}
    if not summary_filed(nomination):
        message += " " + _(
            "The summary was not filed in time, so this nomination cannot be complete or "
            "recommended."
        )
    return message


def _nomination_form(summary_closed, *args, **kwargs):
    """The submitter's form; once the summary is closed its fields are disabled, so the
    stored summary stands whatever a request sends (Django takes a disabled field's value
    from the instance), and is neither required nor checked again: what was stored by the
    deadline decides completeness (rule_errors)."""
    form = NominationForm(*args, **kwargs)
    # Only the summary has a deadline: it can be saved before the participants are counted
    # (a count given is still checked). Completeness still needs them (rule_errors).
    form.fields["participants"].required = False
    if summary_closed:
        for name in SUMMARY_FIELDS:
            field = form.fields[name]
            field.disabled = True
            field.required = False
            field.validators = []
    return form


def _report_formset(*args, **kwargs):
    """The media report rows. None yet does not stop the rest being saved: a report may be
    published after the summary's deadline, and the summary must be fileable before it.
    Completeness still needs one (rule_errors), and the form says so."""
    formset = ReportFormSet(*args, prefix=REPORTS, **kwargs)
    # Before its rows are built (lazily): the first row may then be left empty.
    formset.min_num = 0
    formset.validate_min = False
    return formset


def _summary_sent(request, nomination):
    """Whether the request tried to change the closed summary (a form opened before the
    deadline, or a forged one): the submitter is told it was not changed."""

    def normal(value):
        return (value or "").replace("\r\n", "\n").strip()

    return any(
        name in request.POST and normal(request.POST[name]) != normal(getattr(nomination, name))
        for name in SUMMARY_FIELDS
    )


def deadline_message(page, request):
    """Until when the open form takes the material: the submitter was told only "until the
    deadline", and learnt the date when the form had closed."""
    state, opens, last_day = window_state(page, site=getattr(request, "_wagtail_site", None))
    if state != "open":
        return None
    days = (last_day - beijing_date(opens)).days
    return ngettext(
        "You can file and change this information until the end of %(last)s (%(days)d day "
        "after the activity ended).",
        "You can file and change this information until the end of %(last)s (%(days)d days "
        "after the activity ended).",
        days,
    ) % {"last": last_day.strftime("%Y-%m-%d"), "days": days}


def _save_photo(upload, user, nomination, errors, evidence=False):
    # Decoded completely and checked for web code before anything is stored (issue #9).
    problems = image_problems(upload)
    if problems:
        errors.append(f"{upload.name}: {' '.join(str(problem) for problem in problems)}")
        return None
    image = Image(
        title=upload.name[:255],
        uploaded_by_user=user,
        file=ImageFile(upload, storage_name(upload.name)),
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
    """Saves every acceptable upload and removal at once, so a failed submission never loses
    them. Returns the errors by field and what was stored."""
    errors = {"photos": [], "videos": [], "participants_evidence": []}
    stored = {}
    # Forged values are not photos or videos: dropped, not a database error.
    deleted = [value for value in request.POST.getlist("delete_photo") if is_db_id(value)]
    for photo in nomination.photos.filter(pk__in=deleted).select_related("image"):
        photo.delete()
        discard_image(photo.image)
        stored["photos_removed"] = stored.get("photos_removed", 0) + 1
    deleted = [value for value in request.POST.getlist("delete_video") if is_db_id(value)]
    for video in nomination.videos.filter(pk__in=deleted):
        video.delete()
        stored["videos_removed"] = stored.get("videos_removed", 0) + 1
    count = nomination.photos.count()
    for upload in request.FILES.getlist("photos"):
        if count >= MAX_PHOTOS:
            errors["photos"].append(
                _("At most 10 photos are allowed; %(name)s was not added.") % {"name": upload.name}
            )
            continue
        if _save_photo(upload, request.user, nomination, errors["photos"]):
            count += 1
            stored["photos_added"] = stored.get("photos_added", 0) + 1
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
        stored["videos_added"] = stored.get("videos_added", 0) + 1
    evidence = request.FILES.get("participants_evidence")
    if evidence is not None:
        image = _save_photo(
            evidence, request.user, nomination, errors["participants_evidence"], evidence=True
        )
        if image is not None:
            replaced = nomination.participants_evidence
            nomination.participants_evidence = image
            nomination.save(update_fields=["participants_evidence", "updated_at"])
            discard_image(replaced)
            stored["evidence"] = "replaced" if replaced else "added"
    return errors, stored


def _refused(request, page, nomination, closed):
    response = _render_form(request, page, nomination, None, None, closed, {}, {})
    response.status_code = 403
    return response


def nomination_form_view(request, page_id):
    page = get_object_or_404(ActivityPage, pk=page_id)
    if not can_file(request.user, page):
        return _forbidden(request, _("Only the activity's submitter can file its nomination."))
    nomination = Nomination.objects.filter(page=page).first() or Nomination(page=page)
    closed = closed_message(page, request, nomination)
    if request.method == "POST" and closed:
        return _refused(request, page, nomination, closed)
    if request.method == "POST":
        return _file(request, page)
    summary_closed = summary_closed_message(page, request, nomination)
    form = _nomination_form(summary_closed, instance=nomination)
    formset = _report_formset(instance=nomination if nomination.pk else None)
    rule_errors = nomination.rule_errors() if nomination.pk and not closed else {}
    return _render_form(request, page, nomination, form, formset, closed, {}, rule_errors)


def _file(request, page):
    with transaction.atomic():
        # Two first saves at once: the later insert waits for the earlier one on the unique
        # page, then finds its row (a plain save() was an IntegrityError, a 500).
        found, created = Nomination.objects.get_or_create(page=page)
        # Marking locks the same row: the material cannot change while it is being judged,
        # nor be recommended halfway through a submission.
        nomination = Nomination.objects.select_for_update().get(pk=found.pk)
        closed = closed_message(page, request, nomination)
        if closed:
            return _refused(request, page, nomination, closed)
        summary_closed = summary_closed_message(page, request, nomination)
        # Before anything is stored: a form sent twice (a double click, the browser sending
        # it again) or saved in another tab since it was opened would store its uploads and
        # new report rows a second time. As home/concurrency.py, a form without the
        # fingerprint (a script, one opened before this check) is not checked.
        opened_on = request.POST.get(FINGERPRINT_FIELD)
        as_opened = Nomination(page=page) if created else nomination
        if opened_on and not constant_time_compare(opened_on, material_fingerprint(as_opened)):
            return _stale(request, page, nomination, summary_closed)
        was_complete = nomination.is_complete
        upload_errors, stored = _handle_uploads(request, nomination)
        summary_refused = summary_closed and _summary_sent(request, nomination)
        form = _nomination_form(summary_closed, request.POST, instance=nomination)
        formset = _report_formset(request.POST, instance=nomination)
        valid = form.is_valid() and formset.is_valid()
        if valid:
            changed = [name for name in form.changed_data if name in NominationForm.Meta.fields]
            if formset.has_changed():
                changed.append("reports")
            form.save()
            formset.save()
            if changed:
                stored["fields"] = changed
        # What is stored decides, never the refused values of an invalid form.
        rule_errors = refresh_completeness(nomination.pk, request.user)
        nomination.refresh_from_db(fields=["is_complete", "submitted_at"])
        if nomination.is_complete and not was_complete:
            log(page, "nominations.complete", user=request.user, data=stored)
        elif stored:
            log(page, "nominations.edit", user=request.user, data=stored)
        # The form comes back on what is stored now (uploads kept, the nomination perhaps
        # created): the same form sent again is then refused rather than stored twice.
        now_stored = material_fingerprint(Nomination.objects.get(pk=nomination.pk))
    if summary_refused:
        messages.warning(
            request,
            _(
                "The activity summary was not changed: it can no longer be changed after "
                "its deadline."
            ),
        )
    if valid:
        if not rule_errors and not any(upload_errors.values()):
            messages.success(request, _("The supplementary information is complete."))
            return redirect("nomination_form", page.pk)
        form = _nomination_form(
            summary_closed, instance=nomination, initial={FINGERPRINT_FIELD: now_stored}
        )
        formset = _report_formset(instance=nomination)
        messages.error(request, _("The supplementary information is not complete yet."))
    else:
        form.data = _with_fingerprint(request.POST, now_stored)
        rule_errors = {
            key: value
            for key, value in rule_errors.items()
            if key in ("photos", "videos", "participants_evidence")
        }
        messages.error(
            request,
            _(
                "Some fields have errors and were not saved; correct them and save again. "
                "Accepted uploads and removals were saved."
            ),
        )
    return _render_form(request, page, nomination, form, formset, None, upload_errors, rule_errors)


def _with_fingerprint(data, value):
    data = data.copy()
    data[FINGERPRINT_FIELD] = value
    return data


def _stale(request, page, nomination, summary_closed=None):
    """Saves nothing, says why, and shows the form again with what was typed, now carrying
    the stored material's fingerprint: saving it again is a deliberate overwrite, as in the
    page editor (activities/page_admin.py)."""
    rule_errors = {
        key: value
        for key, value in nomination.rule_errors().items()
        if key in ("photos", "videos", "participants_evidence")
    }
    data = _with_fingerprint(request.POST, material_fingerprint(nomination))
    _merge_reports(data, nomination)
    form = _nomination_form(summary_closed, data, instance=nomination)
    formset = _report_formset(data, instance=nomination)
    if request.FILES:
        message = _(
            "Not saved: the supplementary information was changed after this form was opened "
            "(in another tab, by someone else, or by this form being sent twice). What you "
            "typed is kept below, with the photos, videos and media reports stored now; check "
            "it, then save again if yours should replace it. The files you attached were not "
            "stored, and browsers cannot keep them in the form: attach again any that are not "
            "shown."
        )
    else:
        message = _(
            "Not saved: the supplementary information was changed after this form was opened "
            "(in another tab, by someone else, or by this form being sent twice). What you "
            "typed is kept below, with the photos, videos and media reports stored now; check "
            "it, then save again if yours should replace it."
        )
    messages.error(request, message)
    removing = {
        "photos": {int(value) for value in request.POST.getlist("delete_photo") if is_db_id(value)},
        "videos": {int(value) for value in request.POST.getlist("delete_video") if is_db_id(value)},
    }
    return _render_form(
        request, page, nomination, form, formset, None, {}, rule_errors, removing=removing
    )


def _merge_reports(data, nomination):
    """Rewrites the report rows of a refused form: each report stored now, with what was
    typed into it where the form had it, then the new rows typed. A new row equal to a
    report added since the form was opened is that report (the same form sent twice, or
    typed in another tab too) and is left out: kept, it would be stored a second time."""
    typed = {}
    for key in list(data):
        match = REPORT_ROW.match(key)
        if match:
            typed.setdefault(int(match[1]), {})[match[2]] = data.pop(key)
    rows = [typed[number] for number in sorted(typed)][: ReportFormSet.absolute_max]
    stored = list(nomination.reports.all())
    by_id = {str(report.pk): report for report in stored}
    typed_ids = {row.get("id", [""])[0] for row in rows}
    added = Counter(
        (report.title, report.outlet, report.url)
        for report in stored
        if str(report.pk) not in typed_ids
    )
    merged = []
    for report in stored:
        row = next((row for row in rows if row.get("id", [""])[0] == str(report.pk)), None)
        if row is None:
            row = {"title": [report.title], "outlet": [report.outlet], "url": [report.url]}
        merged.append({**row, "id": [str(report.pk)]})
    for row in rows:
        row_id = row.get("id", [""])[0]
        if row_id in by_id or (row_id and row.get("DELETE")):
            # Stored (merged above), or removed as this form asked.
            continue
        values = {name: (row.get(name) or [""])[0] for name in ("title", "outlet", "url")}
        if not any(value.strip() for value in values.values()):
            continue
        report = ReportForm(values)
        if report.is_valid():
            key = tuple(report.cleaned_data[name] for name in ("title", "outlet", "url"))
            if added[key] > 0:
                added[key] -= 1
                continue
        merged.append({name: [value] for name, value in values.items()})
    if len(merged) < ReportFormSet.max_num:
        merged.append({})  # the empty row the form always offers
    for number, row in enumerate(merged):
        for name, values in row.items():
            if name != "nomination":
                data.setlist(f"{REPORTS}-{number}-{name}", values)
    data[f"{REPORTS}-TOTAL_FORMS"] = str(len(merged))
    data[f"{REPORTS}-INITIAL_FORMS"] = str(len(stored))


def _render_form(
    request,
    page,
    nomination,
    form,
    formset,
    closed,
    upload_errors,
    rule_errors,
    removing=None,
):
    removing = removing or {}
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
            "deadline": None if closed else deadline_message(page, request),
            # Shown read-only, with why, once its deadline has passed.
            "summary_closed": None if closed else summary_closed_message(page, request, nomination),
            "file_errors": file_errors,
            # The stored material's missing reports and participants, which no longer stop
            # the rest being saved (an invalid form's own errors say what was typed wrong).
            "report_errors": rule_errors.get("reports", []),
            "participant_errors": rule_errors.get("participants", []),
            "removing_photos": removing.get("photos", set()),
            "removing_videos": removing.get("videos", set()),
            "participants_help": Nomination._meta.get_field("participants").help_text,
        },
    )


# Moderators ---------------------------------------------------------------------------------


def _not_a_marker(request):
    return _forbidden(request, _("Nominations are marked by national moderators."))


def mark(nominations, user, recommended, note="", only_changes=False):
    """Marks nominations as recommended (优秀活动) or not, and logs each (R25). Only
    nominations whose stored material meets every rule now, of listed activities, can be
    recommended: the stored flag is not trusted. `only_changes` (the list's bulk actions)
    leaves those already marked so as they were, with their own note, marker and time.
    Returns how many were marked."""
    if not can_mark(user):
        raise PermissionError
    note = note or ""
    with transaction.atomic():
        # The submitter's form locks the same rows: material cannot change while judged.
        # In one order, so two bulk marks at once wait for each other instead of deadlocking.
        ids = list(nominations.select_for_update().order_by("pk").values_list("pk", flat=True))
        chosen = list(
            Nomination.objects.filter(pk__in=ids)
            .select_related("page")
            .prefetch_related("reports")
            .annotate(
                photo_total=Count("photos", distinct=True),
                video_total=Count("videos", distinct=True),
            )
            .order_by("pk")
        )
        if recommended:
            marked, stale = [], []
            for nomination in chosen:
                errors = nomination.rule_errors(
                    reports=list(nomination.reports.all()),
                    photo_count=nomination.photo_total,
                    video_count=nomination.video_total,
                )
                if errors and nomination.is_complete:
                    stale.append(nomination.pk)
                # A taken-down activity is not recommended either (R33: approved only).
                if not errors and nomination.page.live:
                    marked.append(nomination)
            Nomination.objects.filter(pk__in=stale).update(is_complete=False)
            extra = {"is_complete": True}
        else:
            marked, extra = chosen, {}
        if only_changes:
            marked = [nomination for nomination in marked if nomination.recommended != recommended]
        Nomination.objects.filter(pk__in=[nomination.pk for nomination in marked]).update(
            recommended=recommended,
            recommendation_note=note,
            marked_by=user,
            marked_at=timezone.now(),
            updated_at=timezone.now(),
            **extra,
        )
        action = "nominations.recommend" if recommended else "nominations.unrecommend"
        _log_marks([nomination.page for nomination in marked], action, user, note)
    recommendation_changed(nomination.page_id for nomination in marked)
    return len(marked)


def _log_marks(pages, action, user, note):
    """One audit entry per activity (R25), each as wagtail.log_actions.log writes it, in one
    INSERT. log() saves each entry after full_clean(), which checks that its page, user and
    content type exist by a query each: four queries a row, for rows just locked and read.
    The rest of what it checks (a registered action, valid fields) is checked here."""
    if not pages:
        return
    log_registry.scan_for_actions()
    # Every page here is an activity: one log model (PageLogEntry), one content type.
    model = log_registry.get_log_model_for_instance(pages[0])
    content_type = ContentType.objects.get_for_model(pages[0], for_concrete_model=False)
    entries = []
    for page in pages:
        entry = model(
            page=page,
            content_type=content_type,
            label=model.objects.get_instance_title(page),
            action=action,
            timestamp=timezone.now(),
            data={"comment": note},
            user=user,
            # One uuid per activity: Wagtail's page history keeps one entry per uuid and
            # action, so entries sharing the request's uuid showed on one activity only.
            uuid=uuid.uuid4(),
        )
        entry.full_clean(exclude=["page", "user", "content_type", "revision"])
        entries.append(entry)
    model.objects.bulk_create(entries)


def _count(model):
    return Coalesce(
        Subquery(
            model.objects.filter(nomination=OuterRef("pk"))
            .order_by()
            .values("nomination")
            .annotate(total=Count("pk"))
            .values("total"),
            output_field=IntegerField(),
        ),
        0,
    )


def nomination_list_view(request):
    if not can_mark(request.user):
        return _not_a_marker(request)
    if request.method == "POST":
        # Forged values are not nominations: dropped, not a database error.
        ids = [value for value in request.POST.getlist("selected") if is_db_id(value)]
        action = request.POST.get("action")
        if ids and action in ("recommend", "unrecommend"):
            recommended = action == "recommend"
            chosen = Nomination.objects.filter(pk__in=ids)
            already = chosen.filter(recommended=recommended).count()
            changed = mark(
                chosen,
                request.user,
                recommended,
                request.POST.get("note", "")[:500],
                only_changes=True,
            )
            messages.success(request, _("%(count)d nominations marked.") % {"count": changed})
            if already:
                messages.info(
                    request,
                    ngettext(
                        "%(count)d nomination was already so marked and was left as it was.",
                        "%(count)d nominations were already so marked and were left as they were.",
                        already,
                    )
                    % {"count": already},
                )
            skipped = len(set(ids)) - changed - already
            if recommended and skipped > 0:
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
        # Back to the same filters and page, so a moderator working through them keeps
        # their place.
        return redirect(request.get_full_path())
    filters = NominationFilterForm(request.GET or None)
    # The material counts are subqueries, which the paginator's count leaves out.
    from workflow.models import TakeDown

    queryset = (
        filters.apply(Nomination.objects.all())
        .select_related("page", "page__province", "page__activity_type", "page__channel")
        .annotate(
            photo_count=_count(NominationPhoto),
            video_count=_count(NominationVideo),
            report_count=_count(NominationReport),
            # A recommendation of an activity taken down meanwhile is shown as such: put
            # back, its public badge returns with it.
            taken_down=Exists(
                TakeDown.objects.filter(page_id=OuterRef("page_id"), restored_at=None)
            ),
        )
        .order_by("-is_complete", "-updated_at", "-pk")
    )
    paginator = WagtailPaginator(queryset, LIST_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "activities/nomination/list.html",
        {
            "page_title": _("Nominations"),
            "filters": filters,
            "nominations": page_obj.object_list,
            "page_obj": page_obj,
            "paginator": paginator,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
        },
    )


def nomination_review_view(request, page_id):
    if not can_mark(request.user):
        return _not_a_marker(request)
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


def nomination_video_view(request, page_id, video_id):
    """A nomination video, to those who may see the nomination only: the files are not on
    the public /media/ (nginx makes nomination_videos/ internal)."""
    page = get_object_or_404(ActivityPage, pk=page_id)
    if not can_see(request.user, page):
        return _forbidden(
            request,
            _(
                "Only the activity's submitter, the national moderators and the "
                "administrators can see its videos."
            ),
        )
    video = get_object_or_404(NominationVideo, pk=video_id, nomination__page=page)
    name = video.file.name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.MEDIA_ACCEL_REDIRECT:
        # nginx sends the file itself, with ranges, so a player can seek.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = quote(f"{settings.MEDIA_URL}{name}")
        if video.original_name:
            response["Content-Disposition"] = content_disposition_header(False, video.original_name)
    else:
        try:
            handle = video.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle, content_type=content_type, filename=video.original_name or None
        )
    patch_cache_control(response, private=True)
    return response
