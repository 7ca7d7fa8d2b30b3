"""The search index in the database, shared by every worker and host (blog/search.py): an FTS5
table on SQLite, tsvector columns with GIN indexes on PostgreSQL. Empty until the next
sync_content, which fills it (the release step runs one after migrating)."""

from django.db import migrations

CREATE = {
    "sqlite": [
        "CREATE VIRTUAL TABLE blog_search USING fts5("
        "hash UNINDEXED, title, words, tokenize = 'unicode61 remove_diacritics 0')"
    ],
    "postgresql": [
        "CREATE TABLE blog_search (key bigint PRIMARY KEY, hash varchar(64) NOT NULL,"
        " title tsvector NOT NULL, words tsvector NOT NULL)",
        "CREATE INDEX blog_search_title ON blog_search USING gin (title)",
        "CREATE INDEX blog_search_words ON blog_search USING gin (words)",
    ],
}


def create_index(apps, schema_editor):
    for statement in CREATE[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS blog_search")


class Migration(migrations.Migration):
    dependencies = [("blog", "0004_drop_search_table")]

    operations = [migrations.RunPython(create_index, drop_index)]
