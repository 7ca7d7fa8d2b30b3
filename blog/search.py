"""Full-text search over published articles, with title matches ranked first.

PostgreSQL: its own full-text search (English stemming, weights, websearch syntax).
SQLite: an FTS5 table (porter stemming), rebuilt at each content sync. Both return the same
thing: the matching articles' ids, best first.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from .models import Article

FTS_TABLE = "blog_article_fts"
WORD_RE = re.compile(r"\w+", re.UNICODE)


def search_ids(query):
    """Ids of published articles matching `query`, title matches first, then by relevance."""
    words = WORD_RE.findall(query.lower())[:12]
    if not words:
        return []
    if connection.vendor == "postgresql":
        return _postgres(words)
    return _sqlite(words)


def _postgres(words):
    # Words are \w+ only, so the raw tsquery holds no syntax a visitor typed; :* matches
    # prefixes, as the SQLite query does.
    query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="english", search_type="raw")
    vector = SearchVector("title", weight="A", config="english") + SearchVector(
        "body_text", weight="B", config="english"
    )
    return list(
        Article.objects.published()
        .annotate(document=vector, title_document=SearchVector("title", config="english"))
        .filter(document=query)
        .annotate(
            rank=SearchRank(vector, query),
            in_title=Case(
                When(title_document=query, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("-in_title", "-rank", "-published_on")
        .values_list("pk", flat=True)
    )


def _fts_query(words, column=None):
    # Each word is quoted, so nothing a visitor types is read as FTS5 syntax; * matches prefixes.
    terms = " ".join('"{}"*'.format(word.replace('"', '""')) for word in words)
    return f"{column} : ({terms})" if column else terms


def _sqlite(words):
    sql = (
        f"SELECT f.rowid, f.rowid IN"  # noqa: S608 (the table name is a constant)
        f" (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) AS in_title"
        f" FROM {FTS_TABLE} f JOIN {Article._meta.db_table} a ON a.id = f.rowid"
        f" WHERE {FTS_TABLE} MATCH %s AND a.is_published AND a.published_on <= %s"
        f" ORDER BY in_title DESC, bm25({FTS_TABLE}, 10.0, 1.0), a.published_on DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_fts_query(words, "title"), _fts_query(words), timezone.localdate()])
        return [row[0] for row in cursor.fetchall()]


def rebuild_index():
    """Refill the SQLite FTS table from the published articles (PostgreSQL needs no index
    table: it searches the article rows themselves)."""
    if connection.vendor != "sqlite":
        return
    rows = Article.objects.published().values_list("pk", "title", "body_text")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",  # noqa: S608
            list(rows),
        )

