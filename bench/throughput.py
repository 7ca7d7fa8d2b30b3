"""Requests a second for the public pages under `make serve`, as ratios to a whitenoise-served
hashed stylesheet measured in the same run, on both configurations: SQLite with the database
cache, and PostgreSQL with Redis. Writes the table into bench/RESULTS.md.

    .venv/bin/python bench/throughput.py [--duration 8] [--rounds 3] [--only sqlite|postgres]

Needs wrk (Debian: `apt-get install wrk`; `make bench` installs it when missing). The
PostgreSQL run uses BENCH_DATABASE_URL and BENCH_REDIS_URL (scratch ones: the database is
migrated and written to, the Redis db is flushed); without them it is skipped and says so.
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support.servers import production_server

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- throughput:start -->", "<!-- throughput:end -->"
# What a browser sends; the stylesheet is then served brotli-compressed, as a page should be.
HEADERS = {"Accept-Encoding": "gzip, deflate, br", "Accept": "text/html,*/*"}
ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"
PAGES = [
    ("`/`", "/", "0.8"),
    ("`/blog/`", "/blog/", "0.8"),
    ("an article", ARTICLE, "0.8"),
    ("`/services/`", "/services/", "0.8"),
    ("a service page", "/services/spravato/", "0.8"),
    ("a clinic page", "/about/", "0.8"),
    ("`/sitemap.xml`", "/sitemap.xml", "0.8"),
    ("RSS", "/blog/feed/rss/", "0.8"),
    ("Atom", "/blog/feed/atom/", "0.8"),
    ("`/contact/` GET", "/contact/", "0.3"),
    ("`/blog/?q=spravato`", "/blog/?q=spravato", "0.3"),
]


def fetch(url, headers=HEADERS):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own http:// URL)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read()


def wrk(url, duration):
    headers = [arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", *headers, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return rate, int(bad[1]) if bad else 0, errors[1] if errors else ""


def measure(name, duration, rounds, extra_env):
    """[(label, target, ratio, non-2xx, socket errors)] and the stylesheet's mean rate.

    The machine's load drifts (other work shares its cores), so the stylesheet is measured
    before and after every page, each page is compared with the mean of those two, and with
    several rounds the median ratio is reported."""
    loads = [load_average()]
    ratios = {path: [] for _label, path, _target in PAGES}
    failures = {path: [0, ""] for _label, path, _target in PAGES}
    with production_server(**extra_env) as (base, _env, _manage):
        _, html = fetch(base + "/", headers={})
        css = base + re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', html)[1].decode()
        for _label, path, _target in PAGES:
            fetch(base + path)  # warm: the first request renders and stores the page
        static = [wrk(css, duration)[0]]
        for _round in range(rounds):
            for _label, path, _target in PAGES:
                rate, bad, errors = wrk(base + path, duration)
                static.append(wrk(css, duration)[0])
                ratios[path].append(rate / ((static[-2] + static[-1]) / 2))
                failures[path][0] += bad
                failures[path][1] = failures[path][1] or errors
                print(f"{name}: {path} {rate:.0f} req/s, {ratios[path][-1]:.2f}x, "
                      f"non-2xx {bad} {errors}", flush=True)  # fmt: skip
    rows = [
        (label, target, statistics.median(ratios[path]), *failures[path])
        for label, path, target in PAGES
    ]
    reference = sum(static) / len(static)
    loads.append(load_average())
    return reference, [("static CSS (whitenoise, hashed)", "1", 1.0, 0, ""), *rows], loads


def load_average():
    """The 1-minute load average: the machine is shared, and a busy one lowers every rate."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    return (
        f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores ({cpu}), {mem} GiB, "
        f"Python {platform.python_version()}"
    )


def write(results, duration, rounds):
    configs = list(results)
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {machine()}. wrk with 2 threads and 16 "
        f"connections, {duration} s a URL, `Accept-Encoding: gzip, deflate, br`, against "
        "`make serve` (gunicorn, 5 workers, DJANGO_INSECURE_HTTP=1) on loopback; the client "
        "shares the two cores with the server. Each cell is the URL's requests a second as a "
        "ratio to the hashed stylesheet that whitenoise serves in the same run (its rate in "
        f"the first row), measured just before and just after it; the median of {rounds} rounds. "
        "Load average (1 min) at the start and end of each configuration: "
        + "; ".join(
            f"{name} {start:.2f} to {end:.2f}" for name, (_, _, (start, end)) in results.items()
        )
        + ".",
        "",
        "| URL | target | " + " | ".join(configs) + " |",
        "|---|---:|" + "---:|" * len(configs),
    ]
    labels = [row[0] for row in next(iter(results.values()))[1]]
    for i, label in enumerate(labels):
        target = next(iter(results.values()))[1][i][1]
        cells = []
        for config in configs:
            reference, rows, _loads = results[config]
            _, _, ratio, bad, errors = rows[i]
            cell = f"{ratio:.2f}"
            if i == 0:
                cell += f" ({reference:,.0f} req/s)"
            if bad or errors:
                cell += f" ({bad} non-2xx{'; ' + errors if errors else ''})"
            cells.append(cell)
        target = "" if target == "1" else f"≥ {target}"
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines.append(END)
    block = "\n".join(lines)
    put_in_results(block, "Public pages under wrk (`bench/throughput.py`)")
    print(block)


def create_database(url):
    """Create the scratch PostgreSQL database if it does not exist yet."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def put_in_results(block, heading):
    """Put `block` (its own start and end markers included) into RESULTS.md over the block with
    the same markers, or, the first time, at the end under `heading`."""
    start, end = block.split("\n", 1)[0], block.rsplit("\n", 1)[-1]
    text = RESULTS.read_text()
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text += f"\n## {heading}\n\n{block}\n"
    RESULTS.write_text(text)


def configurations(only=None):
    """The two configurations a benchmark compares, by name: the environment each server gets.
    `only` is "sqlite" or "postgres"; PostgreSQL needs BENCH_DATABASE_URL and BENCH_REDIS_URL
    (scratch ones: `make bench` sets them)."""
    configs = {}
    if only != "postgres":
        configs["SQLite + database cache"] = {"REDIS_URL": ""}
        os.environ.pop("DATABASE_URL", None)
    pg, redis = os.environ.get("BENCH_DATABASE_URL"), os.environ.get("BENCH_REDIS_URL")
    if only != "sqlite":
        if pg and redis:
            configs["PostgreSQL + Redis"] = {"DATABASE_URL": pg, "REDIS_URL": redis}
        else:
            print("BENCH_DATABASE_URL and BENCH_REDIS_URL unset: PostgreSQL run skipped.")
    return configs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=8, help="seconds a URL")
    parser.add_argument("--rounds", type=int, default=3, help="median of this many ratios")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    configs = configurations(args.only)
    results = {}
    for name, extra in configs.items():
        if extra.get("DATABASE_URL"):
            create_database(extra["DATABASE_URL"])
        if extra.get("REDIS_URL"):
            import redis as redis_client

            redis_client.Redis.from_url(extra["REDIS_URL"]).flushdb()
        results[name] = measure(name, args.duration, args.rounds, extra)
    write(results, args.duration, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
