from django.db import migrations, models

# constants.newest_rank in SQL: whole seconds of newest_key since 2020-01-01 UTC (floored,
# as Python's // does), times 2**31, plus the page id.
RANK_SQL = {
    "postgresql": (
        "UPDATE activities_activitypage SET newest_rank = floor(extract(epoch FROM "
        "(newest_key - TIMESTAMPTZ '2020-01-01 00:00:00+00')))::bigint * 2147483648 "
        "+ page_ptr_id"
    ),
    # SQLite keeps times as text in UTC; strftime('%s') of it is floored seconds.
    "sqlite": (
        "UPDATE activities_activitypage SET newest_rank = "
        "(CAST(strftime('%s', newest_key) AS INTEGER) - 1577836800) * 2147483648 + page_ptr_id"
    ),
}

# PostgreSQL only: an activity's dates as a range beside its rank, so that "newest first
# between two dates" is a nearest-neighbour walk of this index (ORDER BY newest_rank <->
# RANK_TOP), every entry it meets already within the dates (and the state, province and
# type asked). The B-tree on newest_key walked past every activity published later
# (390,000 for September 2025 at a million). LEAST/GREATEST: a row whose end precedes its
# start must not make the range fail. Not a partial index: ANALYZE keeps statistics of an
# index's expression only for whole-table indexes, and without them the planner took a
# month for 1% of the activities (12% at a million) and sorted them for deep pages.
SPAN_INDEX = (
    "CREATE INDEX IF NOT EXISTS activity_span_newest ON activities_activitypage USING gist "
    "(tstzrange(LEAST(start_at, end_at), GREATEST(start_at, end_at), '[]'), newest_rank, "
    "province_id, activity_type_id)"
)


def fill_ranks(apps, schema_editor):
    sql = RANK_SQL.get(schema_editor.connection.vendor)
    if sql is not None:
        # No parameters: the SQL goes as written, its % included.
        schema_editor.execute(sql, params=None)


def add_span_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # btree_gist ships with PostgreSQL (contrib); it lets a GiST index hold a bigint.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        schema_editor.execute(SPAN_INDEX)


def drop_span_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS activity_span_newest")


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0008_listed"),
    ]

    operations = [
        migrations.AddField(
            model_name="activitypage",
            name="newest_rank",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(fill_ranks, migrations.RunPython.noop),
        migrations.RunPython(add_span_index, drop_span_index),
    ]
