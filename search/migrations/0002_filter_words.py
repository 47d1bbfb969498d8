"""Filter words (search/filters.py) beside the title of every activity already indexed.

Appended to what is there, exactly as the indexer now writes them: on PostgreSQL the title
vector is the concatenation of one weighted vector per title field, so appending a vector
of the words equals indexing afresh; on SQLite the title is the fields' texts joined by
spaces. Entries of activities that no longer exist are left alone; entries that have the
words already (indexed by the new code before migrating) are skipped.

On PostgreSQL every entry is rewritten: on a large index run `VACUUM FULL
wagtailsearch_indexentry` afterwards (docs/performance.md), or a common word's candidates,
read by a sequential scan from the table's start, pass over the dead half first."""

from django.db import migrations

BATCH = 5_000


def add_filter_words(apps, schema_editor):
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from activities.constants import SEARCH_DATES, SEARCH_FILTERS
    from search.filters import PREFIX, object_words

    content_type = apps.get_model("contenttypes", "ContentType")
    activity = apps.get_model("activities", "ActivityPage")
    entry = apps.get_model("wagtailsearch", "IndexEntry")
    ct = content_type.objects.filter(app_label="activities", model="activitypage").first()
    if ct is None:
        return
    connection = schema_editor.connection
    table = entry._meta.db_table
    # The title too: its characters are indexed beside it (search.filters.title_characters).
    columns = ["page_ptr_id", "title", *SEARCH_FILTERS.values(), *SEARCH_DATES]
    zone = ZoneInfo(settings.TIME_ZONE)
    last = 0
    while True:
        rows = list(
            activity.objects.filter(page_ptr_id__gt=last)
            .order_by("page_ptr_id")
            .values_list(*columns)[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        batch = []
        for pk, *values in rows:
            values = dict(zip(columns[1:], values, strict=True))
            words = " ".join(object_words(values, SEARCH_FILTERS, SEARCH_DATES, zone))
            if words:
                batch.append((str(pk), words))
        if not batch:
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                from wagtail.search.backends import get_search_backend

                config = getattr(get_search_backend(), "config", None)
                vector = "to_tsvector(%s::regconfig, v.words)" if config else "to_tsvector(v.words)"
                marks = ", ".join(["(%s, %s)"] * len(batch))
                params = [value for pair in batch for value in pair]
                cursor.execute(
                    f'UPDATE "{table}" AS e '  # noqa: S608 - our own table and config
                    # Unboosted, like FilterWordsField: weight D.
                    f"SET title = e.title || setweight({vector}, 'D'), "
                    "title_text = concat_ws(' ', NULLIF(e.title_text, ''), v.words) "
                    f"FROM (VALUES {marks}) AS v(object_id, words) "
                    "WHERE e.content_type_id = %s AND e.object_id = v.object_id "
                    "AND position(%s IN COALESCE(e.title_text, '')) = 0",
                    [*([config] if config else []), *params, ct.pk, f" {PREFIX}"],
                )
            else:
                cursor.executemany(
                    f'UPDATE "{table}" SET title = title || \' \' || %s '  # noqa: S608
                    "WHERE content_type_id = %s AND object_id = %s AND instr(title, %s) = 0",
                    [(words, ct.pk, pk, f" {PREFIX}") for pk, words in batch],
                )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_unnormalised_entries_index"),
        ("activities", "0007_newest_key"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(add_filter_words, migrations.RunPython.noop)]
