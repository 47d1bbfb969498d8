"""Two review stages as Wagtail workflow tasks (R19–R22).

Wagtail approves by group; the guide also needs a province stage that only the moderators
of the activity's channel province can act on. Both tasks keep Wagtail's group rule and add
their own, in the four hooks Wagtail asks tasks to implement, and re-check it in on_action so
the admin, bulk actions and direct calls share one rule.
"""

import logging
import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, When
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import AbstractGroupApprovalTask, Page, Revision, TaskState

from accounts import roles

from .publishing import publication_problems

logger = logging.getLogger(__name__)


class RejectReason(models.TextChoices):
    """The guide's common reasons for sending an activity back."""

    POSTER = "poster", _("The poster lacks the Science Day mark, the name, the time or the host")
    DETAILS = (
        "details",
        _("The details miss the content, the audience, the scientists or the contact"),
    )
    COMMERCIAL = "commercial", _("Commercial promotion or routine teaching")
    TIME_PLACE = "time_place", _("The time or the place is unclear")
    CHANNEL = "channel", _("Wrong responsible channel")


class RequestChangesForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Reasons"),
        choices=RejectReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Comment for the submitter"),
        required=True,
        max_length=2000,
        error_messages={"required": _("Requesting changes needs a comment for the submitter.")},
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Say what to change; the submitter sees this comment."),
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


def compose_comment(reasons, comment):
    # Stored as text, so in the site's language: a reviewer using the English admin stored
    # English reasons that a Chinese submitter then read everywhere (R22, R34).
    with translation.override(settings.LANGUAGE_CODE):
        labels = {value: str(label) for value, label in RejectReason.choices}
    lines = [f"【{labels[reason]}】" for reason in reasons if reason in labels]
    return "\n".join([*lines, comment.strip()]).strip()


class ReviewRefused(PermissionDenied):
    """A refusal the admin shows in its own words (activities.page_admin), instead of
    Wagtail's generic "you do not have permission"."""


class StepAlreadyCompleted(ReviewRefused):
    """A colleague acted on this review step first."""


class NotPublishable(ReviewRefused):
    """The version under review breaks a rule it must keep to be published: its channel
    was uncertified or recategorised in the library since submission, or it was saved
    under older rules. Publishing it raised a ValidationError (a 500); only the submitter
    can fix it, so the reviewer is told to request changes."""

    @classmethod
    def of(cls, problems):
        return cls(
            _(
                "This version cannot be approved: it breaks a rule an activity must keep to "
                "be published. %(problems)s Request changes so that the submitter corrects it."
            )
            % {"problems": " ".join(problems)}
        )


