from django.db import migrations

# PostgreSQL only: each article's search vector is stored in a generated column, kept up to
# date by the database whenever a sync writes the row, and indexed (GIN), so a search reads
# the index instead of computing every article's vector. SQLite has its FTS5 table (0002).
# The column is no model field: only blog/search.py reads it, in SQL.
VECTOR = (
    "setweight(to_tsvector('english'::regconfig, title), 'A')"
    " || setweight(to_tsvector('english'::regconfig, body_text), 'B')"
)


def add_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE blog_article ADD COLUMN search_vector tsvector"
            f" GENERATED ALWAYS AS ({VECTOR}) STORED"
        )
        schema_editor.execute(
            "CREATE INDEX blog_article_search_vector ON blog_article USING gin (search_vector)"
        )


def drop_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE blog_article DROP COLUMN search_vector")


class Migration(migrations.Migration):
    dependencies = [("blog", "0003_article_dated_by_file")]

    operations = [migrations.RunPython(add_vector, drop_vector)]
