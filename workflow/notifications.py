from django.conf import settings
from django.utils import translation
from wagtail.admin.mail import (
    GroupApprovalTaskStateSubmissionEmailNotifier,
    WorkflowStateApprovalEmailNotifier,
    WorkflowStateRejectionEmailNotifier,
)


class InSiteLanguage:
    """Recipients who chose no language read the site's (Chinese, R34). Wagtail falls back
    to the language of whoever acted: a moderator using the English admin mailed a Chinese
    submitter in English. A language a recipient chose still applies, per recipient."""

    def __call__(self, *args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return super().__call__(*args, **kwargs)


class ReviewTaskSubmissionNotifier(InSiteLanguage, GroupApprovalTaskStateSubmissionEmailNotifier):
    """Wagtail mails every member of a task's groups; a province step must reach only the
    moderators of that province (R24)."""

    def get_recipient_users(self, task_state, **kwargs):
        from .models import ReviewTask

        task = task_state.task.specific
        if not isinstance(task, ReviewTask):
            return super().get_recipient_users(task_state, **kwargs)
        users = task.users_to_notify(task_state.workflow_state.content_object.specific)
        triggering_user = kwargs.get("user")
        if triggering_user is not None:
            users = users.exclude(pk=triggering_user.pk)
        return users


review_task_submission_notifier = ReviewTaskSubmissionNotifier()


def owner_and_requester(workflow_state, triggering_user=None):
    """Who hears that a review ended (R24): the activity's owner, whose activity it is, and
    whoever pressed "submit" if someone else did (an administrator for a unit). Wagtail
    mails only the latter, so the unit never heard of a rejection an administrator's
    submission received."""
    page = workflow_state.content_object
    people = {getattr(page, "owner", None), workflow_state.requested_by}
    return {person for person in people if person is not None and person != triggering_user}


class OwnerApprovalNotifier(InSiteLanguage, WorkflowStateApprovalEmailNotifier):
    def get_recipient_users(self, workflow_state, **kwargs):
        return owner_and_requester(workflow_state, kwargs.get("user"))


class OwnerRejectionNotifier(InSiteLanguage, WorkflowStateRejectionEmailNotifier):
    def get_recipient_users(self, workflow_state, **kwargs):
        return owner_and_requester(workflow_state, kwargs.get("user"))


owner_approval_notifier = OwnerApprovalNotifier()
owner_rejection_notifier = OwnerRejectionNotifier()


def notify_owner(page, event, reason):
    """Tell the activity's owner that it was taken down or put back (R18, R24)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    owner = page.owner
    if owner is None or not owner.email or not owner.is_active:
        return
    context = {
        "page": page,
        "event": event,
        "reason": reason,
        "base_url": settings.WAGTAILADMIN_BASE_URL,
    }
    profile = getattr(owner, "wagtail_userprofile", None)
    language = getattr(profile, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = render_to_string("workflow/email/listing_subject.txt", context).strip()
        body = render_to_string("workflow/email/listing.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email], fail_silently=True)