class ReviewTask(AbstractGroupApprovalTask):
    """What both stages share: members of the step's role group act, superusers may act,
    and nobody approves an activity they submitted or last edited."""

    review_stage = None
    default_name = label = None
    # The role group whose members review this step (accounts.roles).
    role = None

    class Meta:
        abstract = True

    # --- who ---------------------------------------------------------------------------

    def reviewer_groups(self):
        """The step's groups whose members review it: its role's alone (R20, R21). Another
        group added to the step in Settings → Workflows grants nothing; it let its members
        (every submitter, say) approve and publish."""
        return self.groups.filter(name=self.role)

    def _user_in_groups(self, user):
        # Wagtail's membership check (every action, lock and inbox goes through it), on the
        # reviewer groups; kept per user and step for the request, as Wagtail keeps its own.
        checks = user.__dict__.setdefault("_review_task_checks", {})
        if self.pk not in checks:
            checks[self.pk] = self.reviewer_groups().filter(id__in=user.groups.all()).exists()
        return checks[self.pk]

    def stage_allows(self, page, user):
        return True

    def user_can_review(self, page, user):
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        return self._user_in_groups(user) and self.stage_allows(page, user)

    def user_can_approve(self, page, user, task_state=None):
        return self.user_can_review(page, user) and not self.is_own_work(page, user, task_state)

    def is_own_work(self, page, user, task_state=None):
        """Submitted it, saved the revision under review, or edited it during this step
        (the editor's "save and approve" would otherwise publish a moderator's own edit)."""
        task_state = task_state or self._current_task_state(page)
        if task_state is None:
            return False
        if task_state.workflow_state.requested_by_id == user.pk:
            return True
        revision = task_state.revision
        if revision is not None and revision.user_id == user.pk:
            return True
        saved = Revision.objects.filter(
            base_content_type=page.get_base_content_type(),
            object_id=str(page.pk),
            user=user,
            created_at__gte=task_state.started_at,
        )
        # A save that changed nothing (the editor's first button pressed to look, say)
        # is no work of theirs: it left the reviewer unable to decide.
        return any(
            revision is None or not same_version(revision.content, mine.content)
            for mine in saved.only("content")
        )

    def _current_task_state(self, page):
        return (
            TaskState.objects.filter(
                task=self.task_ptr,
                status=TaskState.STATUS_IN_PROGRESS,
                workflow_state__base_content_type=page.get_base_content_type(),
                workflow_state__object_id=str(page.pk),
            )
            .select_related("workflow_state", "revision")
            .first()
        )

    # --- Wagtail's task hooks ---------------------------------------------------------

    def get_actions(self, obj, user):
        if not self.user_can_review(obj, user):
            return []
        actions = [("reject", _("Request changes"), True)]
        if self.user_can_approve(obj, user):
            actions += [
                ("approve", _("Approve"), False),
                ("approve", _("Approve with comment"), True),
            ]
        return actions

    def get_form_for_action(self, action):
        return RequestChangesForm if action == "reject" else ApproveForm

    def user_can_access_editor(self, obj, user):
        return self.user_can_review(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_can_review(obj, user)

    def user_can_lock(self, obj, user):
        # The workflow already keeps everyone but this step's reviewers out of the editor;
        # a reviewer's own lock outlived the step and kept the submitter from resubmitting.
        return False

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if not (user.is_authenticated and user.is_active):
            return TaskState.objects.none()
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if user.is_superuser:
            return states
        if not self._user_in_groups(user):
            return TaskState.objects.none()
        return self.filter_moderatable(states, user)

    def filter_moderatable(self, task_states, user):
        return task_states

    def start(self, workflow_state, user=None):
        page = workflow_state.content_object.specific
        revision = page.get_latest_revision()
        if revision is not None and hasattr(page, "review_province_id"):
            # A live activity under re-review keeps its live row; route moderation by the
            # revision being reviewed, whose channel may differ. The row records the
            # province of this step (recorded_review_province reads it).
            type(page).objects.filter(pk=page.pk).update(
                review_province=review_province_of(revision.as_object())
            )
        return super().start(workflow_state, user=user)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        # Lock the activity, then the step: two moderators acting at once produce exactly
        # one transition, and a save in the editor (activities.page_admin, which locks the
        # activity first too) queues behind the review instead of deadlocking with it.
        list(
            Page.objects.select_for_update()
            .filter(pk=task_state.workflow_state.object_id)
            .values_list("pk", flat=True)
        )
        current = TaskState.objects.select_for_update().get(pk=task_state.pk)
        if current.status != TaskState.STATUS_IN_PROGRESS:
            raise StepAlreadyCompleted(
                _("This review step has already been completed by someone else.")
            )
        page = task_state.workflow_state.content_object
        if action_name == "approve":
            allowed = self.user_can_approve(page, user, task_state)
        elif action_name == "reject":
            allowed = self.user_can_review(page, user)
        else:
            allowed = False
        if not allowed:
            logger.warning(
                "Refused %s on task state %s by user %s", action_name, task_state.pk, user.pk
            )
            if action_name == "approve" and self.user_can_review(page, user):
                raise PermissionDenied(
                    _(
                        "You cannot approve this activity: you submitted it or edited it "
                        "during this review step. Another moderator of this step must "
                        "approve it."
                    )
                )
            raise PermissionDenied(_("You cannot act on this review step."))
        form = self.get_form_for_action(action_name)(
            {"comment": kwargs.get("comment") or "", "reasons": kwargs.get("reasons") or []}
        )
        if not form.is_valid():
            # The modal validates this form; the editor posts it as JSON, which anyone can
            # write.
            raise PermissionDenied(
                " ".join(error for errors in form.errors.values() for error in errors)
            )
        if action_name == "approve":
            # Checked at every step, not only the last: a province approval that the
            # national step could never publish only delays the request for changes.
            problems = publication_problems(page)
            if problems:
                raise NotPublishable.of(problems)
            taken_down = taken_down_after_submission(page)
            if taken_down is not None:
                raise ReviewRefused(
                    _(
                        "This activity was taken down after this version was submitted "
                        "(reason: %(reason)s). Request changes so that the submitter "
                        "addresses it; a version submitted after the take-down can be "
                        "approved."
                    )
                    % {"reason": taken_down.reason}
                )
        comment = form.cleaned_data["comment"]
        if action_name == "reject":
            comment = compose_comment(form.cleaned_data["reasons"], comment)
        if user.is_superuser and not self._user_in_groups(user):
            logger.info("Superuser %s did %s on task state %s", user.pk, action_name, task_state.pk)
        result = super().on_action(task_state, user, action_name, comment=comment)
        # A lock taken before locking was closed to reviewers must not outlive the step.
        Page.objects.filter(pk=page.pk, locked=True).exclude(locked_by=page.owner_id).update(
            locked=False, locked_by=None, locked_at=None
        )
        return result

    # --- notifications ---------------------------------------------------------------

    def users_to_notify(self, page):
        """Exactly the people who can act on this step for this activity (R24)."""
        users = get_user_model().objects.filter(is_active=True, groups__in=self.reviewer_groups())
        return self.filter_notified(users, page).distinct()

    def filter_notified(self, users, page):
        return users


def may_withdraw(workflow_state, user):
    """Who may cancel (or restart) a submission's review: its submitter, the activity's
    owner, or a superuser. Wagtail lets every reviewer of the current step cancel it too,
    which sent a submission back to draft with no comment and no notice (R22, R24):
    reviewers request changes instead."""
    if not workflow_state.user_can_cancel(user):
        return False
    owner_id = getattr(workflow_state.content_object, "owner_id", None)
    return user.is_superuser or user.pk in (workflow_state.requested_by_id, owner_id)


def taken_down_after_submission(page):
    """The open take-down newer than the version under review, if any. Approving that
    version lists the activity again (close_take_down_on_publish), so a review that began
    before a national moderator took the activity down undid the take-down within a
    second, the reviewer unaware of it. A version saved after the take-down may answer
    its reason, and its approval lists the activity again."""
    latest = page.get_latest_revision()
    if latest is None:
        return None
    return (
        TakeDown.objects.filter(page_id=page.pk, restored_at__isnull=True)
        .filter(taken_at__gt=latest.created_at)
        .first()
    )


# Keys of a revision's content that change with every save or publication, not with what
# the activity says.
VOLATILE_KEYS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "live_revision",
        "has_unpublished_changes",
        "live",
        "locked",
        "locked_at",
        "locked_by",
        "first_published_at",
        "last_published_at",
    }
)
# Draftail adds a key to every block the first time text goes through the editor.
_BLOCK_KEY = re.compile(r'\sdata-block-key="[^"]*"')


