"""The three states of an activity (R16–R18), derived from Wagtail's own records and the
clock rather than stored, so they cannot drift."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROVINCE_REVIEWING = "province_reviewing", _("Province reviewing")
    PROVINCE_REJECTED = "province_rejected", _("Rejected by province")
    NATIONAL_REVIEWING = "national_reviewing", _("National reviewing")
    NATIONAL_REJECTED = "national_rejected", _("Rejected nationally")
    APPROVED = "approved", _("Approved")


class ActivityState(models.TextChoices):
    UPCOMING = "upcoming", _("Not started")
    ONGOING = "ongoing", _("In progress")
    ENDED = "ended", _("Ended")

    @classmethod
    def at(cls, start, end, moment=None):
        if start is None:
            return None
        moment = moment or timezone.now()
        if moment < start:
            return cls.UPCOMING
        if end is None or moment <= end:
            return cls.ONGOING
        return cls.ENDED


class ListingState(models.TextChoices):
    ON = "on", _("Listed")
    OFF = "off", _("Not listed")
    TAKEN_DOWN = "taken_down", _("Taken down")


def stage_of_task(task):
    """ "province" or "national": the review stage a workflow task stands for."""
    if task is None:
        return None
    return getattr(task.specific, "review_stage", "national")


def review_state_from(workflow_status, task_stage, task_status, live):
    """The review state from the latest workflow state's status, the stage of its current
    task and that task state's status. Shared by the per-page property and list queries."""
    from wagtail.models import TaskState, WorkflowState

    if workflow_status == WorkflowState.STATUS_IN_PROGRESS:
        if task_stage == "province":
            return ReviewState.PROVINCE_REVIEWING
        return ReviewState.NATIONAL_REVIEWING
    if workflow_status == WorkflowState.STATUS_NEEDS_CHANGES or (
        task_status == TaskState.STATUS_REJECTED
        and workflow_status is not None
        and workflow_status != WorkflowState.STATUS_APPROVED
    ):
        if task_stage == "province":
            return ReviewState.PROVINCE_REJECTED
        return ReviewState.NATIONAL_REJECTED
    if live or workflow_status == WorkflowState.STATUS_APPROVED:
        return ReviewState.APPROVED
    return ReviewState.DRAFT


def review_state_for(page):
    from wagtail.models import WorkflowState

    state = (
        WorkflowState.objects.for_instance(page)
        .exclude(status=WorkflowState.STATUS_CANCELLED)
        .select_related("current_task_state__task")
        .order_by("-created_at", "-pk")
        .first()
    )
    if state is None:
        return review_state_from(None, None, None, page.live)
    task_state = state.current_task_state
    return review_state_from(
        state.status,
        stage_of_task(task_state.task if task_state else None),
        task_state.status if task_state else None,
        page.live,
    )


def annotate_review_state(queryset):
    """Adds what review_state needs to every row in the same query: the latest
    non-cancelled workflow state's status and its current task's status and type."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, Exists, OuterRef, Subquery
    from django.db.models.functions import Cast
    from wagtail.models import Page, WorkflowState

    latest = (
        WorkflowState.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        .exclude(status=WorkflowState.STATUS_CANCELLED)
        .order_by("-created_at", "-pk")
    )
    from workflow.models import TakeDown

    open_take_down = TakeDown.objects.filter(page=OuterRef("pk"), restored_at=None)
    return queryset.annotate(
        _taken_down=Exists(open_take_down),
        _take_down_revision=Subquery(open_take_down.values("revision")[:1]),
        _take_down_reason=Subquery(open_take_down.values("reason")[:1]),
        _task_comment=Subquery(latest.values("current_task_state__comment")[:1]),
        _workflow_status=Subquery(latest.values("status")[:1]),
        _task_status=Subquery(latest.values("current_task_state__status")[:1]),
        _task_content_type=Subquery(latest.values("current_task_state__task__content_type")[:1]),
    )


def annotated_review_state(page):
    """review_state from annotate_review_state's columns, without further queries."""
    from django.contrib.contenttypes.models import ContentType

    stage = None
    if page._task_content_type is not None:
        task_class = ContentType.objects.get_for_id(page._task_content_type).model_class()
        stage = getattr(task_class, "review_stage", "national")
    return review_state_from(page._workflow_status, stage, page._task_status, page.live)


def province_task_content_type_ids():
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Task

    models = [
        model
        for model in apps.get_models()
        if issubclass(model, Task) and getattr(model, "review_stage", None) == "province"
    ]
    return [ct.pk for ct in ContentType.objects.get_for_models(*models).values()]


def filter_by_review_state(queryset, state):
    """Rows of an annotate_review_state() queryset whose review state is `state`."""
    from django.db.models import Q
    from wagtail.models import WorkflowState

    in_progress = Q(_workflow_status=WorkflowState.STATUS_IN_PROGRESS)
    needs_changes = Q(_workflow_status=WorkflowState.STATUS_NEEDS_CHANGES)
    province = Q(_task_content_type__in=province_task_content_type_ids())
    # An activity with no workflow state at all has a NULL status, which NOT (status IN
    # …) leaves out in SQL: a draft never submitted, or one published without review (the
    # bulk-loaded ones), vanished from the "draft" and "approved" filters.
    no_open_review = Q(_workflow_status__isnull=True) | ~(in_progress | needs_changes)
    conditions = {
        ReviewState.PROVINCE_REVIEWING: in_progress & province,
        ReviewState.NATIONAL_REVIEWING: in_progress & ~province,
        ReviewState.PROVINCE_REJECTED: needs_changes & province,
        ReviewState.NATIONAL_REJECTED: needs_changes & ~province,
        ReviewState.APPROVED: no_open_review
        & (Q(live=True) | Q(_workflow_status=WorkflowState.STATUS_APPROVED)),
        ReviewState.DRAFT: no_open_review
        & Q(live=False)
        & (Q(_workflow_status__isnull=True) | ~Q(_workflow_status=WorkflowState.STATUS_APPROVED)),
    }
    return queryset.filter(conditions[state])


def filter_by_activity_state(queryset, state, moment=None):
    from django.db.models import Q

    moment = moment or timezone.now()
    if state == ActivityState.UPCOMING:
        return queryset.filter(start_at__gt=moment)
    if state == ActivityState.ONGOING:
        return queryset.filter(Q(start_at__lte=moment) & (Q(end_at__gte=moment) | Q(end_at=None)))
    if state == ActivityState.ENDED:
        return queryset.filter(end_at__lt=moment)
    return queryset
