"""How many appointment requests a second the Contact form takes under `make serve`, and
whether every accepted request is in the database afterwards.

    .venv/bin/python bench/post_throughput.py [--requests 600] [--concurrency 16]

Runs the production configuration under gunicorn (gunicorn.conf.py, DEBUG off) on a scratch
database (SQLite in a temp folder, or DATABASE_URL if set -- a scratch database: it is
migrated and written to), with a local SMTP sink so every request also sends its two e-mails.
Each simulated visitor loads the form (its own CSRF cookie and form token), waits the 3 seconds
a person needs, then all of them submit at once.
"""

import argparse
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support.forms import load_form, submit
from tests.support.servers import ROOT, free_port, production_server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: conf)")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    smtp = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    smtp.start()

    extra = {
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "APPOINTMENT_NOTIFY_EMAILS": "front-desk@clinic.example",
        # One machine plays every visitor: lift the per-client limit for the measurement.
        "APPOINTMENT_RATE_LIMIT": "1000000",
    }
    if args.workers:
        extra["WEB_CONCURRENCY"] = str(args.workers)
    try:
        with production_server(**extra) as (base, env, manage):
            port = int(base.rsplit(":", 1)[1])
            with ThreadPoolExecutor(args.concurrency) as pool:
                forms = list(pool.map(lambda n: load_form(port, n), range(args.requests)))
            time.sleep(3.5)  # as long as a person takes, at least
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda f: submit(port, *f), forms))
            elapsed = time.perf_counter() - started
    finally:
        smtp.stop()

    accepted = sum(1 for status, location, _ in results if status == 302 and "thanks" in location)
    statuses = sorted({status for status, _, _ in results})
    latencies = sorted(t * 1000 for _, _, t in results)
    count = subprocess.run(
        manage + ["shell", "-c", "from appointments.models import AppointmentRequest as A;"
                  "print(A.objects.count(), A.objects.filter(emails__kind='staff',"
                  " emails__state='sent').count())"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    stored, notified = int(count[-2]), int(count[-1])
    workers = env.get("WEB_CONCURRENCY", "2 x cores + 1")
    print(f"Database: {env['DATABASE_URL'].split(':')[0]}; gunicorn workers: {workers}; "
          f"{args.concurrency} concurrent clients")  # fmt: skip
    print(f"{args.requests} POSTs in {elapsed:.2f} s = {args.requests / elapsed:.0f} requests/s")
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    median = statistics.median(latencies)
    print(f"latency median {median:.0f} ms, p95 {p95:.0f} ms; statuses {statuses}")
    print(f"accepted {accepted}, stored {stored}, staff e-mails sent {notified}, "
          f"lost {accepted - stored}")  # fmt: skip


if __name__ == "__main__":
    main()
