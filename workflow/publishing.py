"""The review's last approval publishes (WAGTAIL_FINISH_WORKFLOW_ACTION).

Imported by wagtail.models while it loads: models are imported inside the functions."""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _


def publish_approved(workflow_state, user=None):
    """WAGTAIL_FINISH_WORKFLOW_ACTION: the last approval publishes the version reviewed.
    The one way an activity goes public: Wagtail's publish controls are closed on activities
    (activities.permissions), so this skips their check; on_action has checked the approver."""
    from wagtail.models import Page

    from activities.models import ActivityPage

    page = workflow_state.content_object
    revision = page.get_latest_revision()
    is_activity = issubclass(page.specific_class or Page, ActivityPage)
    revision.publish(user=user, skip_permission_checks=is_activity)


def publication_problems(page, revision=None):
    """What stops `revision` (by default the latest, which approval publishes) from being
    published, as "Field: message" sentences: the validation Page.save() runs when it
    goes live, run beforehand so that review can refuse with a message."""
    revision = revision or page.get_latest_revision()
    if revision is None:
        return []
    version = revision.as_object()
    try:
        version.full_clean()
    except ValidationError as error:
        return [
            _sentence(version, field, message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def _sentence(version, field, message):
    try:
        label = version._meta.get_field(field).verbose_name
    except FieldDoesNotExist:
        return message
    return _("%(field)s: %(message)s") % {"field": capfirst(label), "message": message}
