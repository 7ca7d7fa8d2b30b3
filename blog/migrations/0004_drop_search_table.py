from django.db import migrations

FTS_TABLE = "blog_article_fts"


def drop_index(apps, schema_editor):
    # Search now runs on an in-memory index in each process (blog/search.py), on both databases.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def create_index(apps, schema_editor):
    # Back to 0002's table; a sync_content after migrating back refills it.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )


class Migration(migrations.Migration):
    dependencies = [("blog", "0003_article_dated_by_file")]

    operations = [migrations.RunPython(drop_index, create_index)]
