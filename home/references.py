"""Reference rows a public page shows beside its own: regions, types, organizations and
images, read from this process's copy instead of joined into the page's query.

Joining them cost more than reading the page: PostgreSQL spent about 1.7 ms planning an
activity's nine-table routing query for 0.1 ms of execution, on every detail view (#8).
These rows change rarely, and every change to them bumps the site version
(activities/cache.py: regions, types and organizations on save and delete, images when
changed or deleted), so a copy kept under that version is never stale: it is only left
unused when the version moves on. Each request gets its own unpickled copy, free to
change it. Rows not kept yet are read in one query joining only their tables."""

from django.conf import settings

from activities.cache import Memory, site_versioned

REFERENCE_SECONDS = 3600

# Posters are one per activity in real use: enough of them for a day's popular pages
# without pushing the routing facts out of their own memory.
memory = Memory(getattr(settings, "REFERENCE_MEMORY_SIZE", 5_000))


def kept(name, build):
    """What `build()` returns, kept like the reference rows under the site version:
    for values that depend on nothing else than `name` says and those rows."""
    return site_versioned("ref", name, build, REFERENCE_SECONDS, memory=memory)


def _row(model, pk):
    return f"{model._meta.label_lower}:{pk}"


def attach(instance, field_names):
    """Set each foreign key of `instance` named in `field_names` as if it had been read
    with select_related: from the kept copies, the rest in one query. A key whose row is
    gone is left to Django's own lookup, which raises as usual."""
    missing = []
    for name in field_names:
        field = instance._meta.get_field(name)
        pk = getattr(instance, field.attname)
        if pk is None:
            field.set_cached_value(instance, None)
            continue
        # Nothing built here: None when not kept yet.
        found = kept(_row(field.related_model, pk), lambda: None)
        if found is None:
            missing.append(field)
        else:
            field.set_cached_value(instance, found)
    if not missing:
        return
    names = [field.name for field in missing]
    row = type(instance)._base_manager.select_related(*names).filter(pk=instance.pk).first()
    for field in missing:
        found = field.get_cached_value(row, None) if row is not None else None
        # The row may have changed since the page was read: only the same key's row.
        if found is None or found.pk != getattr(instance, field.attname):
            continue
        field.set_cached_value(instance, found)
        kept(_row(field.related_model, found.pk), lambda found=found: found)
