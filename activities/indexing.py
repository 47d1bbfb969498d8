"""Keep activities' search entries in step with the names they are indexed under.

An activity's indexed text (`ActivityPage.search_text`) holds the names of its channel,
host and organizer units, region and type, read from those rows when the activity was
saved. Renaming one of them changed every detail page at once but left the search index
on the old name: the new name found nothing until each activity was saved again. A rename
now queues the reindexing of the activities that name it on the "background" task backend
(settings.TASKS): done at once in development and tests, by `manage.py db_worker` in
production, since a provincial association can be named by tens of thousands of
activities (docs/search.md, "Renamed names"). An organization's short name counts as
its name here: the activities' text holds it too ("Short names and places")."""

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save, pre_save
from django_tasks import task

logger = logging.getLogger(__name__)

BACKGROUND = "background"
CHUNK = 500
# Behind mail (home.mail.MAIL_PRIORITY) in the worker's queue.
REINDEX_PRIORITY = -10
# Which fields of an activity, or of its units, hold each model's rows.
_NAMED_BY = {
    "organizations.organization": (
        "channel",
        "host_units__organization",
        "organizer_units__organization",
    ),
    "organizations.region": ("province", "city", "county"),
    "activities.activitytype": ("activity_type",),
}
# What each model gives the indexed text (ActivityPage.search_text, search_filters): a
# change to any of these fields reindexes the activities naming the row.
_INDEXED_FIELDS = {
    "organizations.organization": ("name", "short_name"),
    "organizations.region": ("name",),
    "activities.activitytype": ("name",),
}


def activities_naming(label, pk):
    """The ids of the activities whose indexed text holds the row `label`/`pk`."""
    from .models import ActivityPage

    # One query per field, each read through that field's index: an OR across the unit
    # joins scans every activity.
    ids = set()
    for path in _NAMED_BY[label]:
        ids.update(ActivityPage.objects.filter(**{f"{path}_id": pk}).values_list("pk", flat=True))
    return ids


@task(backend=BACKGROUND, priority=REINDEX_PRIORITY)
def reindex_activities_naming(label, pk):
    """Queues the rewriting of the search entries of every activity that names the row, a
    chunk a task: one worker does mail and long work in priority order, so a reindexing
    of 100,000 activities (13 minutes) waits for mails between chunks of 4 seconds instead
    of holding them. Returns how many activities it queued."""
    ids = sorted(activities_naming(label, pk))
    for start in range(0, len(ids), CHUNK):
        reindex_activities.enqueue(ids[start : start + CHUNK])
    logger.info("reindexing %d activities naming %s %s", len(ids), label, pk)
    return len(ids)


@task(backend=BACKGROUND, priority=REINDEX_PRIORITY)
def reindex_activities(ids):
    """Rewrites these activities' search entries and drops cached search results."""
    from modelsearch.backends import get_search_backends

    from . import cache
    from .models import ActivityPage

    pages = for_indexing(ids)
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(ActivityPage, pages)
    if pages:
        cache.bump(cache.LISTING)
    return len(pages)


def for_indexing(ids):
    """These activities with everything their search entries read, in a few queries: one
    at a time, an activity cost about 28 (its units, their organizations and regions, and
    its recommendation asked five times)."""
    from .models import ActivityPage
    from .nomination_models import Nomination

    return list(
        ActivityPage.objects.filter(pk__in=ids)
        .select_related("province", "city", "county", "channel", "activity_type")
        .prefetch_related("host_units__organization", "organizer_units__organization")
        .annotate(
            _recommended=Exists(Nomination.objects.filter(page_id=OuterRef("pk"), recommended=True))
        )
        .order_by("pk")
    )


def _indexed_values(instance):
    return tuple(getattr(instance, name) for name in _INDEXED_FIELDS[instance._meta.label_lower])


def _remember_indexed_values(sender, instance, raw=False, **kwargs):
    # The stored values of the fields the indexed text holds (_INDEXED_FIELDS).
    instance._indexed_values_before = None
    if raw or instance.pk is None:
        return
    fields = _INDEXED_FIELDS[sender._meta.label_lower]
    instance._indexed_values_before = (
        sender._default_manager.filter(pk=instance.pk).values_list(*fields).first()
    )


def _reindex_if_renamed(sender, instance, created=False, raw=False, **kwargs):
    before = getattr(instance, "_indexed_values_before", None)
    if raw or created or before is None or before == _indexed_values(instance):
        return
    label, pk = sender._meta.label_lower, instance.pk
    # After the commit: a queued task must not outrun the rename it reindexes, and a
    # rolled-back rename queues nothing.
    transaction.on_commit(lambda: reindex_activities_naming.enqueue(label, pk))


def index_after_save(page):
    """An activity's search entry, written when its save is complete: its units included.

    Wagtail indexes a saved object in its post_save signal (modelsearch's task on the
    "default" backend, at once), which for a page runs inside Page.save, before
    modelcluster writes the page's child rows: a host or organizer unit added in an edit
    reached the index only with the next publication, and a removed one stayed findable.
    ActivityPage turns that off (search_auto_update) and calls this at the end of save()."""
    from modelsearch.tasks import insert_or_update_object_task

    insert_or_update_object_task.enqueue(page._meta.app_label, page._meta.model_name, str(page.pk))


def _remove_from_index(sender, instance, **kwargs):
    # What modelsearch's own post_delete handler does, which search_auto_update turns off.
    from modelsearch import index

    index.remove_object(instance)


def connect_signals():
    from django.apps import apps

    from .models import ActivityPage

    post_delete.connect(
        _remove_from_index, sender=ActivityPage, dispatch_uid="activity_search_remove"
    )

    for label in _NAMED_BY:
        model = apps.get_model(label)
        pre_save.connect(_remember_indexed_values, sender=model, dispatch_uid=f"reindex_{label}")
        post_save.connect(_reindex_if_renamed, sender=model, dispatch_uid=f"reindex_{label}_s")
