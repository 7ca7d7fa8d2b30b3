"""How fast the triage list answers with 100,000 requests in the table.

    .venv/bin/python bench/admin_changelist.py [--rows 100000] [--repeat 15]

Builds a throw-away database (SQLite in a temp folder, or DATABASE_URL if set -- it must be a
scratch database: the script migrates it and fills it), signs in a front-desk user with a
verified second factor, and times the admin list under production settings: median and 95th
percentile server time per page, and queries per page.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

URLS = [
    ("all requests", ""),
    ("new", "?status__exact=new"),
    ("new Spravato", "?status__exact=new&service__exact=spravato"),
    ("overdue", "?overdue=yes"),
    ("assigned to me", "?assigned=me"),
    ("unassigned", "?assigned=nobody"),
    ("search by name", "?q=Last4242"),
    ("search by phone", "?q=(772)%20555-4242"),
    ("page 200", "?p=200"),
    ("one month", "?created_at__year=2026&created_at__month=3"),
    ("referrals", "?source__exact=referral"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="Print each page's queries.")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-admin-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="clinic_site.settings",
        DJANGO_SECRET_KEY="bench-only-secret-key-bench-only-secret-key-bench-only",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_VAR_DIR=tmp,
        DJANGO_STATIC_ROOT=f"{tmp}/static",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth.models import Group, User
    from django.db.models.functions import Mod
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from appointments.models import AppointmentRequest
    from tests.appointments.factories import make_many

    started = time.perf_counter()
    if AppointmentRequest.objects.count() < args.rows:
        make_many(args.rows - AppointmentRequest.objects.count())
    # One request in 50 is a clinician's referral: the source filter looks for few rows.
    AppointmentRequest.objects.alias(one_in=Mod("pk", 50)).filter(one_in=0).update(
        source="referral"
    )
    if connection.vendor == "sqlite":
        connection.cursor().execute("ANALYZE")
    else:
        connection.cursor().execute("ANALYZE appointments_appointmentrequest")
    rows = AppointmentRequest.objects.count()
    print(f"{rows} rows ready in {time.perf_counter() - started:.1f} s")

    user, _ = User.objects.get_or_create(username="bench-desk", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Front desk"))
    AppointmentRequest.objects.filter(pk__in=AppointmentRequest.objects.values("pk")[:500]).update(
        assignee=user
    )
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user, backend="staff.backends.ModelBackendOneQuery")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    base = "/admin/appointments/appointmentrequest/"
    client.get(base)  # warm-up: template loading, the once-a-minute session refresh
    print(f"\nDatabase: {connection.vendor}; {args.repeat} requests per page\n")
    print("| page | median ms | p95 ms | queries |")
    print("| --- | ---: | ---: | ---: |")
    worst = 0.0
    for label, query in URLS:
        timings = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(base + query)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        worst = max(worst, p95)
        print(f"| {label} | {statistics.median(timings):.0f} | {p95:.0f} | {len(queries)} |")
        if args.explain:
            for q in queries.captured_queries:
                print(f"    {float(q['time']) * 1000:6.1f} ms  {q['sql'][:150]}")
    print(f"\nWorst p95: {worst:.0f} ms (target < 250 ms)")


if __name__ == "__main__":
    main()
