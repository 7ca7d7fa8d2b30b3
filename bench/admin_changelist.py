"""How fast the triage list, its filters and search, a request's page and the CSV export
answer as the requests grow.

    .venv/bin/python bench/admin_changelist.py [--rows 100000] [--days 347] [--repeat 15]

`--days`: the requests are received evenly over this many days back from now (10,000 in 30
days: a busy month; 100,000 in 347 days: a request every 5 minutes).

Builds a throw-away database (SQLite in a temp folder, or DATABASE_URL if set -- it must be a
scratch database: the script migrates it and fills it), signs in a front-desk user and a
clinical lead with a verified second factor, and times them under production settings: median
and 95th percentile server time per page, and queries per page. The requests are
tests/appointments/factories.make_many's, with every 50th urgent, every 40th sent again by the
same person (a possible duplicate), a callback booked on every 30th (today, or in the past or
future) and every 100th named Ramírez (half of them typed without the accent).

Targets (issue 23): the list, the urgent and overdue filters and a request page p95 ≤ 250 ms,
search by name or phone p95 ≤ 400 ms, the export of 10,000 requests under 5 s.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from in_process import production_django, sign_in  # noqa: E402  (bench/, beside this file)

# (label, query, target p95 ms)
URLS = [
    ("all requests", "", 250),
    ("new", "?status__exact=new", 250),
    ("new Spravato", "?status__exact=new&service__exact=spravato", 250),
    ("urgent", "?urgent__exact=1", 250),
    ("overdue", "?overdue=yes", 250),
    ("today", "?today=yes", 250),
    ("callbacks due", "?callback=yes", 250),
    ("assigned to me", "?assigned=me", 250),
    ("unassigned", "?assigned=nobody", 250),
    ("possible duplicates", "?duplicates=yes", 250),
    ("search by name", "?q=Last4242", 400),
    ("search by name, no accent", "?q=Ramirez", 400),
    ("search by phone", "?q=(772)%20555-4242", 400),
    # Two letters are shorter than a trigram: no index serves them, on either database.
    ("search by a two-letter name", "?q=Ng", 400),
    ("referrals", "?source__exact=referral", 250),
    ("page 200", "?p=200", 250),
    ("one month", "?created_at__year={year}&created_at__month={month}", 250),
]


def populate(rows, days):
    """`rows` requests over `days` days, with urgent ones, duplicates, callbacks and accents."""
    from django.db import transaction
    from django.utils import timezone

    from appointments.models import AppointmentRequest, queue_rank_expression, search_text_of
    from tests.appointments.factories import make_many

    today = timezone.localdate()
    for start in range(0, rows, 50_000):  # in slices: a million objects would not fit
        made = make_many(
            min(50_000, rows - start), spacing=timedelta(days=days) / rows, first=start
        )
        changed = []
        for n, request in enumerate(made, start):
            if n % 50 == 0:
                request.urgent = True
            if n % 40 == 1:  # the same person as the request before, minutes later
                request.email = f"p{n - 1}@example.org"
            if n % 30 == 0:
                request.callback_due_on = today + timedelta(days=(n // 30) % 5 - 2)
            if n % 100 == 0:
                request.last_name = "Ramírez" if n % 200 else "Ramirez"
            if n % 50 == 25:  # a clinician's referral: the source filter looks for few rows
                request.source = "referral"
            if not (n % 50 not in (0, 25) and n % 40 != 1 and n % 30 and n % 100):
                request.search_text = search_text_of(request)
                changed.append(request)
        with transaction.atomic():
            AppointmentRequest.objects.bulk_update(
                changed,
                ["urgent", "email", "callback_due_on", "last_name", "source", "search_text"],
                batch_size=2000,
            )
    AppointmentRequest.objects.update(queue_rank=queue_rank_expression())
    for start in range(0, rows, 5000):  # bulk rows: save() did not mark them
        batch = AppointmentRequest.objects.filter(pk__gt=start, pk__lte=start + 5000)
        batch.mark_possible_duplicates()


def timed(client, repeat, send):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, cpu = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            t0, c0 = time.perf_counter(), time.process_time()
            response = send(client)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return statistics.median(timings), p95, statistics.median(cpu), queries, response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=None, help="Default: 5 minutes apart.")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--export-repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="Print each page's queries.")
    args = parser.parse_args()
    days = args.days or args.rows * 5 / (24 * 60)

    production_django("bench-admin-")
    from django.db import connection
    from django.utils import timezone

    from appointments.models import AppointmentRequest

    started = time.perf_counter()
    if not AppointmentRequest.objects.exists():
        populate(args.rows, days)
    if connection.vendor == "sqlite":
        connection.cursor().execute("ANALYZE")
    else:
        connection.cursor().execute("VACUUM ANALYZE appointments_appointmentrequest")
    rows = AppointmentRequest.objects.count()
    print(f"{rows} rows over {days:.0f} days ready in {time.perf_counter() - started:.1f} s")

    desk, client = sign_in("bench-desk", "Front desk")
    AppointmentRequest.objects.filter(pk__in=AppointmentRequest.objects.values("pk")[:500]).update(
        assignee=desk
    )
    _, lead = sign_in("bench-lead", "Clinical lead")

    base = "/admin/appointments/appointmentrequest/"
    client.get(base)  # warm-up: template loading, the once-a-minute session refresh
    lead.get(base)
    now = timezone.localtime()
    load = os.getloadavg()[0]
    print(f"\nDatabase: {connection.vendor}; {rows:,} requests; load average {load:.1f}")
    print(f"{args.repeat} requests per page\n")
    # CPU: this process's (Python, and on SQLite the database's too), which a loaded machine
    # disturbs less than the wall clock.
    print("| page | median ms | p95 ms | target | CPU ms | queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    over = []

    def report(label, median, p95, cpu, target, queries):
        mark = "" if p95 <= target else " (over)"
        print(
            f"| {label} | {median:.0f} | {p95:.0f}{mark} | {target} | {cpu:.0f} | {len(queries)} |"
        )
        if p95 > target:
            over.append(label)
        if args.explain:
            for q in queries.captured_queries:
                print(f"    {float(q['time']) * 1000:6.1f} ms  {q['sql'][:200]}")

    for label, query, target in URLS:
        url = base + query.format(year=now.year, month=now.month)
        median, p95, cpu, queries, _ = timed(client, args.repeat, lambda c, url=url: c.get(url))
        report(label, median, p95, cpu, target, queries)

    urgent = AppointmentRequest.objects.filter(urgent=True).order_by("-created_at").first()
    page = f"{base}{urgent.pk}/change/"
    median, p95, cpu, queries, _ = timed(client, args.repeat, lambda c: c.get(page))
    report("a request's page (urgent, a duplicate)", median, p95, cpu, 250, queries)

    # The export as the lead runs it ("select all" on the list): every request there is at
    # 10,000, otherwise last month's (about 9,000 at a request every 5 minutes).
    query = ""
    if rows > 10_000:
        last_month = now.replace(day=1) - timedelta(days=1)
        query = f"?created_at__year={last_month.year}&created_at__month={last_month.month}"
    form = {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": "1"}
    median, p95, cpu, queries, response = timed(
        lead, args.export_repeat, lambda c: c.post(base + query, form)
    )
    exported = response.content.count(b"\n") - 1
    report(f"CSV export of {exported:,}", median, p95, cpu, 5000, queries)

    print(f"\nOver target: {', '.join(over) or 'none'}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
