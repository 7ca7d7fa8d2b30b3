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

A migration creates the index (`create`, and `drop` to go back). Django's SQLite schema editor
rebuilds a table for most ALTERs (a copy, a drop, a rename), and the drop takes the triggers with
it: `repair`, which the app runs after every `migrate`, finds an index without its triggers and
puts them back, filling the index again.
"""

from django.db.models.expressions import RawSQL

MIN_LENGTH = 3  # the trigram tokenizer indexes runs of three characters; shorter finds nothing


def index_name(table, column):
    return f"{table}_{column}_substrings"


# The names below are the code's own (a model's table and column), never anything typed: S608.
def create(connection, table, column):
    """The index and its triggers, filled from the rows (SQLite; elsewhere nothing)."""
    if connection.vendor != "sqlite":
        return
    quote = connection.ops.quote_name
    name = index_name(table, column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {quote(name)} USING fts5({quote(column)},"
            f" content={quote(table)}, content_rowid='id', tokenize='trigram')"
        )
    _triggers(connection, table, column)


def drop(connection, table, column):
    if connection.vendor != "sqlite":
        return
    quote = connection.ops.quote_name
    name = index_name(table, column)
    with connection.cursor() as cursor:
        for trigger in _trigger_names(name):
            cursor.execute(f"DROP TRIGGER IF EXISTS {quote(trigger)}")
        # IF EXISTS: an FTS5 table's own tables go with it.
        cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")


def repair(connection, table, column):
    """If the index is there without all its triggers (its table was rebuilt), put them back
    and fill the index again. Returns True if it did."""
    if connection.vendor != "sqlite":
        return False
    name = index_name(table, column)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = %s"
            " OR (type = 'trigger' AND tbl_name = %s)",
            [name, table],
        )
        present = {found for (found,) in cursor.fetchall()}
    if name not in present or set(_trigger_names(name)) <= present:
        return False
    _triggers(connection, table, column)
    return True


def _trigger_names(name):
    return [f"{name}_{event}" for event in ("insert", "delete", "update")]


def _triggers(connection, table, column):
    """(Re)create the triggers, and fill the index from every row: it may lack the rows written
    while the triggers were missing."""
    quote = connection.ops.quote_name
    name = index_name(table, column)
    index, table, column = quote(name), quote(table), quote(column)
    new = f"INSERT INTO {index} (rowid, {column}) VALUES (new.id, new.{column});"  # noqa: S608
    old = (
        f"INSERT INTO {index} ({index}, rowid, {column})"  # noqa: S608
        f" VALUES ('delete', old.id, old.{column});"
    )
    with connection.cursor() as cursor:
        for trigger, (when, body) in zip(
            _trigger_names(name),
            [("INSERT", new), ("DELETE", old), (f"UPDATE OF {column}", old + new)],
            strict=True,
        ):
            cursor.execute(f"DROP TRIGGER IF EXISTS {quote(trigger)}")
            cursor.execute(
                f"CREATE TRIGGER {quote(trigger)} AFTER {when} ON {table} BEGIN {body} END"
            )
        cursor.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")  # noqa: S608


def containing(connection, table, column, word):
    """The rowids whose `column` holds `word` (a subquery for `pk__in`), from the index; None
    where the index cannot answer (another database, or a word too short for a trigram): the
    caller's LIKE alone does then."""
    if connection.vendor != "sqlite" or len(word) < MIN_LENGTH:
        return None
    index = connection.ops.quote_name(index_name(table, column))
    phrase = '"' + word.replace('"', '""') + '"'  # the word as it is, whatever it holds
    return RawSQL(f"SELECT rowid FROM {index} WHERE {index} MATCH %s", [phrase])  # noqa: S608, S611
