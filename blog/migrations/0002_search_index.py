from django.db import migrations

FTS_TABLE = "blog_article_fts"


def create_index(apps, schema_editor):
    # SQLite only: PostgreSQL searches the article rows themselves (blog/search.py).
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
