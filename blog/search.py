"""Full-text search over the published articles: one index in the site's database, which the
content sync keeps in line with the articles (`update_index`) and every worker and host reads.

Both databases find the same articles for the same words, because the words are made into
terms here, once, for the articles and for a search alike (`_terms`: lower case, accents
dropped, English stems from the Snowball stemmer that PostgreSQL's own English search uses), and
each database indexes those terms as given: SQLite in an FTS5 table, PostgreSQL in a tsvector
column with a GIN index. An article matches when it holds every word searched for; a word of
three letters or more also matches as the start of a term ("depress" finds "depression").

Results: the articles whose title holds every word first, then the others, newest first in each
(the article list's order). A row's key is its article's date and id in one number, so "newest
first" is the order of the index itself: a search reads at most CAP + 1 matches, whether a word
is in ten articles or in all of them, and counts no further ("More than 100 articles found").
It sends back only the rows of the page shown, with that count (on PostgreSQL, sending all 101
rows took longer than finding them: bench/RESULTS.md).

Nothing a visitor typed is kept: no table, cache or log holds a search.
"""

import re
import unicodedata
from datetime import date
from functools import lru_cache

import snowballstemmer
from django.db import connection
from django.utils import timezone

from .models import Article

CAP = 100
MAX_WORDS = 12
# A row's key: the article's date and id in one number that is smallest for the newest (both
# indexes read their rows fastest in ascending order, and stop at the LIMIT).
ID_SPACE = 10**9
AFTER_ALL_DATES = date.max.toordinal() + 1
WORD_RE = re.compile(r"[^\W_]{1,100}")
STEMMER = snowballstemmer.stemmer("english")
# PyStemmer would keep the last 10,000 words it stemmed: a search's words must not be kept.
if hasattr(STEMMER, "maxCacheSize"):
    STEMMER.maxCacheSize = 0
# A term of the title is stored twice: as itself, and marked with this, so that "in the title"
# is a term of its own in either index.
IN_TITLE = "_"

SQL = {
    "sqlite": {
        "present": "SELECT rowid, hash FROM blog_search",
        "delete": "DELETE FROM blog_search WHERE rowid = %s",
        "insert": "INSERT INTO blog_search (rowid, hash, terms) VALUES (%s, %s, %s)",
        "matches": (
            "SELECT * FROM (SELECT 0 AS part, rowid AS key, hash FROM blog_search"
            " WHERE blog_search MATCH %s AND rowid >= %s ORDER BY rowid LIMIT %s)"
            " UNION ALL"
            " SELECT * FROM (SELECT 1, rowid, hash FROM blog_search"
            " WHERE blog_search MATCH %s AND rowid >= %s ORDER BY rowid LIMIT %s)"
        ),
    },
    "postgresql": {
        "present": "SELECT key, hash FROM blog_search",
        "delete": "DELETE FROM blog_search WHERE key = %s",
        "insert": (
            "INSERT INTO blog_search (key, hash, terms)"
            " VALUES (%s, %s, array_to_tsvector(%s::text[]))"
        ),
        # PostgreSQL picks per word: the GIN index for a rare one, the key's index (stopping
        # at the LIMIT) for a common one.
        "matches": (
            "(SELECT 0 AS part, key, hash FROM blog_search WHERE terms @@ %s::tsquery"
            " AND key >= %s ORDER BY key LIMIT %s)"
            " UNION ALL"
            " (SELECT 1, key, hash FROM blog_search WHERE terms @@ %s::tsquery"
            " AND key >= %s ORDER BY key LIMIT %s)"
        ),
    },
}
# The matches counted, and only one page of them sent: count(*) OVER () counts before the LIMIT.
PAGE_SQL = (
    "SELECT key, hash, count(*) OVER () FROM ({matches}) AS found"
    " ORDER BY part, key LIMIT %s OFFSET %s"
)


def _key(pk, published_on):
    return (AFTER_ALL_DATES - published_on.toordinal()) * ID_SPACE + ID_SPACE - 1 - pk


def _article(key):
    return ID_SPACE - 1 - key % ID_SPACE


