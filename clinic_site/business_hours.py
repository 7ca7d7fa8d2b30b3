"""Business time: how much of a stretch of time fell in the clinic's open hours.

The clinic's hours come from content/clinic.toml when it gives them (`[[hours]]`); until it
does, every weekday counts whole, midnight to midnight, as the triage list's "overdue" counts
weekdays. Holidays (`holidays` in clinic.toml) are closed all day. Hours are read on the
clinic's wall clock (TIME_ZONE): 9 to 5 is 9 to 5 in winter and in summer.

A business day, the unit of a promise such as "one business day", is the clinic's longest open
day: 8 hours for 9 to 5, 24 hours while no hours are given. "Within one business day" thus means
"by the same point of the clinic's next open day": a request sent on Friday evening and answered
on Monday morning was answered within it; one answered on Tuesday afternoon was not.
"""

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime
from functools import lru_cache

from django.utils import timezone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)
# Every zone in use today changes its offset from UTC on a quarter hour.
STEP = 900


def _offset(zone, epoch_seconds):
    return datetime.fromtimestamp(epoch_seconds, UTC).astimezone(zone).utcoffset().total_seconds()


@lru_cache(maxsize=32)
def _offset_changes(zone, year):
    """[(moment, offset from UTC from then on)] through `year` (UTC), starting with its first
    second: where daylight saving time starts and ends. Found hour by hour, then to the quarter
    hour, once per process and year."""
    moment = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    end = datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()
    changes = [(moment, _offset(zone, moment))]
    while moment < end:
        later = moment + HOUR
        if _offset(zone, later) != changes[-1][1]:
            while _offset(zone, moment + STEP) == changes[-1][1]:
                moment += STEP
            changes.append((moment + STEP, _offset(zone, moment + STEP)))
        moment = later
    return changes


def _seconds(clock_time):
    return clock_time.hour * HOUR + clock_time.minute * 60 + clock_time.second


def _merged(spans):
    """Open spans sorted, overlapping or touching ones joined: (9-12, 11-17) is 9-17."""
    merged = []
    for opens, closes in sorted(spans):
        if closes <= opens:
            raise ValueError(f"office hours must close after they open: {opens}s to {closes}s")
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


class BusinessClock:
    """Counts business seconds. `position(t)` is the business time from 1970 to the moment t
    (seconds since 1970): the business time between two moments is the difference of their
    positions, so a report reads each timestamp once (see `between`)."""

    def __init__(self, week, holidays=(), zone=None):
        """`week`: for each weekday, Monday first, its open spans as (opens, closes) seconds
        after midnight. `holidays`: dates closed all day."""
        self.week = tuple(_merged(spans) for spans in week)
        if len(self.week) != 7:
            raise ValueError("a week has 7 days")
        self.zone = zone or timezone.get_default_timezone()
        lengths = [sum(closes - opens for opens, closes in spans) for spans in self.week]
        self.day_length = max(lengths)
        if not self.day_length:
            raise ValueError("the clinic is never open")
        # Day 0 (1970-01-01) was a Thursday: the open seconds in the first k days of each
        # 7-day cycle counted from it.
        cycle = [lengths[(EPOCH.weekday() + i) % 7] for i in range(7)]
        self._cycle_before = [sum(cycle[:k]) for k in range(8)]
        holidays = sorted({(day - EPOCH).days for day in holidays})
        self._holidays = holidays
        self._holiday_set = set(holidays)
        self._holiday_before = [0]  # open seconds lost to the first k holidays
        for day in holidays:
            self._holiday_before.append(self._holiday_before[-1] + lengths[(day + 3) % 7])
        self._days = {}
        self._changes, self._offsets = [], []
        self._known_from = self._known_until = 0.0
        self._known_year_from = self._known_year_until = None

    @classmethod
    def of(cls, clinic, zone=None):
        """The clock of `clinic` (clinic_site.clinic.Clinic): its hours when it gives them,
        otherwise whole weekdays; its holidays either way."""
        if not clinic.hours:
            week = [[(0, DAY)]] * 5 + [[], []]
        else:
            week = [[] for _ in WEEKDAYS]
            for block in clinic.hours:
                for name in block.days:
                    if name not in WEEKDAYS:
                        raise ValueError(f"unknown day {name!r} in the clinic's hours")
                    week[WEEKDAYS.index(name)].append(
                        (_seconds(block.opens), _seconds(block.closes))
                    )
        return cls(week, clinic.holidays, zone)

    @property
    def whole_days(self):
        """True while the clinic gives no hours: business time is every weekday, all day."""
        return all(spans in ((), ((0, DAY),)) for spans in self.week)

    def position(self, epoch_seconds):
        """Business seconds from 1970 to the moment `epoch_seconds` (seconds since 1970)."""
        return self.locate(epoch_seconds)[0]

    def locate(self, epoch_seconds):
        """(position, the clinic's calendar day as days since 1970-01-01) of a moment. A report
        reads tens of thousands of moments: each is a few lookups (the offset from UTC, the
        day) and a little arithmetic."""
        if not self._known_from <= epoch_seconds < self._known_until:
            self._learn_offsets(epoch_seconds)
        local = epoch_seconds + self._offsets[bisect_right(self._changes, epoch_seconds) - 1]
        day = int(local // DAY)
        second = local - day * DAY
        day_info = self._days.get(day)
        if day_info is None:
            day_info = self._days[day] = self._day(day)
        before, spans = day_info
        for opens, closes in spans:
            if second <= opens:
                break
            before += (second if second < closes else closes) - opens
        return before, day

    def between(self, start, end):
        """Business seconds from `start` to `end` (aware datetimes); 0 if end is not later."""
        return max(0.0, self.position(end.timestamp()) - self.position(start.timestamp()))

    def _learn_offsets(self, epoch_seconds):
        """Add the offsets from UTC of the year around `epoch_seconds` to those known."""
        year = datetime.fromtimestamp(epoch_seconds, UTC).year
        years = range(
            min(year, self._known_year_from or year), max(year, self._known_year_until or year) + 1
        )
        changes = [change for each in years for change in _offset_changes(self.zone, each)]
        self._changes = [moment for moment, _ in changes]
        self._offsets = [offset for _, offset in changes]
        self._known_year_from, self._known_year_until = years[0], years[-1]
        self._known_from = datetime(years[0], 1, 1, tzinfo=UTC).timestamp()
        self._known_until = datetime(years[-1] + 1, 1, 1, tzinfo=UTC).timestamp()

    def _day(self, day):
        """(business seconds from 1970 to the start of `day`, `day`'s open spans)."""
        weeks, rest = divmod(day, 7)
        holidays_before = bisect_left(self._holidays, day)
        before = (
            weeks * self._cycle_before[7]
            + self._cycle_before[rest]
            - self._holiday_before[holidays_before]
        )
        spans = () if day in self._holiday_set else self.week[(day + 3) % 7]
        return before, spans
