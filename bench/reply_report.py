"""How fast the reply-time report answers with 100,000 requests in the table.

    .venv/bin/python bench/reply_report.py [--rows 100000] [--repeat 15]

Builds a throw-away database (SQLite in a temp folder, or DATABASE_URL if set -- it must be a
scratch database: the script migrates it and fills it), fills it with requests received every
5 minutes (tests/appointments/factories.make_many: 100,000 of them reach back 347 days, so a
week holds 2,016 and a quarter about 26,500, far more than a clinic gets), gives most of them
call attempts and status changes, signs in a clinical lead with a verified second factor and
times the report under production settings: median and 95th percentile server time per page,
and queries per page, for the periods the page offers, its CSV, and a year picked by dates (the
longest period it allows: every request in the table). Target: p95 at most 250 ms.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from in_process import production_django, sign_in  # noqa: E402  (bench/, beside this file)

# The presets the page offers (the target is theirs), the CSV, and the longest period the
# dates allow, a year: every request in the table.
URLS = [
    ("this week", "?period=week"),
    ("last 4 weeks", "?period=4weeks"),
    ("last quarter", "?period=quarter"),
    ("last 4 weeks, CSV", "?period=4weeks&format=csv"),
    ("a year, picked by dates", "?period=dates&start={year_ago}&end={today}"),
    # A yardstick on a busy machine: the triage list's own figures on a quiet one are in
    # bench/RESULTS.md (median 55 ms on SQLite, 72 ms on PostgreSQL).
    ("the triage list, for comparison", "/admin/appointments/appointmentrequest/"),
]


def fill(rows):
    """`rows` requests with what staff would have recorded: for most, a first call some
    minutes to days after receipt and the status change that goes with it; a few urgent."""
    from django.db import connection

    from appointments.models import AppointmentRequest, CallAttempt, StatusChange
    from tests.appointments.factories import make_many

    missing = rows - AppointmentRequest.objects.count()
    if missing <= 0:
        return
    make_many(missing)
    pick = random.Random(27)  # noqa: S311 (made-up waits, the same each run)
    every_50th = list(AppointmentRequest.objects.values_list("pk", flat=True))[::50]
    AppointmentRequest.objects.filter(pk__in=every_50th).update(urgent=True)
    calls, changes = [], []
    requests = AppointmentRequest.objects.exclude(status="spam").values_list(
        "pk", "created_at", "status"
    )
    for pk, received, status in requests.iterator(5000):
        if status == "new" and pk % 5:
            continue  # four in five new requests are still waiting
        first = received + timedelta(minutes=pick.lognormvariate(6, 1.2))
        outcome = "spoke" if status in ("contacted", "scheduled") else "voicemail"
        calls.append(CallAttempt(request_id=pk, outcome=outcome, at=first))
        if pick.random() < 0.3:  # a second try
            calls.append(CallAttempt(request_id=pk, outcome="spoke", at=first + timedelta(days=1)))
        if status != "new":
            changes.append(
                StatusChange(request_id=pk, from_status="new", to_status=status, changed_at=first)
            )
    CallAttempt.objects.bulk_create(calls, batch_size=5000)
    StatusChange.objects.bulk_create(changes, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="Print each page's queries.")
    args = parser.parse_args()

    production_django("bench-report-")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from appointments.models import AppointmentRequest, CallAttempt

    started = time.perf_counter()
    fill(args.rows)
    print(
        f"{AppointmentRequest.objects.count()} requests, {CallAttempt.objects.count()} calls "
        f"ready in {time.perf_counter() - started:.1f} s"
    )

    _, client = sign_in("bench-lead", "Clinical lead")

    base = "/admin/appointments/appointmentrequest/report/"
    client.get(base)  # warm-up: template loading, the once-a-minute session refresh
    print(f"\nDatabase: {connection.vendor}; {args.repeat} requests per page\n")
    # CPU: this process's (the server's Python and, on SQLite, the database's) median time.
    print("| page | requests in the period | median ms | p95 ms | CPU ms | queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    worst = 0.0
    today = timezone.localdate()
    dates = {"today": today, "year_ago": today - timedelta(days=365)}
    for label, query in URLS:
        query = query.format(**dates)
        timings, cpu = [], []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(query if query.startswith("/") else base + query)
                timings.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        context = getattr(response, "context", None)  # none for the CSV
        report = context.get("report") if context else None
        counted = f"{report.total.requests:,}" if report else ""
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        if query.startswith("?period=") and "dates" not in query:
            worst = max(worst, p95)
        median = statistics.median(timings)
        cpu_median = statistics.median(cpu)
        print(
            f"| {label} | {counted} | {median:.0f} | {p95:.0f} | {cpu_median:.0f} "
            f"| {len(queries)} |"
        )
        if args.explain:
            for q in queries.captured_queries:
                print(f"    {float(q['time']) * 1000:6.1f} ms  {q['sql'][:150]}")
    print(f"\nWorst p95 of the presets and the CSV: {worst:.0f} ms (target ≤ 250 ms)")


if __name__ == "__main__":
    main()