def _terms(text, stem=STEMMER.stemWord):
    """The terms of `text`, as both the index and a search see them."""
    text = unicodedata.normalize("NFKD", text.lower())
    if not text.isascii():
        text = "".join(char for char in text if not unicodedata.combining(char))
    return [stem(word) for word in WORD_RE.findall(text)]


def search(query, page=1, per_page=10):
    """The published articles matching every word of `query`, title matches first, then
    newest first, a page of them: (found, page, results). `found` counts the matches up to
    CAP + 1; `results` are the (id, version) pairs of the page'th `per_page` of the first CAP,
    or of the last page when there are fewer. The version changes whenever what the article's
    card shows may have."""
    terms = list(dict.fromkeys(_terms(query)))[:MAX_WORDS]
    page = min(max(page, 1), -(-CAP // per_page))
    if not terms:
        return 0, 1, []
    # Not after today: an article dated tomorrow is found from tomorrow on.
    first = (AFTER_ALL_DATES - timezone.localdate().toordinal()) * ID_SPACE
    if connection.vendor == "postgresql":
        title, every = (
            " & ".join(f"'{mark}{t}'" + (":*" if len(t) >= 3 else "") for t in terms)
            for mark in (IN_TITLE, "")
        )
        elsewhere = f"{every} & !({title})"
    else:
        title, every = (
            " ".join(f'"{mark}{t}"' + ("*" if len(t) >= 3 else "") for t in terms)
            for mark in (IN_TITLE, "")
        )
        elsewhere = f"({every}) NOT ({title})"
    matches = [title, first, CAP + 1, elsewhere, first, CAP + 1]
    sql = PAGE_SQL.format(matches=SQL[connection.vendor]["matches"])
    with connection.cursor() as cursor:
        cursor.execute(sql, [*matches, per_page, (page - 1) * per_page])
        rows = cursor.fetchall()
        if not rows and page > 1:  # past the last match (an old link): the last page
            cursor.execute(sql, [*matches, CAP, 0])
            rows = cursor.fetchall()
            page = max(1, -(-len(rows) // per_page))
            rows = rows[(page - 1) * per_page :]
    # Each part stops at CAP + 1, so together they may count more.
    found = min(rows[0][2], CAP + 1) if rows else 0
    return found, page, [(_article(key), f"{key}-{h}") for key, h, _n in rows]


def update_index():
    """Bring the index in line with the published articles, writing only the rows of articles
    added, changed or unpublished since the last run (all of them on the first run). Runs in
    sync_content's transaction, so a search sees the old content or the new, never a mix."""
    articles = Article.objects.filter(is_published=True)
    wanted = {
        _key(pk, published_on): source_hash
        for pk, published_on, source_hash in articles.values_list(
            "pk", "published_on", "source_hash"
        )
    }
    sql = SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql["present"])
        present = dict(cursor.fetchall())
        gone = [[key] for key, h in present.items() if wanted.get(key) != h]
        cursor.executemany(sql["delete"], gone)
        new = [_article(key) for key, h in wanted.items() if present.get(key) != h]
        # Each word stemmed once in this run: the same words recur in every article.
        stem = lru_cache(maxsize=None)(STEMMER.stemWord)
        rows = []
        for pk, published_on, source_hash, title, body in articles.filter(pk__in=new).values_list(
            "pk", "published_on", "source_hash", "title", "body_text"
        ):
            in_title = set(_terms(title, stem))
            terms = sorted(in_title | set(_terms(body, stem)) | {IN_TITLE + t for t in in_title})
            # FTS5 takes text, split at spaces; PostgreSQL an array.
            text_or_array = " ".join(terms) if connection.vendor == "sqlite" else terms
            rows.append([_key(pk, published_on), source_hash, text_or_array])
        cursor.executemany(sql["insert"], rows)
        if connection.vendor == "postgresql" and (gone or rows):
            # The planner's statistics, for its choice of index per word: a bulk change would
            # otherwise wait for autovacuum's next pass.
            cursor.execute("ANALYZE blog_search")
