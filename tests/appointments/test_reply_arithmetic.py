"""The reply-time report's arithmetic, on hand-made timelines: is each request's first contact
within the clinic's promise of one business day, and were urgent requests called in time?

The week is that of Friday 2026-11-20 in the clinic's zone (America/New_York); "now" is given
to each report, so nothing depends on the day the tests run."""

from dataclasses import replace
from datetime import date, datetime, time
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from appointments.report import Period, Timeline, build, csv_rows
from clinic_site.clinic import Hours, get_clinic

ZONE = ZoneInfo("America/New_York")
HOUR = 3600
NINE_TO_FIVE = (
    Hours(
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
        label="Monday to Friday",
        opens=time(9),
        closes=time(17),
    ),
)
_references = count(1)


@pytest.fixture(autouse=True)
def _clinic_zone(settings):
    settings.TIME_ZONE = "America/New_York"  # DJANGO_TIME_ZONE may say otherwise


def at(day, clock="12:00"):
    """A moment on the clinic's wall clock: at("Fri", "19:00") is Friday 2026-11-20, 7 pm."""
    days = {"Mon": 16, "Tue": 17, "Wed": 18, "Thu": 19, "Fri": 20, "Sat": 21, "Sun": 22}
    days |= {f"next {name}": number + 7 for name, number in days.items()}
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 11, days[day], hour, minute, tzinfo=ZONE)


def request(received, contacted=None, *, closed=False, urgent=False, groups=()):
    return Timeline(
        reference=f"TEST-{next(_references):04d}",
        received=received.timestamp(),
        contacted=contacted.timestamp() if contacted else None,
        closed=closed,
        urgent=urgent,
        groups=groups or ("spravato", "en", "patient"),
    )


def clinic(**facts):
    """The clinic's real facts (one business day promised, no hours, no urgent target), with
    `facts` changed."""
    return replace(get_clinic("en"), **facts)


PERIOD = Period(date(2026, 11, 16), date(2026, 11, 29))


def report_of(*timelines, now=None, **facts):
    return build(list(timelines), PERIOD, now or at("next Fri", "17:00"), clinic=clinic(**facts))


def test_friday_evening_called_monday_morning_is_within_one_business_day():
    report = report_of(request(at("Fri", "19:00"), contacted=at("next Mon", "09:30")))
    assert report.total.within == 1
    assert report.total.percent == 100
    # Business time: Friday 7 pm to midnight, then Monday midnight to 9:30 (whole weekdays).
    assert report.total.median.seconds == 14.5 * HOUR


def test_friday_evening_called_tuesday_afternoon_is_not():
    report = report_of(request(at("Fri", "19:00"), contacted=at("next Tue", "14:00")))
    assert report.total.within == 0
    assert report.total.late == 1
    assert report.total.percent == 0


def test_with_office_hours_and_a_holiday_the_clock_runs_only_while_the_clinic_is_open():
    facts = {"hours": NINE_TO_FIVE, "holidays": (date(2026, 11, 23),)}  # that Monday: closed
    kept = report_of(request(at("Fri", "16:00"), contacted=at("next Tue", "15:00")), **facts)
    # Friday 4 to 5 pm, then Tuesday 9 am to 3 pm: 7 of the 8 hours of a business day.
    assert kept.total.median.seconds == 7 * HOUR
    assert kept.promise == 8 * HOUR
    assert kept.total.within == 1
    missed = report_of(request(at("Fri", "16:00"), contacted=at("next Tue", "16:30")), **facts)
    assert missed.total.within == 0


def test_an_uncontacted_request_counts_as_waiting_not_as_fast():
    now = at("next Wed", "12:00")
    report = report_of(
        request(at("Mon", "09:00"), contacted=at("Mon", "10:00")),  # 1 hour: within
        request(at("Fri", "12:00")),  # never contacted: 3 business days so far
        request(at("next Wed", "11:00")),  # an hour old: neither kept nor missed yet
        now=now,
    )
    total = report.total
    assert total.requests == 3
    assert (total.overdue, total.waiting) == (1, 1)
    # The old one is a missed promise; the new one is left out rather than counted as fast.
    assert (total.within, total.judged, total.percent) == (1, 2, 50)
    # Its wait so far is the slowest time, and a lower bound: it may wait longer yet.
    assert total.p90.seconds == 3 * 24 * HOUR and total.p90.at_least
    assert total.median.seconds == 1 * HOUR and not total.median.at_least


