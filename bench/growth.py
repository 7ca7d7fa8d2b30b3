"""Search and a worker's memory as the content grows: synthetic articles in the real front-matter
format at each size, loaded by the release step (`sync_content`) as production loads them, on
both configurations. Writes the table into bench/RESULTS.md.

    .venv/bin/python bench/growth.py [--sizes 10,1000,5000] [--duration 4] [--rounds 3]
                                     [--only sqlite|postgres] [--no-write]

For each size: a search for a word that every article holds (the worst case: every article
matches), as a ratio to the hashed stylesheet whitenoise serves in the same run (measured just
before and after it, median of the rounds); a cached article page the same way; and the largest
gunicorn worker's resident memory (VmRSS) after the runs, when every worker has served searches
and pages. Needs wrk; the PostgreSQL run uses BENCH_DATABASE_URL and BENCH_REDIS_URL (scratch:
the database is emptied and refilled, the Redis db flushed), as bench/throughput.py does.
"""

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from throughput import (
    configurations,
    create_database,
    fetch,
    load_average,
    machine,
    put_in_results,
    wrk,
)

from tests.support.servers import ROOT, production_server

START, END = "<!-- growth:start -->", "<!-- growth:end -->"
# In every synthetic article (and in the real ones), as a patient might search for it.
WORD = "depression"
SEARCH = f"/blog/?q={WORD}"
TOPICS = ["esketamine", "TMS", "therapy", "sleep", "family", "medication", "exercise", "work"]


def write_articles(folder, count, seed=2026):
    """`count` articles in content/articles/ as an author writes them: YAML front matter (title,
    slug, summary, date, author, tags, services) and a Markdown body of about 600 words drawn
    from the real articles' sentences, each with WORD in it."""
    rng = random.Random(seed)  # noqa: S311 (text for a benchmark, not a secret)
    sentences = []
    for path in sorted((ROOT / "content" / "articles").glob("*.md")):
        body = path.read_text().split("\n---\n", 1)[1]
        text = " ".join(line for line in body.splitlines() if line and line[0].isalpha())
        sentences += [s.strip() + "." for s in re.split(r"(?<=[a-z])\.\s", text) if len(s) > 40]
    articles = folder / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    first = date(2020, 1, 1)
    for n in range(count):
        topic = TOPICS[n % len(TOPICS)]
        paragraphs = [
            " ".join(rng.sample(sentences, 5)) + f" Living with {WORD} is different for everyone."
            for _ in range(6)
        ]
        sections = [
            f"## {topic.title()} and you, part {i + 1}\n\n{p}" for i, p in enumerate(paragraphs)
        ]
        (articles / f"article-{n:05d}.md").write_text(
            "---\n"
            f'title: "Notes on {topic}, number {n}"\n'
            f"slug: article-{n:05d}\n"
            f'summary: "What patients ask about {topic} in treatment-resistant {WORD}, part {n}."\n'
            f"published: {(first + timedelta(days=n % 2000)).isoformat()}\n"
            "author: Dylan Chase\n"
            f"tags: [{topic}, treatment-resistant depression]\n"
            f"services: [{'spravato' if n % 2 else 'tms'}]\n"
            "---\n\n" + "\n\n".join(sections) + "\n"
        )


def content_folder(count):
    """A content folder with the clinic's real pages and facts, and `count` synthetic articles."""
    folder = Path(tempfile.mkdtemp(prefix=f"growth-{count}-"))
    shutil.copytree(ROOT / "content" / "pages", folder / "pages")
    shutil.copytree(ROOT / "content" / "includes", folder / "includes")
    shutil.copy(ROOT / "content" / "clinic.toml", folder / "clinic.toml")
    write_articles(folder, count)
    return folder


def worker_memory(var_dir):
    """{pid: VmRSS in MB} of the gunicorn workers serving from var_dir (the master excluded)."""
    mine = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"DJANGO_VAR_DIR={var_dir}".encode() not in (proc / "environ").read_bytes():
                continue
            status = (proc / "status").read_text()
        except OSError:
            continue
        if "gunicorn" not in (proc / "cmdline").read_bytes().decode(errors="replace"):
            continue
        ppid = int(re.search(r"PPid:\s+(\d+)", status)[1])
        rss = int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024
        mine[int(proc.name)] = (ppid, rss)
    return {pid: rss for pid, (ppid, rss) in mine.items() if ppid in mine}