def _comparable(value):
    if isinstance(value, str):
        # Times are written "2026-09-21T10:00:00Z" by one path, "2026-09-21 10:00:00+00:00"
        # by another.
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        return moment if moment is not None else _BLOCK_KEY.sub("", value)
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items() if key not in VOLATILE_KEYS}
    if isinstance(value, list):
        rows = [_comparable(item) for item in value]
        for index, row in enumerate(rows):
            # Rows created outside the editor have no order until it numbers them.
            if isinstance(row, dict) and row.get("sort_order", 0) is None:
                row["sort_order"] = index
        return rows
    return value


def same_version(content, other):
    """Whether two revisions' contents say the same thing (VOLATILE_KEYS aside)."""
    return _comparable(content) == _comparable(other)


def review_new_version(page, user):
    """A version saved while a step reviews the activity (a moderator of that step or an
    administrator correcting it in the editor) is what the step must now review: the step
    starts again on it, and its moderators are told. Before, the step kept the version it
    had started on; an approval from the desk or the pop-up, by a colleague who had read
    the earlier version, published the new one unseen. Returns whether it started again.
    The caller holds the activity's row lock (activities.page_admin)."""
    from wagtail.models import WorkflowState

    state = (
        WorkflowState.objects.for_instance(page)
        .filter(status=WorkflowState.STATUS_IN_PROGRESS)
        .select_related("current_task_state")
        .first()
    )
    task_state = state.current_task_state if state is not None else None
    latest = page.get_latest_revision()
    if task_state is None or latest is None or task_state.revision_id == latest.pk:
        return False
    if task_state.status != TaskState.STATUS_IN_PROGRESS:
        return False
    reviewed = task_state.revision
    if reviewed is not None and same_version(reviewed.content, latest.content):
        # Saved without a change: the step goes on with what it was reviewing.
        return False
    with translation.override(settings.LANGUAGE_CODE):  # stored: read by everyone
        comment = str(_("A new version was saved during this step; it is reviewed again."))
    task_state.cancel(user=user, resume=True, comment=comment)
    return True


