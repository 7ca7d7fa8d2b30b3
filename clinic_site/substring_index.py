"""A substring index for one text column on SQLite: what serves `column LIKE '%word%'` from an
index rather than by reading every row.

PostgreSQL has such an index (pg_trgm's GIN index on the column). SQLite has FTS5 with the
trigram tokenizer (SQLite 3.34 and later): a phrase query for a word of three characters or
more finds the rows holding it anywhere, in any case, from the index. The FTS5 table here keeps
no copy of the text (`content=` the table itself, by rowid); triggers put every write into it,
SQL's own included (QuerySet.update, bulk_create, bulk_update, delete), so no Python code path
can leave it behind.

Why this exists: the triage list's search read its column in every row, 0.7 to 1.1 s at a
million requests on SQLite against a target of 0.4 s (bench/RESULTS.md).

`install` is safe to call after every `migrate`, and is (the app's post_migrate): Django's SQLite
schema editor rebuilds a table for most ALTERs (a copy, a drop, a rename), and the drop takes
the triggers with it; `install` finds them missing and builds the index again.
"""

from django.db.models.expressions import RawSQL

MIN_LENGTH = 3  # the trigram tokenizer indexes runs of three characters; shorter finds nothing


def index_name(table, column):
    return f"{table}_{column}_substrings"


# The names below are the code's own (a model's table and column), never anything typed: S608.
def install(connection, table, column):
    """Create the index and its triggers on SQLite if any is missing, and fill it from the rows.
    Returns True when it (re)built the index. Anything but SQLite: nothing to do."""
    if connection.vendor != "sqlite":
        return False
    introspection, quote = connection.introspection, connection.ops.quote_name
    name = index_name(table, column)
    triggers = {f"{name}_{event}" for event in ("insert", "delete", "update")}
    with connection.cursor() as cursor:
        tables = introspection.table_names(cursor)
        if table not in tables:  # migrated back to before the table or the column
            return False
        if column not in {c.name for c in introspection.get_table_description(cursor, table)}:
            return False
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
        )
        present = {trigger for (trigger,) in cursor.fetchall()}
        if triggers <= present and name in tables:
            return False
        index, table, column = quote(name), quote(table), quote(column)
        for trigger in triggers & present:
            cursor.execute(f"DROP TRIGGER {quote(trigger)}")
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5({column},"
            f" content={table}, content_rowid='id', tokenize='trigram')"
        )
        new = f"INSERT INTO {index} (rowid, {column}) VALUES (new.id, new.{column});"  # noqa: S608
        old = (
            f"INSERT INTO {index} ({index}, rowid, {column})"  # noqa: S608
            f" VALUES ('delete', old.id, old.{column});"
        )
        for event, body in (("insert", new), ("delete", old), ("update", old + new)):
            when = f"UPDATE OF {column}" if event == "update" else event.upper()
            trigger = quote(f"{name}_{event}")
            cursor.execute(f"CREATE TRIGGER {trigger} AFTER {when} ON {table} BEGIN {body} END")
        # Every row again, from the table: the index may lack rows written while triggers were
        # missing.
        cursor.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")  # noqa: S608
    return True


def containing(connection, table, column, word):
    """The rowids whose `column` holds `word` (a subquery for `pk__in`), from the index; None
    where the index cannot answer (another database, or a word too short for a trigram): the
    caller's LIKE alone does then."""
    if connection.vendor != "sqlite" or len(word) < MIN_LENGTH:
        return None
    index = connection.ops.quote_name(index_name(table, column))
    phrase = '"' + word.replace('"', '""') + '"'  # the word as it is, whatever it holds
    return RawSQL(f"SELECT rowid FROM {index} WHERE {index} MATCH %s", [phrase])  # noqa: S608, S611