def test_a_request_closed_with_no_contact_is_counted_on_its_own():
    report = report_of(
        request(at("Mon", "09:00"), contacted=at("Mon", "11:00")),
        request(at("Tue", "09:00"), closed=True),
    )
    assert report.total.closed == 1
    assert (report.total.within, report.total.judged) == (1, 1)


def test_an_urgent_request_called_after_two_hours_is_listed_when_the_target_is_one_hour():
    late = request(at("Tue", "10:00"), contacted=at("Tue", "12:00"), urgent=True)
    prompt = request(at("Wed", "10:00"), contacted=at("Wed", "10:30"), urgent=True)
    routine = request(at("Wed", "10:00"), contacted=at("Wed", "15:00"))
    report = report_of(late, prompt, routine, urgent_reply_hours=1)
    assert [u.reference for u in report.urgent_waits] == [late.reference]
    assert report.urgent_waits[0].wait == 2 * HOUR
    assert report.urgent.requests == 2
    assert report.urgent.median.seconds == 0.5 * HOUR


def test_without_an_urgent_target_every_urgent_wait_is_shown_unjudged_longest_first():
    slow = request(at("Tue", "10:00"), contacted=at("Tue", "15:00"), urgent=True)
    quick = request(at("Wed", "10:00"), contacted=at("Wed", "10:10"), urgent=True)
    closed = request(at("Thu", "10:00"), closed=True, urgent=True)
    report = report_of(quick, slow, closed)
    assert report.urgent_target is None
    # A request closed with no contact recorded comes first: its wait is unknown.
    assert [u.reference for u in report.urgent_waits] == [
        closed.reference,
        slow.reference,
        quick.reference,
    ]


def test_half_and_nine_in_ten_were_contacted_within_the_median_and_the_90th_percentile():
    timelines = [
        request(at("Mon", "08:00"), contacted=at("Mon", f"{8 + hours:02d}:00"))
        for hours in range(1, 11)
    ]
    report = report_of(*reversed(timelines))
    assert report.total.median.seconds == 5 * HOUR
    assert report.total.p90.seconds == 9 * HOUR


def test_the_share_is_rounded_down_so_one_miss_in_many_never_shows_as_100_percent():
    kept = [request(at("Mon", "09:00"), contacted=at("Mon", "10:00")) for _ in range(299)]
    missed = request(at("Mon", "09:00"), contacted=at("Thu", "10:00"))
    report = report_of(*kept, missed)
    assert report.total.share == pytest.approx(299 / 300)
    assert report.total.percent == 99


def test_weeks_and_breakdowns_group_the_same_requests():
    report = report_of(
        request(at("Mon", "09:00"), contacted=at("Mon", "10:00"), groups=("tms", "es", "patient")),
        request(at("Fri", "09:00"), contacted=at("next Wed", "10:00")),
        request(at("next Tue", "09:00"), contacted=at("next Tue", "09:05")),
    )
    (first_week, first), (second_week, second) = report.weeks
    assert first_week == (date(2026, 11, 16), date(2026, 11, 22))
    assert (first.requests, first.within) == (2, 1)
    assert (second.requests, second.within) == (1, 1)
    services = dict(report.groups("service"))
    assert services["Spravato (esketamine) evaluation"].requests == 2
    assert services["TMS therapy evaluation"].within == 1
    assert dict(report.groups("language"))["Español"].requests == 1
    assert dict(report.groups("source"))["Patient"].requests == 3
    rows = list(csv_rows(report))
    header, everything = rows[0], rows[1]
    assert dict(zip(header, everything, strict=True))["Share within the promise (%)"] == 66


@pytest.mark.parametrize(
    ("preset", "today", "first", "last"),
    [
        ("week", date(2026, 11, 20), date(2026, 11, 16), date(2026, 11, 20)),
        ("4weeks", date(2026, 11, 20), date(2026, 10, 24), date(2026, 11, 20)),
        ("quarter", date(2026, 11, 20), date(2026, 7, 1), date(2026, 9, 30)),
        ("quarter", date(2026, 2, 3), date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_the_periods_the_lead_can_pick(preset, today, first, last):
    period = Period.of(preset, today)
    assert (period.first, period.last) == (first, last)
    assert len(Period.of("4weeks", today).weeks()) == 4
