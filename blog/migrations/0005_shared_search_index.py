"""The search index in the database, shared by every worker and host (blog/search.py): an FTS5
table on SQLite, a tsvector column with a GIN index on PostgreSQL. Empty until the next
sync_content, which fills it (the release step runs one after migrating)."""

from django.db import migrations

CREATE = {
    # The terms come made (lower case, stemmed); "_" marks a term of the title.
    "sqlite": [
        "CREATE VIRTUAL TABLE blog_search USING fts5(hash UNINDEXED, terms,"
        " tokenize = \"unicode61 remove_diacritics 0 tokenchars '_'\")"
    ],
    "postgresql": [
        "CREATE TABLE blog_search (key bigint PRIMARY KEY, hash varchar(64) NOT NULL,"
        " terms tsvector NOT NULL)",
        # In the row, not out of line: the planner then sees what reading every row costs and
        # takes the GIN index for a rare word (measured: a seq scan of 1,000 rows, 5 to 13 ms,
        # against 0.1 ms).
        "ALTER TABLE blog_search ALTER COLUMN terms SET STORAGE MAIN",
        # No pending list: rows are written at sync time only, and every search would read it.
        "CREATE INDEX blog_search_terms ON blog_search USING gin (terms) WITH (fastupdate = off)",
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
