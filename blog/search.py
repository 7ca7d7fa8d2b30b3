"""Full-text search over published articles, with title matches ranked first.

Each process keeps the published articles in an in-memory SQLite FTS5 table (porter stemming),
built once per content version (clinic_site.cache.kept_for_content): a search is a query in the
process's own memory, with no round trip to the database, on SQLite and on PostgreSQL alike, so
both configurations find the same articles. What a visitor typed is never kept: only the
articles are. The index holds every published article's title and text; for a clinic's blog
(tens or hundreds of articles) that is a few megabytes a process at most.
"""

import re
import sqlite3
import threading

from django.utils import timezone

from clinic_site.cache import kept_for_content

from .models import Article

WORD_RE = re.compile(r"\w+", re.UNICODE)


def search_ids(query):
    """Ids of published articles matching `query`, title matches first, then by relevance."""
    words = WORD_RE.findall(query.lower())[:12]
    if not words:
        return []
    return kept_for_content("search-index", build_index).search(words, timezone.localdate())


def build_index():
    """The index of the articles published now or later (an article dated tomorrow shows from
    tomorrow on, without a new content version)."""
    return Index(
        Article.objects.filter(is_published=True).values_list(
            "pk", "title", "body_text", "published_on"
        )
    )


class Index:
    def __init__(self, rows):
        # One connection, shared by the process's threads under a lock (a query takes tens of
        # microseconds); gunicorn's sync workers have one thread anyway.
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.lock = threading.Lock()
        self.db.execute(
            "CREATE VIRTUAL TABLE articles USING fts5(title, body, published_on UNINDEXED,"
            " tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO articles (rowid, title, body, published_on) VALUES (?, ?, ?, ?)",
            [(pk, title, body, published.isoformat()) for pk, title, body, published in rows],
        )

    def search(self, words, today):
        sql = (
            "SELECT rowid, rowid IN (SELECT rowid FROM articles WHERE articles MATCH ?) AS in_title"
            " FROM articles WHERE articles MATCH ? AND published_on <= ?"
            " ORDER BY in_title DESC, bm25(articles, 10.0, 1.0), published_on DESC"
        )
        with self.lock:
            rows = self.db.execute(
                sql, [_fts_query(words, "title"), _fts_query(words), today.isoformat()]
            ).fetchall()
        return [row[0] for row in rows]


def _fts_query(words, column=None):
    # Each word is quoted, so nothing a visitor types is read as FTS5 syntax; * matches prefixes.
    terms = " ".join('"{}"*'.format(word.replace('"', '""')) for word in words)
    return f"{column} : ({terms})" if column else terms
