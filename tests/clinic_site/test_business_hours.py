"""Business time, the clock the reply-time report runs on: the clinic's office hours when
content/clinic.toml gives them, otherwise whole weekdays; holidays skipped; the clinic's wall
clock across the changes of daylight saving time."""

from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from clinic_site.business_hours import BusinessClock
from clinic_site.clinic import Hours, get_clinic, load_clinic

ZONE = ZoneInfo("America/New_York")
HOUR = 3600
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def clock(hours=(), holidays=()):
    return BusinessClock.of(replace(get_clinic("en"), hours=hours, holidays=holidays), ZONE)


def hours(days, opens, closes):
    return Hours(
        days=days, label="", opens=time.fromisoformat(opens), closes=time.fromisoformat(closes)
    )


def test_without_office_hours_every_weekday_counts_whole_and_weekends_not_at_all():
    weekdays = clock()
    assert weekdays.whole_days and weekdays.day_length == 24 * HOUR
    # Friday 7 pm to Monday 9 am: five hours of Friday, nine of Monday.
    assert weekdays.between(at(11, 20, 19), at(11, 23, 9)) == 14 * HOUR
    assert weekdays.between(at(11, 21, 10), at(11, 22, 18)) == 0  # a weekend
    assert weekdays.between(at(11, 23, 9), at(11, 20, 19)) == 0  # backwards: nothing


def test_with_office_hours_only_open_time_counts():
    nine_to_five = clock((hours(WEEKDAYS, "09:00", "17:00"),))
    assert nine_to_five.day_length == 8 * HOUR
    assert nine_to_five.between(at(11, 20, 16), at(11, 23, 10)) == 2 * HOUR
    assert nine_to_five.between(at(11, 18, 7), at(11, 18, 8)) == 0  # before opening


def test_a_lunch_break_and_a_short_saturday():
    split = clock(
        (
            hours(WEEKDAYS, "08:00", "12:00"),
            hours(WEEKDAYS, "13:00", "17:00"),
            hours(("Saturday",), "09:00", "12:00"),
        )
    )
    assert split.day_length == 8 * HOUR  # the longest day
    assert split.between(at(11, 20, 11), at(11, 20, 14)) == 2 * HOUR  # lunch skipped
    assert split.between(at(11, 20, 16), at(11, 23, 9)) == (1 + 3 + 1) * HOUR


def test_holidays_are_closed_all_day():
    thanksgiving = clock(holidays=(date(2026, 11, 26),))
    assert thanksgiving.between(at(11, 25, 12), at(11, 27, 12)) == 24 * HOUR


def test_hours_are_the_clinic_wall_clock_across_the_change_of_time():
    nine_to_five = clock((hours(WEEKDAYS, "09:00", "17:00"),))
    # Daylight saving time ended on Sunday 1 November 2026: Friday noon to Monday noon is
    # still 5 + 3 open hours, though 73 hours passed.
    assert nine_to_five.between(at(10, 30, 12), at(11, 2, 12)) == 8 * HOUR
    weekdays = clock()
    assert weekdays.between(at(10, 30, 12), at(11, 2, 12)) == 24 * HOUR


def test_the_clinic_file_gives_holidays_the_promise_and_the_urgent_target(tmp_path):
    facts = (
        'name = "Example Clinic"\nshort_name = "Example"\nphone = "(555) 010-0000"\n'
        'phone_e164 = "+15550100000"\nstreet = "1 Main St"\ncity = "Town"\nregion = "NY"\n'
        'postal_code = "10001"\ncountry = "US"\nreply_within = "two business days"\n'
        "reply_business_days = 2\nurgent_reply_hours = 1.5\n"
        'holidays = [2030-07-04, "2030-01-01"]\n'
    )
    (tmp_path / "clinic.toml").write_text(facts)
    clinic = load_clinic(tmp_path / "clinic.toml")
    assert clinic.holidays == (date(2030, 1, 1), date(2030, 7, 4))
    assert (clinic.reply_business_days, clinic.urgent_reply_hours) == (2, 1.5)


def test_the_real_clinic_promises_one_business_day_and_sets_no_urgent_target_yet():
    clinic = get_clinic("en")
    assert clinic.reply_within == "one business day"
    assert clinic.reply_business_days == 1
    assert clinic.urgent_reply_hours is None
    assert clinic.holidays == ()


def test_hours_that_close_before_they_open_are_refused():
    with pytest.raises(ValueError, match="close after they open"):
        clock((hours(WEEKDAYS, "17:00", "09:00"),))
