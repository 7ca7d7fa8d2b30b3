"""Staff read one date format, in the clinic's zone and named, and waits in words."""

from datetime import UTC, date, datetime, timedelta

import pytest

from clinic_site.times import human_duration, local_date, local_time


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        (datetime(2026, 12, 6, 8, 32, tzinfo=UTC), "Dec 6, 2026, 3:32 a.m. EST"),
        (datetime(2026, 7, 15, 16, 0, tzinfo=UTC), "Jul 15, 2026, noon EDT"),
        (datetime(2026, 7, 15, 19, 5, tzinfo=UTC), "Jul 15, 2026, 3:05 p.m. EDT"),
    ],
)
def test_a_time_is_the_clinics_and_names_its_zone(utc, shown):
    assert local_time(utc) == shown


def test_a_date_reads_the_same_way_with_or_without_its_year():
    assert local_date(date(2026, 3, 4)) == "Mar 4, 2026"
    assert local_date(date(2026, 3, 4), year=False) == "Mar 4"


@pytest.mark.parametrize(
    ("wait", "said"),
    [
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(seconds=20), "1 minute"),
        (timedelta(minutes=89), "89 minutes"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(hours=1, minutes=31), "2 hours"),  # rounded up: never sooner than said
    ],
)
def test_a_wait_is_said_in_words(wait, said):
    assert human_duration(wait) == said
