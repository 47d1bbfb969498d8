"""The review's last approval publishes (WAGTAIL_FINISH_WORKFLOW_ACTION).

Imported by wagtail.models while it loads: models are imported inside the function."""


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
