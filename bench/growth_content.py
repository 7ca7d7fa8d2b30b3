"""How the content sync, the sitemap and the feeds grow with the number of articles (issue 23).

    .venv/bin/python bench/growth_content.py [--sizes 10 1000 5000] [--databases SQLite PostgreSQL]
        [--rounds 3] [--write]

For each size, in a fresh process on a scratch database (SQLite in a temp folder, or
PostgreSQL at BENCH_DATABASE_URL with Redis at BENCH_REDIS_URL -- scratch ones: the script
migrates, fills and empties them), under production settings: synthetic articles in the real
front-matter format (2 to 5 tags from a 40-tag vocabulary drawn Zipf-like, 1 or 2 of the 4
services, most often Spravato and TMS; a body of about 600 words with headings and a footnote;
one in ten with no `published` date, dated by its file like a real one), plus the real clinic
pages. It measures:

- the first sync of all files (wall and CPU time);
- a re-sync with nothing changed (CPU);
- a re-sync after one file's edit (CPU; median over `--rounds` edits: a body edit and a tag
  edit of articles in the popular tags, the case with the most neighbours);
- the related articles of every article worked out in memory, by RelatedIndex and by the
  simpler design it replaces (a list per tag and service, every article sharing one scored);
- the sitemap and the RSS feed on a page-cache miss (time to the whole response, in-process
  through the middleware): the first request after the sync, and a later miss (the content
  unchanged, the page not in the page cache: asked for with a cookie, which the page cache
  never answers).

--write puts the table into bench/RESULTS.md (between the growth-content markers).
"""

import argparse
import heapq
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TAGS = [f"topic {n:02d}" for n in range(40)]
TAG_WEIGHTS = [1 / (rank + 1) for rank in range(40)]  # Zipf, s = 1
SERVICES = ["spravato", "tms", "evaluation", "therapy"]
SERVICE_WEIGHTS = [4, 3, 2, 1]
WORDS = [
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do",
    "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim",
    "ad", "minim", "veniam", "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi",
    "aliquip", "ex", "ea", "commodo", "consequat", "duis", "aute", "irure", "in", "reprehenderit",
    "voluptate", "velit", "esse", "cillum", "fugiat", "nulla", "pariatur", "excepteur", "sint",
    "occaecat", "cupidatat", "non", "proident",
]  # fmt: skip


def article_text(n, rng, tags=None):
    """One synthetic article, in the front-matter format of content/articles/*.md."""
    if tags is None:
        tags = set()
        while len(tags) < rng.randint(2, 5):
            tags.add(rng.choices(TAGS, TAG_WEIGHTS)[0])
        tags = sorted(tags)
    services = sorted(
        {rng.choices(SERVICES, SERVICE_WEIGHTS)[0] for _ in range(rng.choice([1, 1, 2]))}
    )
    front = [
        f'title: "Synthetic article number {n}"',
        f"slug: synthetic-article-{n:05d}",
        f'summary: "A generated article for the benchmark, number {n}."',
    ]
    if n % 10:
        published = date.fromordinal(date(2015, 1, 1).toordinal() + rng.randrange(3650))
        front.append(f"published: {published.isoformat()}")
    front += [
        "author: Bench Author",
        f"tags: [{', '.join(tags)}]",
        f"services: [{', '.join(services)}]",
    ]
    paragraphs = []
    for section in range(4):
        paragraphs.append(f"## Section {section + 1}")
        for _ in range(3):
            paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(50)).capitalize() + ".")
    paragraphs.insert(2, "A sentence with a source.[^1]")
    paragraphs.append("[^1]: A synthetic source.")
    text = "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(paragraphs) + "\n"
    return text, (tags, services)


def write_content(folder, size, seed=23):
    (folder / "articles").mkdir(parents=True)
    for real in ("pages", "includes"):
        shutil.copytree(ROOT / "content" / real, folder / real)
    rng = random.Random(seed)
    keys = {}
    for n in range(size):
        text, keys[n] = article_text(n, rng)
        (folder / "articles" / f"synthetic-article-{n:05d}.md").write_text(text)
    return keys