def measure(name, size, duration, rounds, extra_env):
    folder = content_folder(size)
    started = time.monotonic()
    with production_server(CONTENT_DIR=str(folder), **extra_env) as (base, env, _manage):
        release = time.monotonic() - started
        _, html = fetch(base + "/", headers={})
        css = base + re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', html)[1].decode()
        status, page = fetch(base + SEARCH, headers={})
        found = re.search(rb"(More than \d+|\d+) articles? found", page)
        article = base + "/blog/article-00000/"
        fetch(article)
        ratios = {"search": [], "article": []}
        static = [wrk(css, duration)[0]]
        for _round in range(rounds):
            for label, url in (("search", base + SEARCH), ("article", article)):
                rate, bad, errors = wrk(url, duration)
                static.append(wrk(css, duration)[0])
                ratios[label].append(rate / ((static[-2] + static[-1]) / 2))
                print(f"{name} {size}: {label} {rate:.0f} req/s, {ratios[label][-1]:.2f}x, "
                      f"non-2xx {bad} {errors}", flush=True)  # fmt: skip
        memory = worker_memory(env["DJANGO_VAR_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "search": statistics.median(ratios["search"]),
        "article": statistics.median(ratios["article"]),
        "static": statistics.mean(static),
        "found": found[1].decode() if found else "?",
        "memory": max(memory.values()) if memory else float("nan"),
        "release": release,
    }


def write(results, duration, rounds, loads):
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {machine()}: `bench/growth.py --duration "
        f"{duration} --rounds {rounds}`. Synthetic articles (real front matter, about 600 words "
        f"each, every one holding “{WORD}”) loaded by the release step; gunicorn with 5 workers "
        "as `make serve` runs it; wrk with 2 threads and 16 connections. Search and article: "
        "requests a second as a ratio to the hashed stylesheet in the same run (median of the "
        "rounds). Memory: the largest worker's VmRSS after the runs. Release: migrate, sync "
        "and collectstatic, seconds. Load average (1 min) at the start and end: "
        + "; ".join(f"{name} {a:.2f} to {b:.2f}" for name, (a, b) in loads.items())
        + ".",
        "",
        "| configuration | articles | search `?q=" + WORD + "` (target) | found | an article "
        "(cached) | worker memory (target) | release |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    targets = {1000: ("≥ 0.3", "< 80 MB"), 5000: ("≥ 0.2", "")}
    for (config, size), r in results.items():
        search_target, memory_target = targets.get(size, ("", ""))
        lines.append(
            f"| {config} | {size:,} | {r['search']:.2f}"
            + (f" ({search_target})" if search_target else "")
            + f" | {r['found']} | {r['article']:.2f} | {r['memory']:.0f} MB"
            + (f" ({memory_target})" if memory_target else "")
            + f" | {r['release']:.0f} s |"
        )
    lines.append(END)
    block = "\n".join(lines)
    put_in_results(block, "Search and memory as the content grows (`bench/growth.py`)")
    print(block)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,5000")
    parser.add_argument("--duration", type=int, default=4, help="seconds a URL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    configs = configurations(args.only)
    results, loads = {}, {}
    for name, extra in configs.items():
        start = load_average()
        for size in [int(s) for s in args.sizes.split(",")]:
            if extra.get("DATABASE_URL"):
                reset_database(extra["DATABASE_URL"])
            if extra.get("REDIS_URL"):
                import redis as redis_client

                redis_client.Redis.from_url(extra["REDIS_URL"]).flushdb()
            results[name, size] = measure(name, size, args.duration, args.rounds, extra)
        loads[name] = (start, load_average())
    if args.no_write:
        print(results)
    else:
        write(results, args.duration, args.rounds, loads)


def reset_database(url):
    """An empty scratch database for each size: the last size's articles must not linger."""
    import psycopg

    create_database(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


if __name__ == "__main__":
    sys.exit(main())
