"""A cached article through the nginx example (deploy/nginx, its one-second edge cache) against
nginx's own rate for the hashed stylesheet from disk, in the same run (issue 23's target:
at least 0.5 times). Also the article straight from gunicorn, for scale. Writes the table into
bench/RESULTS.md.

    .venv/bin/python bench/edge_cache.py [--duration 8] [--rounds 3]

`make serve`'s configuration (gunicorn, 5 workers, SQLite) behind nginx as tests/support/servers.py
renders it for the tests (only ports and paths differ from production), with nginx running
two worker processes. Needs wrk and nginx. Take figures on a quiet machine (load under 1.5).
"""

import argparse
import re
import statistics
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from throughput import HEADERS, fetch, load_average, machine, wrk

from tests.support.servers import nginx_in_front, production_server

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- edge:start -->", "<!-- edge:end -->"
ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=8, help="seconds a URL")
    parser.add_argument("--rounds", type=int, default=3, help="median of this many ratios")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    loads = [load_average()]
    ratios = {"edge": [], "gunicorn": []}
    rates = {"static": [], "edge": [], "gunicorn": []}
    with (
        production_server(own_database=True) as (base, env, _manage),
        nginx_in_front([base], env["DJANGO_STATIC_ROOT"], workers=2) as urls,
    ):
        front = urls["plain"]
        _, html = fetch(front + "/", headers={})
        css = front + re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', html)[1].decode()
        status, _ = fetch(front + ARTICLE)
        assert status == 200
        for _round in range(args.rounds):
            static_before = wrk(css, args.duration)[0]
            edge = wrk(front + ARTICLE, args.duration)
            direct = wrk(base + ARTICLE, args.duration)
            static_after = wrk(css, args.duration)[0]
            static = (static_before + static_after) / 2
            for name, (rate, bad, errors) in (("edge", edge), ("gunicorn", direct)):
                if bad or errors:
                    raise SystemExit(f"{name}: {bad} non-2xx responses, socket errors {errors}")
                ratios[name].append(rate / static)
                rates[name].append(rate)
            rates["static"].append(static)
            print(
                f"static {static:.0f} req/s, edge {edge[0]:.0f} ({ratios['edge'][-1]:.2f}x), "
                f"gunicorn {direct[0]:.0f} ({ratios['gunicorn'][-1]:.2f}x)",
                flush=True,
            )
    loads.append(load_average())
    median = {name: statistics.median(values) for name, values in rates.items()}
    block = "\n".join(
        [
            START,
            f"Measured {date.today().isoformat()} on {machine()}. wrk with 2 threads and 16 "
            f"connections, {args.duration} s a URL, `{HEADERS['Accept-Encoding']}`; nginx "
            "(2 worker processes) and gunicorn (5 workers, SQLite) on loopback, sharing the two "
            "cores with the client. Each ratio is to nginx's rate for the hashed stylesheet "
            "from disk (gzip_static), measured just before and just after; the median of "
            f"{args.rounds} rounds. Load average (1 min) {loads[0]:.2f} at the start, "
            f"{loads[1]:.2f} at the end.",
            "",
            "| URL | target | requests a second | ratio |",
            "|---|---:|---:|---:|",
            f"| static CSS (nginx, from disk) | | {median['static']:,.0f} | 1.00 |",
            f"| an article through nginx (edge cache) | ≥ 0.5 | {median['edge']:,.0f} | "
            f"{statistics.median(ratios['edge']):.2f} |",
            f"| the same article from gunicorn directly | | {median['gunicorn']:,.0f} | "
            f"{statistics.median(ratios['gunicorn']):.2f} |",
            END,
        ]
    )
    print(block)
    if not args.no_write:
        text = RESULTS.read_text()
        if START in text:
            text = re.sub(
                re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S
            )
        else:
            text += (
                "\n## A cached article at the edge (`bench/edge_cache.py`)\n\n"
                "Issue 23's target: a cached article through the nginx example (deploy/nginx) "
                "at least 0.5 times nginx's own rate for the static file, in the same run.\n\n"
                + block
                + "\n"
            )
        RESULTS.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