def related_by_tag_lists(articles):
    """The simpler design RelatedIndex replaces, for comparison: one list per tag and service,
    every article sharing one scored, the top three kept with a heap."""
    lists = defaultdict(list)
    for number, (tags, services) in enumerate(articles):
        for key in [*(("tag", t) for t in tags), *(("service", s) for s in services)]:
            lists[key].append(number)
    for number, (tags, services) in enumerate(articles):
        scores = Counter()
        for tag in tags:
            for other in lists["tag", tag]:
                scores[other] += 2
        for service in services:
            for other in lists["service", service]:
                scores[other] += 1
        scores.pop(number, None)
        heapq.nlargest(3, scores.items(), key=lambda item: (item[1], -item[0]))


def related_by_index(articles):
    from blog.content import RelatedIndex

    index = RelatedIndex(articles)
    for number in range(len(articles)):
        index.related(number)


def cpu(function):
    started = time.process_time()
    result = function()
    return time.process_time() - started, result


def measure(size, rounds):
    """One size, in this process: returns a dict of figures."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-content-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="clinic_site.settings",
        DJANGO_SECRET_KEY="bench-only-secret-key-bench-only-secret-key-bench-only",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_VAR_DIR=str(tmp),
        DJANGO_STATIC_ROOT=f"{tmp}/static",
        DJANGO_GENERATED_DIR=f"{tmp}/generated",
        CONTENT_DIR=f"{tmp}/content",
    )
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from blog.content import sync_content
    from blog.models import Article, Page, Tag

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    for model in (Article, Page, Tag):  # a scratch DATABASE_URL may hold an earlier size
        model.objects.all().delete()
    cache.clear()

    content = tmp / "content"
    keys = write_content(content, size)
    # git dates the undated files, as in a real checkout.
    subprocess.run(["git", "init", "-q", str(content)], check=True)
    subprocess.run(["git", "-C", str(content), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(content), "-c", "user.name=bench", "-c", "user.email=b@localhost",
         "commit", "-qm", "content"],
        check=True,
    )  # fmt: skip

    figures = {"size": size}
    wall = time.perf_counter()
    figures["full_cpu"], report = cpu(lambda: sync_content(content))
    figures["full_wall"] = time.perf_counter() - wall
    assert not report.errors, report.errors[:3]
    assert len(report.created) == size + 7, (len(report.created), size)
    figures["idle_cpu"], report = cpu(lambda: sync_content(content))
    assert not report.changed

    # One-file edits: articles in the most common tag (the most neighbours), alternately a
    # body edit and a tag edit.
    popular = [n for n, (tags, _) in keys.items() if TAGS[0] in tags] or list(keys)
    rng = random.Random(1)
    edits = []
    for round_ in range(rounds):
        n = popular[(round_ * 7919) % len(popular)]
        path = content / "articles" / f"synthetic-article-{n:05d}.md"
        text = path.read_text()
        if round_ % 2:
            new_tags = sorted(set(rng.sample(TAGS, 3)))
            text = re.sub(r"^tags: .*$", f"tags: [{', '.join(new_tags)}]", text, flags=re.M)
        else:
            text = text.replace("## Section 2", "## Section two, edited", 1)
        path.write_text(text)
        seconds, report = cpu(lambda: sync_content(content))
        assert report.updated == [f"articles/{path.name}"], report.updated
        edits.append(seconds)
    figures["edit_cpu"] = statistics.median(edits)
    figures["edit_cpu_all"] = edits

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.get("/robots.txt")  # the process's first request loads what every request needs
    for name, url in [("sitemap", "/sitemap.xml"), ("rss", "/blog/feed/rss/")]:
        started = time.perf_counter()
        response = client.get(url)
        figures[f"{name}_first"] = time.perf_counter() - started
        assert response.status_code == 200
        figures[f"{name}_bytes"] = len(response.content)
        later = []
        for _ in range(rounds):
            # A visitor with a cookie is never served from the page cache: a page-cache miss,
            # the content unchanged.
            started = time.perf_counter()
            response = client.get(url, HTTP_COOKIE="bench=1")
            later.append(time.perf_counter() - started)
            assert response.status_code == 200
        figures[f"{name}_miss"] = statistics.median(later)
    figures["sitemap_urls"] = response_count(client)

    # Related articles for every article, in memory: RelatedIndex and the simpler design.
    articles = [(set(tags), set(services)) for tags, services in keys.values()]
    figures["link_lists_cpu"], _ = cpu(lambda: related_by_tag_lists(articles))
    figures["link_index_cpu"], _ = cpu(lambda: related_by_index(articles))
    shutil.rmtree(tmp, ignore_errors=True)
    return figures


def response_count(client):
    return client.get("/sitemap.xml").content.count(b"<url>")


def run(sizes, databases, rounds):
    """Each size on each configuration, each in a fresh process."""
    rows = []
    for database in databases:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        if database == "PostgreSQL":
            env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
            env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        for size in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--rounds", str(rounds)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=env,
            ).stdout
            rows.append({"database": database, **json.loads(out.strip().splitlines()[-1])})
            print(f"{database}, {size} articles: {rows[-1]}", file=sys.stderr)
    return rows


def table(rows):
    def ms(seconds):
        return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"

    lines = [
        "| articles | database | full sync (wall / CPU) | nothing changed (CPU) |"
        " one-file edit (CPU) | sitemap: first request after a sync / a later miss |"
        " sitemap size (URLs) | RSS: first / later miss |"
        " related articles of all, in memory: a list per tag / RelatedIndex (CPU) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['size']:,} | {row['database']} |"
            f" {ms(row['full_wall'])} / {ms(row['full_cpu'])} |"
            f" {ms(row['idle_cpu'])} | {ms(row['edit_cpu'])} |"
            f" {ms(row['sitemap_first'])} / {ms(row['sitemap_miss'])} |"
            f" {row['sitemap_bytes'] / 1000:,.0f} KB ({row['sitemap_urls']:,}) |"
            f" {ms(row['rss_first'])} / {ms(row['rss_miss'])} |"
            f" {ms(row['link_lists_cpu'])} / {ms(row['link_index_cpu'])} |"
        )
    return "\n".join(lines)


def write_results(text):
    results = ROOT / "bench" / "RESULTS.md"
    start, end = "<!-- growth-content:start -->", "<!-- growth-content:end -->"
    current = results.read_text()
    block = f"{start}\n{text}\n{end}"
    if start in current:
        current = re.sub(f"{start}.*?{end}", lambda _: block, current, flags=re.S)
    else:
        current += f"\n## Content growth (`bench/growth_content.py`)\n\n{block}\n"
    results.write_text(current)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 5000])
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["SQLite", "PostgreSQL"],
        default=["SQLite", "PostgreSQL"],
        help="PostgreSQL: BENCH_DATABASE_URL and BENCH_REDIS_URL (scratch ones; `make bench` sets"
        " them)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="Write the table to RESULTS.md.")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.rounds)))
        return
    load = os.getloadavg()[0]
    rows = run(args.sizes, args.databases, args.rounds)
    text = (
        f"Measured {datetime.now():%Y-%m-%d} on {os.cpu_count()} cores, Python"
        f" {sys.version.split()[0]}; SQLite with the database cache, PostgreSQL with Redis (the"
        f" shared cache); load average (1 min) {load:.2f} at the start,"
        f" {os.getloadavg()[0]:.2f} at the end. CPU times are the sync process's own"
        f" (`time.process_time`); an edit is the median of {args.rounds}.\n\n" + table(rows)
    )
    print(text)
    if args.write:
        write_results(text)


if __name__ == "__main__":
    main()
