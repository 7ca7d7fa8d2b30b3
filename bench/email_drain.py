"""Do the e-mail workers keep up with the Contact form? E-mails drained a second against the
form's POSTs a second, on PostgreSQL (issue 23: 4 workers must drain 2,000 requests' e-mails at
least as fast as 16 clients post them).

    .venv/bin/python bench/email_drain.py [--requests 2000] [--concurrency 16] [--workers 1,4]

Runs the production configuration under gunicorn (tests/support/servers.py) on PostgreSQL, in a
database of its own (BENCH_DATABASE_URL's name + "_drain", dropped and made anew) with
BENCH_REDIS_URL as the cache, and an SMTP sink on loopback (aiosmtpd, in a process of its own)
that accepts everything.

1. POSTs: the clients load the form, wait the 3 seconds a person needs, then send it at once
   with no worker running: the form's rate, and a queue of 2 e-mails a request.
2. Drain, for each worker count: every e-mail is put back in the queue, held; the workers start
   and settle; then the whole queue comes due at once and the time until the last e-mail is
   recorded as sent is measured. Each request's e-mails are two, so requests drained a second
   are e-mails a second / 2, to compare with POSTs a second.
3. Live: the most workers run while the clients post another batch: POSTs a second with the
   workers beside them, and how long after the last POST the queue is empty.
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support.forms import load_form, submit
from tests.support.servers import ROOT, free_port, production_server, wait_for_port


def recreate(url):
    import psycopg

    base, name = url.split("?")[0].rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def query(url, sql):
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(sql)
        return cursor.fetchone() if cursor.description else None


def post_all(port, count, concurrency, offset=0):
    """Load `count` forms, wait as a person would, send them all; → (seconds, statuses)."""
    with ThreadPoolExecutor(concurrency) as pool:
        forms = list(pool.map(lambda n: load_form(port, offset + n), range(count)))
    time.sleep(3.5)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda form: submit(port, *form), forms))
    return time.perf_counter() - started, sorted({status for status, _, _ in results})


def start_workers(stack, count, env, manage):
    workers = []
    for _ in range(count):
        worker = subprocess.Popen(
            [*manage, "email_worker", "--idle", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        workers.append(worker)
    stack.callback(lambda: [w.terminate() for w in workers] and [w.wait(20) for w in workers])
    return workers


def wait_until_sent(url, timeout=600):
    """Seconds until no e-mail is waiting (polled every 50 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        (waiting,) = query(
            url, "SELECT count(*) FROM appointments_outgoingemail WHERE state <> 'sent'"
        )
        if not waiting:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError(f"{waiting} e-mails still waiting after {timeout} s")


def drain(url, count, env, manage):
    """Time `count` workers draining the whole outbox, queued afresh."""
    query(url, "UPDATE appointments_outgoingemail SET state = 'held', attempts = 0, sent_at = NULL")
    with ExitStack() as stack:
        start_workers(stack, count, env, manage)
        time.sleep(4)  # each worker has started and found nothing due
        query(url, "UPDATE appointments_outgoingemail SET state = 'pending', next_try_at = now()")
        return wait_until_sent(url)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="1,4", help="worker counts to measure")
    args = parser.parse_args()
    worker_counts = [int(n) for n in args.workers.split(",")]

    url, redis = os.environ.get("BENCH_DATABASE_URL"), os.environ.get("BENCH_REDIS_URL")
    if not (url or "").startswith("postgres") or not redis:
        sys.exit("Set BENCH_DATABASE_URL (PostgreSQL) and BENCH_REDIS_URL (a scratch Redis db).")
    url = url.split("?")[0] + "_drain"  # a database of its own, made anew
    recreate(url)

    # The mail server in a process of its own, so that it never waits on this one.
    smtp_port = free_port()
    smtp = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
        + ["-l", f"127.0.0.1:{smtp_port}"]
    )
    wait_for_port(smtp_port)
    extra = {
        "DATABASE_URL": url,
        "REDIS_URL": redis,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "APPOINTMENT_NOTIFY_EMAILS": "front-desk@clinic.example",
        "APPOINTMENT_RATE_LIMIT": "1000000",  # one machine plays every visitor
    }
    lines = []
    try:
        with production_server(**extra) as (base, env, manage):
            port = int(base.rsplit(":", 1)[1])
            seconds, statuses = post_all(port, args.requests, args.concurrency)
            post_rate = args.requests / seconds
            (emails,) = query(url, "SELECT count(*) FROM appointments_outgoingemail")
            lines.append(
                f"POSTs: {args.requests} from {args.concurrency} clients in {seconds:.1f} s ="
                f" {post_rate:.0f} requests/s (statuses {statuses}; {emails} e-mails queued)"
            )
            for count in worker_counts:
                took = drain(url, count, env, manage)
                lines.append(
                    f"drain, {count} worker(s): {emails} e-mails in {took:.1f} s ="
                    f" {emails / took:.0f} e-mails/s = {emails / 2 / took:.0f} requests/s"
                    f" ({emails / 2 / took / post_rate:.2f}× the POST rate)"
                )
            with ExitStack() as stack:
                most = max(worker_counts)
                start_workers(stack, most, env, manage)
                time.sleep(4)
                seconds, statuses = post_all(
                    port, args.requests, args.concurrency, offset=args.requests
                )
                behind = wait_until_sent(url)
                lines.append(
                    f"live, {most} worker(s) beside the form: {args.requests} POSTs in"
                    f" {seconds:.1f} s = {args.requests / seconds:.0f} requests/s (statuses"
                    f" {statuses}); the outbox was empty {behind:.1f} s after the last POST"
                )
    finally:
        smtp.terminate()
        smtp.wait(10)
    (load,) = os.getloadavg()[:1]
    print(f"PostgreSQL; gunicorn workers: {extra.get('WEB_CONCURRENCY', '2 x cores + 1')}")
    print("\n".join(lines))
    print(f"load average at the end: {load:.2f}")


if __name__ == "__main__":
    main()
