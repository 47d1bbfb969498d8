"""下架 / 上架 (R18) as model-level operations, so views and tests share one rule."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.log_actions import log

from accounts.roles import NATIONAL_MODERATORS, in_group

from .models import TakeDown
from .publishing import publication_problems


def can_take_down(user):
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or in_group(user, NATIONAL_MODERATORS))
    )


def open_take_down(page):
    return TakeDown.objects.filter(page=page, restored_at__isnull=True).first()


@transaction.atomic
def take_down(page, user, reason):
    if not can_take_down(user):
        raise PermissionDenied(_("Only national moderators can take activities down."))
    reason = (reason or "").strip()
    if not reason:
        raise ValueError(_("Give the reason for taking the activity down."))
    page = type(page).objects.select_for_update().get(pk=page.pk)
    if not page.live:
        raise ValueError(_("Only a listed activity can be taken down."))
    record = TakeDown.objects.create(
        page=page, reason=reason, taken_by=user, revision=page.live_revision
    )
    # Wagtail's unpublish is refused on activities (activities.permissions): this is the
    # way off the public site, and can_take_down() above is its rule.
    UnpublishPageAction(page, user=user, log_action=False).execute(skip_permission_checks=True)
    log(page, "workflow.take_down", user=user, data={"reason": reason})
    _notify_owner(page, "taken_down", reason)
    return record


@transaction.atomic
def restore(page, user):
    if not can_take_down(user):
        raise PermissionDenied(_("Only national moderators can put activities back."))
    page = type(page).objects.select_for_update().get(pk=page.pk)
    record = open_take_down(page)
    if record is None or page.live:
        raise ValueError(_("This activity is not taken down."))
    state = page.current_workflow_state
    # Publishing the old version would cancel the owner's review without a word (Wagtail
    # cancels a page's workflow when it is published); its approval lists the activity
    # again (close_take_down_on_publish).
    if state is not None and state.status == state.STATUS_NEEDS_CHANGES:
        raise ValueError(
            _(
                "This activity's new version was sent back for changes: it is listed "
                "again when its resubmission is approved."
            )
        )
    if state is not None:
        raise ValueError(
            _(
                "This activity is under review again: approve or reject that review "
                "instead; its approval lists the activity again."
            )
        )
    revision = record.revision
    if revision is None:
        # Only the approved version may go back; the latest one nobody reviewed.
        raise ValueError(
            _(
                "The version that was listed no longer exists: the activity can only be "
                "listed again through review."
            )
        )
    problems = publication_problems(page, revision)
    if problems:
        # Publishing it would raise a ValidationError (a 500): the channel may have been
        # uncertified or recategorised since, and only the submitter can change it.
        raise ValueError(
            _(
                "The version that was listed breaks a rule an activity must keep to be "
                "published: %(problems)s The activity can only be listed again through "
                "review, once its submitter corrects it."
            )
            % {"problems": " ".join(problems)}
        )
    record.restored_by = user
    record.restored_at = timezone.now()
    record.save(update_fields=["restored_by", "restored_at"])
    # Wagtail's publish is refused on activities (activities.permissions); putting back the
    # version that was public is this rule's, checked above.
    revision.publish(user=user, log_action=False, skip_permission_checks=True)
    # The row held the unpublished draft's fields; now it holds what is public again.
    page.refresh_from_db()
    log(page, "workflow.restore", user=user)
    _notify_owner(page, "restored", "")
    return record


def _notify_owner(page, event, reason):
    from .notifications import notify_owner

    notify_owner(page, event, reason)
