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


class ActivityMail:
    """Mails about an activity speak of an activity and its review step, in the reader's
    language. Wagtail's own templates speak of "the page", name the workflow and the step
    by their stored Chinese names in English mails, and leave out what the reviewer wrote
    on approval. Other pages keep Wagtail's templates."""

    activity_template = None  # the file name under workflow/email/notifications/

    def get_template_set(self, instance, **kwargs):
        from activities.models import ActivityPage

        page = self.page_of(instance)
        if not isinstance(page, ActivityPage):
            return super().get_template_set(instance, **kwargs)
        base = f"workflow/email/notifications/{self.activity_template}"
        return {"subject": f"{base}_subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}

    @staticmethod
    def page_of(instance):
        workflow_state = getattr(instance, "workflow_state", instance)
        return workflow_state.content_object.specific


class ReviewTaskSubmissionNotifier(
    InSiteLanguage, ActivityMail, GroupApprovalTaskStateSubmissionEmailNotifier
):
    """Wagtail mails every member of a task's groups; a province step must reach only the
    moderators of that province (R24)."""

    activity_template = "submitted"

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


class OwnerApprovalNotifier(InSiteLanguage, ActivityMail, WorkflowStateApprovalEmailNotifier):
    activity_template = "approved"

    def get_recipient_users(self, workflow_state, **kwargs):
        return owner_and_requester(workflow_state, kwargs.get("user"))

    def get_context(self, workflow_state, **kwargs):
        from wagtail.models import TaskState

        context = super().get_context(workflow_state, **kwargs)
        # What each reviewer wrote when approving: advice the unit should read, which
        # otherwise sits only in the activity's history.
        context["approvals"] = [
            state
            for state in workflow_state.task_states.filter(status=TaskState.STATUS_APPROVED)
            .select_related("task")
            .order_by("started_at", "pk")
            if state.get_comment()
        ]
        return context


class OwnerRejectionNotifier(InSiteLanguage, ActivityMail, WorkflowStateRejectionEmailNotifier):
    activity_template = "rejected"

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
