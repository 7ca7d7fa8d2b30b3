"""Lighthouse 12 against `make serve`: home, an article and the Contact page (and the Spanish
home and Contact pages), mobile and desktop. Prints a table and writes bench/RESULTS.md's
Lighthouse section.

    make bench          (installs Lighthouse into bench/node_modules first)

Needs Chromium at CHROME_PATH (default /usr/bin/chromium).
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support.servers import production_server

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
PAGES = [
    ("Home", "/"),
    ("Article", "/blog/esketamine-therapy-for-treatment-resistant-depression/"),
    ("Contact", "/contact/"),
    ("Inicio (es)", "/es/"),
    ("Contacto (es)", "/es/contact/"),
]
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --no-first-run --disable-sync --disable-quic"
)


def run(url, preset):
    out = Path(tempfile.mkdtemp()) / "report.json"
    command = [
        str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
    ]  # fmt: skip
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    for _attempt in range(3):
        # Lighthouse now and then fails to read Chromium's trace (NO_NAVSTART): run it again.
        if subprocess.run(command, env=env, check=False).returncode == 0:
            break
    else:
        raise RuntimeError(f"Lighthouse failed three times on {url}")
    report = json.loads(out.read_text())
    audits = report["audits"]
    return {
        "scores": {k: round(v["score"] * 100) for k, v in report["categories"].items()},
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "held_back": [
            audit["title"]
            for audit in audits.values()
            if audit.get("score") is not None
            and audit["score"] < 0.9
            and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
        ],
    }


def main():
    rows = []
    with production_server() as (base, _env, _manage):
        for label, path in PAGES:
            for preset in ("mobile", "desktop"):
                result = run(base + path, preset)
                rows.append((label, path, preset, result))
                s = result["scores"]
                print(
                    f"{label:8} {preset:7} perf {s['performance']} a11y {s['accessibility']} "
                    f"best {s['best-practices']} seo {s['seo']} "
                    f"LCP {result['lcp']:.0f} ms CLS {result['cls']:.3f} "
                    f"TBT {result['tbt']:.0f} ms {result['bytes'] / 1024:.1f} KB"
                )

    table = [
        "| page | preset | performance | accessibility | best practices | SEO | LCP | CLS | TBT "
        "| bytes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, path, preset, r in rows:
        s = r["scores"]
        table.append(
            f"| {label} (`{path}`) | {preset} | {s['performance']} | {s['accessibility']} | "
            f"{s['best-practices']} | {s['seo']} | {r['lcp']:.0f} ms | {r['cls']:.3f} | "
            f"{r['tbt']:.0f} ms | {r['bytes'] / 1024:.1f} KB |"
        )
    held = sorted({title for *_, r in rows for title in r["held_back"]})
    section = "\n".join(
        [
            "## Lighthouse",
            "",
            f"Run {date.today().isoformat()} on {platform.machine()} Linux, "
            f"{os.cpu_count()} cores, Lighthouse 12.8 with Debian Chromium, against `make "
            "serve` (gunicorn, DEBUG off, whitenoise) on loopback with `DJANGO_INSECURE_HTTP=1`. "
            "Mobile uses Lighthouse's default throttling (simulated slow 4G, 4x CPU slowdown); "
            "desktop uses `--preset=desktop`.",
            "",
            *table,
            "",
            "Audits scoring under 90 on any run: " + (", ".join(held) if held else "none") + ".",
            "",
        ]
    )
    results = HERE / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n\n"
    start = text.find("## Lighthouse")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    results.write_text(text)
    print(f"\nWrote {results}")


if __name__ == "__main__":
    main()