def review_province_of(page):
    """The province whose moderators review this version of an activity (R20)."""
    return page.channel.province_id if page.channel_id else None


def recorded_review_province(page):
    """The province recorded for the activity's current province step when it started
    (ReviewTask.start). Not the object in hand: an editor's object carries the version
    being edited, whose channel is not what this step was routed by."""
    from activities.models import ActivityPage

    return (
        ActivityPage.objects.filter(pk=page.pk).values_list("review_province_id", flat=True).first()
    )


def route_changed(workflow_state, page):
    """Whether `page` (the version about to be resubmitted after changes were requested)
    needs another route or another province than the version the workflow rejected.
    Resuming would then hand it to the stage that rejected it (Wagtail's rule), skipping
    the province step its new channel calls for or leaving a province step nobody can act on."""
    if workflow_for(page) != workflow_state.workflow:
        return True
    rejected = workflow_state.current_task_state
    if rejected is None or rejected.revision is None:
        return False
    if not page.is_province_reviewed:
        return False
    return review_province_of(rejected.revision.as_object()) != review_province_of(page)


def page_id_of(prefix=""):
    """The page id of a workflow state (`prefix` leads from a task state to it), as a
    number to probe the page table's primary key with; NULL for other objects. CASE
    first: only a page's object_id is cast, other objects' keys may not be numbers."""
    page_type = ContentType.objects.get_for_model(Page)
    page_id = Case(When(**{f"{prefix}base_content_type": page_type}, then=F(f"{prefix}object_id")))
    return Cast(page_id, BigIntegerField())


def for_activities(task_states, activities):
    """The task states among `task_states` whose page is one of `activities`, each looking
    up its own activity by primary key. `object_id IN (the activities' ids as text)` read
    and hashed every activity of a province or a channel category first: 0.3-1.5 s per
    review desk at a million activities."""
    if "review_activity_pk" not in task_states.query.annotations:
        task_states = task_states.alias(review_activity_pk=page_id_of("workflow_state__"))
    return task_states.filter(Exists(activities.filter(pk=OuterRef("review_activity_pk"))))


def step_name(task):
    """A review step's name in the reader's language. The two steps the migrations create
    keep Chinese names in the data, which the English admin showed as they are; a step an
    administrator renamed shows its own name."""
    task_class = task.specific_class
    ours = task_class is not None and issubclass(task_class, ReviewTask)
    if ours and task.name == task_class.default_name:
        return task_class.label
    return task.name


class ProvinceApprovalTask(ReviewTask):
    """省级审核: only moderators of the channel organization's province (R20)."""

    review_stage = "province"
    role = roles.PROVINCE_MODERATORS
    default_name = "省级审核"  # workflow/migrations/0002_review_workflows
    label = _("Province review")

    class Meta:
        verbose_name = _("province approval task")
        verbose_name_plural = _("province approval tasks")

    def stage_allows(self, page, user):
        province = recorded_review_province(page)
        return province is not None and user.province_id == province

    def filter_moderatable(self, task_states, user):
        from activities.models import ActivityPage

        if user.province_id is None:
            return TaskState.objects.none()
        return for_activities(
            task_states, ActivityPage.objects.filter(review_province_id=user.province_id)
        )

    def filter_notified(self, users, page):
        return users.filter(province_id=recorded_review_province(page))

    @classmethod
    def get_description(cls):
        return _("Moderators of the activity's channel province approve this step")


