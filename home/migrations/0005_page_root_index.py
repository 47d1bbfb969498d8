from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0004_nominations"),
        ("wagtailcore", "0001_initial"),
    ]

    operations = [
        # Treebeard finds the tree's root with WHERE depth = 1, which Wagtail's admin asks on
        # every page (breadcrumbs, permissions): with no index on depth, a scan of the whole
        # page table, 70-90 ms of each admin page at a million activities. A partial index
        # holds the one root row. Understood by SQLite and PostgreSQL alike.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS page_root_nodes ON wagtailcore_page (path) WHERE depth = 1",
            "DROP INDEX IF EXISTS page_root_nodes",
        ),
    ]
