from django.db import migrations

# Entries written since the last normalisation carry title_norm 1.0; the backend updates
# just those after each write (search/backends.py). Without this partial index that
# update scans the whole index. The SQL is the same on SQLite and PostgreSQL.


class Migration(migrations.Migration):
    dependencies = [("wagtailsearch", "0010_add_text_fields")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS search_entry_unnormalised "
            "ON wagtailsearch_indexentry (id) WHERE title_norm = 1.0",
            "DROP INDEX IF EXISTS search_entry_unnormalised",
        )
    ]
