"""The reply-time report: is the promise ("we reply within one business day") kept?

For the requests received in a period: the business time from receipt to the first contact
attempt, judged against the clinic's promise (content/clinic.toml: `reply_within` in words,
`reply_business_days` as a number) and, for urgent requests, against the clinic's urgent target
(`urgent_reply_hours`, when it sets one). Business time is clinic_site.business_hours.

Plain functions, no HTTP: `timelines` reads the period's requests in one query, `build` does the
arithmetic (tested on hand-made timelines), `csv_rows` and `chart_rows` lay the figures out for
the page (appointments/report_views.py). No name, contact detail or message is read: times,
the service and language asked in, and the references of urgent requests, to list them.
"""

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.utils import timezone

from clinic_site.business_hours import EPOCH, HOUR, BusinessClock
from clinic_site.clinic import Service, get_clinic

from .models import AppointmentRequest, CallAttempt, StatusChange, local_time

Status = AppointmentRequest.Status

# What counts as the first contact attempt: the first call logged, or the first change of status
# to Contacted or Scheduled, whichever came first. The status counts too because a call is not
# the only reply: patients may ask for an e-mail or a text (contact_method), which staff answer
# outside the admin and record by marking the request Contacted, and staff who mark a request
# Contacted with a note about the call, as the staff manual's front desk does, did call.
# Scheduling an evaluation means the patient was reached. Closing or declining does not: nothing
# shows that the patient heard from the clinic (see CLOSED).
CONTACT_STATUSES = [Status.CONTACTED, Status.SCHEDULED]
FINISHED_STATUSES = [Status.SCHEDULED, Status.CLOSED, Status.DECLINED]

# Urgent: flagged when it arrived (a yes to the safety question, or crisis language), whether or
# not staff cleared the flag since: the flag asks for a call first, and a false alarm still costs
# that call (staff manual, "The urgent flag"). The reasons, kept when the flag is cleared, say so;
# a request flagged before reasons were kept counts while it is still flagged.
FLAGGED_URGENT = Q(urgent=True) | ~Q(urgent_reasons=[])

PRESETS = {"week": "This week", "4weeks": "Last 4 weeks", "quarter": "Last quarter"}
# A period picked by dates is at most a year: requests are kept about that long
# (APPOINTMENT_RETENTION_DAYS), and the report's one query stays bounded.
LONGEST_PERIOD = timedelta(days=366)
# The urgent requests listed by reference, at most (longest waits first).
URGENT_LISTED = 100


@dataclass(frozen=True)
class Breakdown:
    title: str
    values: object  # the column or expression the requests are grouped by
    labels: dict


# The report's breakdowns: a title, what groups the requests (read in the report's one query)
# and each group's label. The source: the patient's own request, or a clinician's referral.
BREAKDOWNS = {
    "service": Breakdown("Service", F("service"), dict(Service.choices)),
    "language": Breakdown("Language", F("language"), dict(settings.LANGUAGES)),
    "source": Breakdown("Source", F("source"), dict(AppointmentRequest.Source.choices)),
}


class Timeline(NamedTuple):
    """One request as the report reads it: its times and groups, no name, no message."""

    reference: str | None  # read for urgent requests only, to list them
    received: float  # seconds since 1970
    contacted: float | None  # the first contact attempt (CONTACT_STATUSES), if any
    closed: bool  # finished without a contact attempt recorded
    urgent: bool
    groups: tuple = ()  # its value for each of BREAKDOWNS, in order


# What became of each request's promise. Plain numbers rather than an Enum: the report sorts
# tens of thousands of requests into them, and an Enum member costs a Python call to look up.
WITHIN = 0  # contacted within the promise
LATE = 1  # contacted after the promise
OVERDUE = 2  # not contacted yet, past the promise
# Not contacted yet, still within the promise: neither kept nor missed, so left out of the share
# and the times until it is one or the other; a request sent a minute ago is never a fast one.
WAITING = 3
# Closed or declined with no contact recorded (a duplicate, say): the wait is unknown, so it is
# left out of the share and the times, and counted on its own for the lead to look at.
CLOSED = 4
OUTCOMES = {
    WITHIN: "contacted within the promise",
    LATE: "contacted after the promise",
    OVERDUE: "not contacted yet, past the promise",
    WAITING: "not contacted yet, still within the promise",
    CLOSED: "closed or declined with no contact recorded",
}


