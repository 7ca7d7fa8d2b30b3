"""Full-text search over the published articles: one index in the site's database, which the
content sync keeps in line with the articles (`update_index`) and every worker and host reads.

Both databases find the same articles for the same words, because the words are made into
terms here, once, for the articles and for a search alike (`_terms`: lower case, accents
dropped, English stems from the Snowball stemmer that PostgreSQL's own English search uses), and
each database indexes those terms as given: SQLite in an FTS5 table, PostgreSQL in two tsvector
columns with GIN indexes. An article matches when it holds every word searched for; a word of
three letters or more also matches as the start of a term ("depress" finds "depression").

Results: the articles whose title holds every word first, then the others, newest first in each
(the article list's order). A row's key is its article's date and id in one number, so "newest
first" is the order of the index itself: a search reads at most CAP + 1 matches, whether a word
is in ten articles or in all of them, and counts no further ("100+ articles found").

Nothing a visitor typed is kept: no table, cache or log holds a search.
"""

import re
import unicodedata

import snowballstemmer
from django.db import connection
from django.utils import timezone

from .models import Article

CAP = 100
MAX_WORDS = 12
# A row's key: the article's publication date (days since year 1) and its id, in one number
# that sorts newest first when read in descending order.
ID_SPACE = 10**9
WORD_RE = re.compile(r"[^\W_]{1,100}")
STEMMER = snowballstemmer.stemmer("english")

SQL = {
    "sqlite": {
        "present": "SELECT rowid, hash FROM blog_search",
        "delete": "DELETE FROM blog_search WHERE rowid = %s",
        "insert": "INSERT INTO blog_search (rowid, hash, title, words) VALUES (%s, %s, %s, %s)",
        # FTS5 reads the rows in rowid order and stops at the LIMIT.
        "search": (
            "SELECT * FROM (SELECT 0 AS part, rowid AS key FROM blog_search"
            " WHERE blog_search MATCH %s AND rowid < %s ORDER BY rowid DESC LIMIT %s)"
            " UNION ALL"
            " SELECT * FROM (SELECT 1, rowid FROM blog_search"
            " WHERE blog_search MATCH %s AND rowid < %s ORDER BY rowid DESC LIMIT %s)"
            " ORDER BY part, key DESC"
        ),
    },
    "postgresql": {
        "present": "SELECT key, hash FROM blog_search",
        "delete": "DELETE FROM blog_search WHERE key = %s",
        "insert": (
            "INSERT INTO blog_search (key, hash, title, words)"
            " VALUES (%s, %s, array_to_tsvector(%s::text[]), array_to_tsvector(%s::text[]))"
        ),
        # PostgreSQL picks per word: the GIN index for a rare one, the key's index read
        # backwards (stopping at the LIMIT) for a common one.
        "search": (
            "(SELECT 0 AS part, key FROM blog_search WHERE title @@ %s::tsquery"
            " AND key < %s ORDER BY key DESC LIMIT %s)"
            " UNION ALL"
            " (SELECT 1, key FROM blog_search WHERE words @@ %s::tsquery"
            " AND NOT title @@ %s::tsquery AND key < %s ORDER BY key DESC LIMIT %s)"
            " ORDER BY part, key DESC"
        ),
    },
}


def _terms(text, stem=STEMMER.stemWord):
    """The terms of `text`, as both the index and a search see them."""
    text = unicodedata.normalize("NFKD", text.lower())
    if not text.isascii():
        text = "".join(char for char in text if not unicodedata.combining(char))
    return [stem(word) for word in WORD_RE.findall(text)]


def search_ids(query, limit=CAP + 1):
    """Ids of the published articles matching every word of `query`, title matches first,
    then newest first; at most `limit` of them."""
    terms = list(dict.fromkeys(_terms(query)))[:MAX_WORDS]
    if not terms:
        return []
    # Before tomorrow: an article dated tomorrow is found from tomorrow on.
    before = (timezone.localdate().toordinal() + 1) * ID_SPACE
    if connection.vendor == "postgresql":
        every = " & ".join(f"'{t}':*" if len(t) >= 3 else f"'{t}'" for t in terms)
        params = [every, before, limit, every, every, before, limit]
    else:
        every = " ".join(f'"{t}"*' if len(t) >= 3 else f'"{t}"' for t in terms)
        params = [f"title : ({every})", before, limit]
        params += [f"words : ({every}) NOT title : ({every})", before, limit]
    with connection.cursor() as cursor:
        cursor.execute(SQL[connection.vendor]["search"], params)
        return [key % ID_SPACE for _part, key in cursor.fetchmany(limit)]


def update_index():
    """Bring the index in line with the published articles, writing only the rows of articles
    added, changed or unpublished since the last run (all of them on the first run). Runs in
    sync_content's transaction, so a search sees the old content or the new, never a mix."""
    wanted = {
        pk + published_on.toordinal() * ID_SPACE: source_hash
        for pk, published_on, source_hash in Article.objects.filter(is_published=True).values_list(
            "pk", "published_on", "source_hash"
        )
    }
    sql = SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql["present"])
        present = dict(cursor.fetchall())
        cursor.executemany(sql["delete"], [[k] for k, h in present.items() if wanted.get(k) != h])
        new = [key % ID_SPACE for key, h in wanted.items() if present.get(key) != h]
        stems = {}  # each word stemmed once in this run (the same words recur in every article)

        def stem(word):
            if word not in stems:
                stems[word] = STEMMER.stemWord(word)
            return stems[word]

        rows = []
        articles = Article.objects.filter(pk__in=new).values_list(
            "pk", "published_on", "source_hash", "title", "body_text"
        )
        for pk, published_on, source_hash, title, body_text in articles.iterator(2000):
            title_terms = set(_terms(title, stem))
            words = sorted(title_terms | set(_terms(body_text, stem)))
            title_terms = sorted(title_terms)
            if connection.vendor != "postgresql":  # FTS5 takes text and splits it on spaces
                title_terms, words = " ".join(title_terms), " ".join(words)
            rows.append([pk + published_on.toordinal() * ID_SPACE, source_hash, title_terms, words])
        cursor.executemany(sql["insert"], rows)
