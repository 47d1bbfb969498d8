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

    def get_context(self, task_state, **kwargs):
        context = super().get_context(task_state, **kwargs)
        # The facts of the version to review: a live activity's row holds its public
        # version, so a changed start or channel was mailed as it had been.
        page = context["page"]
        revision = task_state.revision
        context["reviewed"] = revision.as_object() if revision is not None else page
        return context

    def __call__(self, instance=None, **kwargs):
        result = super().__call__(instance, **kwargs)
        if self.can_handle(instance, **kwargs):
            unattended_province_notifier(instance, **kwargs)
        return result


review_task_submission_notifier = ReviewTaskSubmissionNotifier()


# One mail a day per province: a province without a moderator may receive hundreds of
# submissions a day at the peak; the dashboard and the review desk keep counting them.
UNATTENDED_MAIL_INTERVAL = 24 * 60 * 60


class UnattendedProvinceNotifier(InSiteLanguage, GroupApprovalTaskStateSubmissionEmailNotifier):
    """A province step that starts with nobody to act on it (no active province moderator
    of its province) mails the platform's administrators and superusers instead, naming
    the province: Wagtail's mail went to nobody, and the activity waited unseen (R20, R24).
    Recipients' notification switch ("submitted") applies, as to the moderators' mail."""

    def can_handle(self, instance, **kwargs):
        from .models import ProvinceApprovalTask

        return (
            super().can_handle(instance, **kwargs)
            and isinstance(instance.task.specific, ProvinceApprovalTask)
            and self.province_of(instance) is not None
        )

    @staticmethod
    def province_of(task_state):
        """The unattended province of this step, or None if someone can act on it."""
        from organizations.models import Region

        from .models import recorded_review_province

        cache = task_state.__dict__.setdefault("_unattended_province", {})
        if "province" not in cache:
            page = task_state.workflow_state.content_object.specific
            province = None
            if not task_state.task.specific.users_to_notify(page).exists():
                province = Region.objects.filter(pk=recorded_review_province(page)).first()
            cache["province"] = province
        return cache["province"]

    def get_recipient_users(self, task_state, **kwargs):
        from django.core.cache import cache

        from .coverage import administrators

        province = self.province_of(task_state)
        key = f"workflow:unattended-province-mail:{province.pk}"
        # add() is None, not False, when the cache is down: mail rather than stay silent.
        if cache.add(key, 1, UNATTENDED_MAIL_INTERVAL) is False:
            return []
        return administrators()

    def get_template_set(self, instance, **kwargs):
        base = "workflow/email/notifications/unattended_province"
        return {"subject": f"{base}_subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}

    def get_context(self, task_state, **kwargs):
        from .coverage import unattended_waiting

        context = super().get_context(task_state, **kwargs)
        province = self.province_of(task_state)
        context["province"] = province
        found = unattended_waiting([province.pk], idle=True)
        context["waiting"] = max(found[0][1], 1) if found else 1
        return context


unattended_province_notifier = UnattendedProvinceNotifier()


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