class NationalApprovalTask(ReviewTask):
    """全国审核: national moderators (R21)."""

    review_stage = "national"
    role = roles.NATIONAL_MODERATORS
    default_name = "全国审核"
    label = _("National review")

    class Meta:
        verbose_name = _("national approval task")
        verbose_name_plural = _("national approval tasks")

    @classmethod
    def get_description(cls):
        return _("National moderators approve this step; the last approval publishes")


@register_setting(icon="tasks")
class ReviewRouting(BaseSiteSetting):
    """The two routes of R19, chosen by the channel's category. Foreign keys, not names, so
    renaming a workflow in the admin cannot break routing."""

    province_workflow = models.ForeignKey(
        "wagtailcore.Workflow",
        verbose_name=_("province then national"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For provincial, municipal and county associations."),
    )
    national_workflow = models.ForeignKey(
        "wagtailcore.Workflow",
        verbose_name=_("national only"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For ministries and national societies."),
    )

    panels = [FieldPanel("province_workflow"), FieldPanel("national_workflow")]

    class Meta:
        verbose_name = _("review routing")

    def clean(self):
        super().clean()
        errors = self.route_problems()
        if errors:
            raise ValidationError(errors)

    def route_problems(self):
        """What keeps each route from reviewing as R19 says, by field. A disabled workflow
        routes to none at all (workflow_for), a province route without its province step
        skips it, and a province step on the national route waits for moderators of a
        province ministries and national societies do not have."""
        errors = {}
        for field, province_step in (("province_workflow", True), ("national_workflow", False)):
            workflow = getattr(self, field)
            if workflow is None:
                continue
            # In order; Wagtail skips a disabled task when it runs the workflow.
            tasks = [task.specific for task in workflow.tasks if task.active]
            steps = [type(task) for task in tasks]
            if not workflow.active:
                errors[field] = _("This workflow is disabled: choose an enabled one.")
            elif province_step and steps != [ProvinceApprovalTask, NationalApprovalTask]:
                errors[field] = _(
                    "This route needs the province review step followed by the national one."
                )
            elif not province_step and steps != [NationalApprovalTask]:
                errors[field] = _("This route needs the national review step only.")
            else:
                # Another group on a step grants nothing (ReviewTask.reviewer_groups), but
                # the admin should not show it as reviewing, nor a step without its role.
                for task in tasks:
                    groups = {group.name for group in task.groups.all()}
                    if groups != {task.role}:
                        errors[field] = _(
                            "The step “%(step)s” must be reviewed by the group “%(group)s” alone."
                        ) % {"step": task.name, "group": task.role}
                        break
        return errors


def broken_routes():
    """Every route's problems (ReviewRouting.route_problems), keyed by (site, field), with
    the workflow's name."""
    broken = {}
    for routing in ReviewRouting.objects.select_related("province_workflow", "national_workflow"):
        for field, message in routing.route_problems().items():
            broken[routing.site_id, field] = (getattr(routing, field).name, message)
    return broken


def workflow_for(page):
    """The workflow an activity goes through, chosen by its channel category (R19)."""
    from organizations.models import Organization

    site = page.get_site() if page.pk else None
    if site is None:
        parent = getattr(page, "_routing_parent", None)
        site = parent.get_site() if parent is not None else None
    routing = ReviewRouting.for_site(site) if site is not None else ReviewRouting.objects.first()
    if routing is None:
        return None
    if page.channel_category in Organization.PROVINCE_REVIEWED:
        workflow = routing.province_workflow
    else:
        workflow = routing.national_workflow
    return workflow if workflow is not None and workflow.active else None


class TakeDown(models.Model):
    """下架 (R18): a national moderator takes an approved activity off the public site with a
    reason; putting it back (上架) closes the record."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="take_downs")
    reason = models.TextField(_("reason"))
    # The version that was public, so putting it back publishes exactly that. Should
    # Wagtail's purge_revisions delete it, the activity returns only through review
    # (PROTECT would also have refused deleting the page).
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(default=timezone.now)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("take-down")
        verbose_name_plural = _("take-downs")
        constraints = [
            models.UniqueConstraint(
                fields=["page"],
                condition=models.Q(restored_at__isnull=True),
                name="one_open_take_down_per_page",
            )
        ]

    def __str__(self):
        return f"{self.page_id}: {self.reason[:30]}"