class Wait(NamedTuple):
    seconds: float
    at_least: bool = False  # some request still waiting may end up above it


@dataclass
class Figures:
    """The figures of one group of requests."""

    counts: list = field(default_factory=lambda: [0] * len(OUTCOMES))  # by outcome
    # The waits of the requests judged (WITHIN, LATE, OVERDUE), in business seconds; sorted
    # once every request is added.
    waits: list = field(default_factory=list)
    shortest_overdue: float | None = None
    _sorted: bool = field(default=False, repr=False)

    def add(self, outcome, wait):
        self.counts[outcome] += 1
        if outcome <= OVERDUE:
            self.waits.append(wait)
            if outcome == OVERDUE and (
                self.shortest_overdue is None or wait < self.shortest_overdue
            ):
                self.shortest_overdue = wait

    @property
    def requests(self):
        return sum(self.counts)

    @property
    def within(self):
        return self.counts[WITHIN]

    @property
    def late(self):
        return self.counts[LATE]

    @property
    def overdue(self):
        return self.counts[OVERDUE]

    @property
    def waiting(self):
        return self.counts[WAITING]

    @property
    def closed(self):
        return self.counts[CLOSED]

    @property
    def judged(self):
        """Requests whose promise was kept or missed: contacted, or past the promise."""
        return len(self.waits)

    @property
    def share(self):
        """The share contacted within the promise, of the judged requests (None if none)."""
        return self.within / self.judged if self.judged else None

    @property
    def percent(self):
        """The share as a whole percentage, rounded down: 99.6 % is not 100 %."""
        return None if self.share is None else self.within * 100 // self.judged

    def percentile(self, percent):
        """The wait within which `percent` % of the judged requests were contacted (nearest
        rank: the smallest wait with at least that share at or below it). Requests still
        waiting count with their wait so far, which makes it a lower bound: `at_least`."""
        if not self.waits:
            return None
        if not self._sorted:
            self.waits.sort()
            self._sorted = True
        rank = -(-percent * len(self.waits) // 100)  # ceiling, in integers
        value = self.waits[max(rank, 1) - 1]
        at_least = self.shortest_overdue is not None and self.shortest_overdue <= value
        return Wait(value, at_least)

    @property
    def median(self):
        return self.percentile(50)

    @property
    def p90(self):
        return self.percentile(90)


class UrgentWait(NamedTuple):
    reference: str
    received: float
    contacted: float | None
    wait: float | None
    outcome: int

    @property
    def outcome_text(self):
        return OUTCOMES[self.outcome]


@dataclass(frozen=True)
class Period:
    """Whole days in the clinic's time zone, first to last."""

    first: date
    last: date
    preset: str = ""  # a key of PRESETS, or "" for dates picked

    @classmethod
    def of(cls, preset, today):
        if preset == "week":
            return cls(today - timedelta(days=today.weekday()), today, preset)
        if preset == "4weeks":
            return cls(today - timedelta(days=27), today, preset)
        if preset == "quarter":
            this_quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
            last_quarter = (this_quarter - timedelta(days=1)).replace(day=1)
            last_quarter = last_quarter.replace(month=(last_quarter.month - 1) // 3 * 3 + 1)
            return cls(last_quarter, this_quarter - timedelta(days=1), preset)
        raise ValueError(f"unknown period {preset!r}")

    @property
    def start(self):
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self):
        """The midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    def weeks(self):
        """The period in 7-day spans from its first day, (first, last) each; the last may be
        shorter."""
        spans = []
        first = self.first
        while first <= self.last:
            spans.append((first, min(first + timedelta(days=6), self.last)))
            first += timedelta(days=7)
        return spans

    def __str__(self):
        return span_label(self.first, self.last, year=True)


def span_label(first, last, year=False):
    """ "Nov 3 – Nov 9", or with the year: "Nov 3 – Nov 9, 2026", "Dec 29, 2025 – Jan 4, 2026"."""
    end = f"{last:%b} {last.day}" + (f", {last.year}" if year else "")
    if first == last:
        return end
    start = f"{first:%b} {first.day}"
    if year and first.year != last.year:
        start += f", {first.year}"
    return f"{start} – {end}"


class EpochSeconds(Func):
    """A timestamp as seconds since 1970: a number, which the report reads much faster than a
    datetime (on SQLite, Django would parse three strings a row)."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() counts days from 4714 BC; 2440587.5 is 1970-01-01 00:00 UTC.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        return self.as_sql(compiler, connection, template=template, **extra)


def _first(queryset, column):
    """The earliest `column` of `queryset`'s rows for the outer request: MIN rather than ORDER
    BY ... LIMIT 1, which SQLite answers with a sort per request."""
    return Subquery(
        queryset.filter(request=OuterRef("pk"))
        .values("request")
        .annotate(first=Min(column))
        .values("first")
    )


def timelines(period):
    """The requests received in `period` (spam left out), as Timelines: one query, each
    request's first call and first reply found by a subquery on its foreign-key index."""
    replies = StatusChange.objects.filter(to_status__in=CONTACT_STATUSES)
    queryset = (
        AppointmentRequest.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .exclude(status=Status.SPAM)
        .order_by()
        .values_list(
            # Only an urgent request's reference is shown: the others' are not read.
            Case(When(FLAGGED_URGENT, then=F("reference"))),
            EpochSeconds("created_at"),
            EpochSeconds(_first(CallAttempt.objects, "at")),
            EpochSeconds(_first(replies, "changed_at")),
            Case(When(status__in=FINISHED_STATUSES, then=True), default=False),
            Case(When(FLAGGED_URGENT, then=True), default=False),
            *(breakdown.values for breakdown in BREAKDOWNS.values()),
        )
    )
    # Read straight from the cursor: every column is a number, a string or a flag already
    # (EpochSeconds), and Django's per-row converters would cost as much as the arithmetic.
    # Plain tuples in Timeline's order: `build` unpacks them, and a named tuple costs a Python
    # call to make.
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    connection = connections[queryset.db]
    with _without_jit(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        reference, received, called, replied, finished, urgent = row[:6]
        if called is None or (replied is not None and replied < called):
            called = replied
        yield reference, received, called, called is None and finished, urgent, row[6:]


@contextmanager
def _without_jit(connection):
    """PostgreSQL would compile the report's query to machine code before running it (JIT):
    its estimate counts two subqueries for each of thousands of requests, and compiling took
    80 to 130 ms, more than running it (bench/RESULTS.md). Off for this query only: SET LOCAL
    lasts until the end of the transaction around it."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


@dataclass
class Report:
    period: Period
    now: datetime
    promise: float  # business seconds
    urgent_target: float | None  # business seconds, or None: the clinic has set none
    clock: BusinessClock
    total: Figures = field(default_factory=Figures)
    urgent: Figures = field(default_factory=Figures)
    weeks: list = field(default_factory=list)  # [((first, last), Figures)]
    breakdowns: dict = field(default_factory=dict)  # {name: {value: Figures}}
    urgent_waits: list = field(default_factory=list)  # UrgentWait, to show by reference
    urgent_not_listed: int = 0

    def groups(self, name):
        """[(label, Figures)] of one breakdown, the largest group first."""
        breakdown = BREAKDOWNS[name]
        labelled = [
            (str(breakdown.labels.get(value, value)), figures)
            for value, figures in self.breakdowns.get(name, {}).items()
        ]
        return sorted(labelled, key=lambda pair: (-pair[1].requests, pair[0]))


def build(timelines, period, now, clock=None, clinic=None):
    """The report of `timelines` (requests received in `period`, as Timelines or tuples in
    their order) at the moment `now`."""
    clinic = clinic or get_clinic("en")
    clock = clock or BusinessClock.of(clinic)
    promise = clinic.reply_business_days * clock.day_length
    target = None if clinic.urgent_reply_hours is None else clinic.urgent_reply_hours * HOUR
    report = Report(period, now, promise, target, clock)
    report.weeks = [(span, Figures()) for span in period.weeks()]
    last_week = len(report.weeks) - 1
    groups = [defaultdict(Figures) for _ in BREAKDOWNS]
    first_day = (period.first - EPOCH).days
    waited_until_now = clock.position(now.timestamp())
    position = clock.position
    urgent = []
    # One pass, every figure at once: it runs for each of tens of thousands of requests.
    for reference, received_at, contacted, closed, is_urgent, values in timelines:
        received, day = clock.locate(received_at)
        if contacted is not None:
            wait = position(contacted) - received
            wait = wait if wait > 0 else 0.0  # a call logged as made before the request came
            outcome = WITHIN if wait <= promise else LATE
        elif closed:
            wait, outcome = None, CLOSED
        else:
            wait = waited_until_now - received
            wait = wait if wait > 0 else 0.0
            outcome = OVERDUE if wait > promise else WAITING
        report.total.add(outcome, wait)
        week = (day - first_day) // 7
        report.weeks[0 if week < 0 else min(week, last_week)][1].add(outcome, wait)
        for breakdown, value in zip(groups, values, strict=False):
            breakdown[value].add(outcome, wait)
        if is_urgent:
            report.urgent.add(outcome, wait)
            # Listed: every urgent wait while the clinic has no target; with one, the waits
            # over it, and any urgent request closed with no contact recorded.
            if target is None or wait is None or wait > target:
                urgent.append(UrgentWait(reference, received_at, contacted, wait, outcome))
    report.breakdowns = dict(zip(BREAKDOWNS, map(dict, groups), strict=True))
    urgent.sort(key=lambda u: (u.wait is not None, -(u.wait or 0), u.received))
    report.urgent_waits = urgent[:URGENT_LISTED]
    report.urgent_not_listed = len(urgent) - len(report.urgent_waits)
    return report


def reply_report(period, now=None):
    """The report of the requests received in `period`, at `now`."""
    now = now or timezone.now()
    return build(timelines(period), period, now)


# --- Laying the figures out ---


def duration(seconds):
    """Business time for people: "45 min", "3 h 05 min"."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def wait_text(wait):
    if wait is None:
        return "–"
    return ("at least " if wait.at_least else "") + duration(wait.seconds)


def share_text(figures):
    if figures.percent is None:
        return "–"
    return f"{figures.percent} % ({figures.within:,} of {figures.judged:,})"


def moment(epoch_seconds):
    """A moment as staff read it: the clinic's time, its zone named (EST or EDT)."""
    return local_time(datetime.fromtimestamp(epoch_seconds, UTC))


CSV_HEADER = [
    "Group",
    "Value",
    "Requests",
    "Contacted within the promise",
    "Judged (contacted, or past the promise)",
    "Share within the promise (%)",
    "Median business hours to first contact",
    "90th percentile business hours to first contact",
    "Times are lower bounds (requests still waiting)",
    "Still waiting, past the promise",
    "Still waiting, within the promise",
    "Closed or declined with no contact recorded",
]


def csv_rows(report):
    """The report's numbers as one table: the whole period, urgent requests, each week and
    each breakdown's groups. Counts and times only, no reference."""

    def row(group, value, figures):
        median, p90 = figures.median, figures.p90
        return [
            group,
            value,
            figures.requests,
            figures.within,
            figures.judged,
            "" if figures.percent is None else figures.percent,
            "" if median is None else f"{median.seconds / HOUR:.2f}",
            "" if p90 is None else f"{p90.seconds / HOUR:.2f}",
            "yes" if (p90 and p90.at_least) or (median and median.at_least) else "no",
            figures.overdue,
            figures.waiting,
            figures.closed,
        ]

    yield CSV_HEADER
    yield row("All requests", str(report.period), report.total)
    yield row("Urgent requests", str(report.period), report.urgent)
    for (first, last), figures in report.weeks:
        yield row("Week", f"{first:%Y-%m-%d} to {last:%Y-%m-%d}", figures)
    for name, breakdown in BREAKDOWNS.items():
        for label, figures in report.groups(name):
            yield row(breakdown.title, label, figures)


# The chart's rows: a line of text above each week's bar, in pixels (the text keeps its size at
# any width; the bars' lengths are percentages of the chart's width).
CHART_ROW_HEIGHT = 52


def chart_rows(report):
    """Each week of the chart: its label, its share and the lengths of its bar's three parts,
    as percentages of the chart's width (the busiest week fills it)."""
    busiest = max((figures.requests for _, figures in report.weeks), default=0) or 1
    rows = []
    for index, ((first, last), figures) in enumerate(report.weeks):
        within = figures.within * 100 / busiest
        missed = (figures.judged - figures.within) * 100 / busiest
        other = (figures.requests - figures.judged) * 100 / busiest
        rows.append(
            {
                "y": index * CHART_ROW_HEIGHT,
                "label": span_label(first, last),
                "requests": figures.requests,
                "figures": figures,
                "share": (
                    "none due yet" if figures.percent is None else f"{figures.percent} % within"
                ),
                "within": f"{within:.2f}",
                "missed_x": f"{within:.2f}",
                "missed": f"{missed:.2f}",
                "other_x": f"{within + missed:.2f}",
                "other": f"{other:.2f}",
            }
        )
    return rows
