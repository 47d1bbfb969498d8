from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Review workflow")

    def ready(self):
        from wagtail.models import TaskState, WorkflowState
        from wagtail.signals import (
            page_published,
            task_submitted,
            workflow_approved,
            workflow_rejected,
        )

        from .notifications import (
            owner_approval_notifier,
            owner_rejection_notifier,
            review_task_submission_notifier,
        )

        # Listed after wagtail.admin in INSTALLED_APPS, so Wagtail's own notifier is
        # connected by now: replace it with the one that respects provinces.
        task_submitted.disconnect(
            sender=TaskState, dispatch_uid="group_approval_task_submitted_email_notification"
        )
        task_submitted.connect(
            review_task_submission_notifier,
            sender=TaskState,
            dispatch_uid="review_task_submitted_email_notification",
        )
        for signal, notifier, uid in (
            (workflow_approved, owner_approval_notifier, "approved"),
            (workflow_rejected, owner_rejection_notifier, "rejected"),
        ):
            signal.disconnect(
                sender=WorkflowState, dispatch_uid=f"workflow_state_{uid}_email_notification"
            )
            signal.connect(
                notifier, sender=WorkflowState, dispatch_uid=f"review_{uid}_email_notification"
            )
        page_published.connect(close_take_down_on_publish, dispatch_uid="close_take_down")


def close_take_down_on_publish(sender, instance, **kwargs):
    """Publishing an activity again (a fresh approval) ends any take-down."""
    from django.utils import timezone

    from .models import TakeDown

    TakeDown.objects.filter(page_id=instance.pk, restored_at__isnull=True).update(
        restored_at=timezone.now()
    )
