"""How staff read a date, a time and a wait: in the admin, its pages and the commands.

"Dec 6, 2026" and "Dec 6, 2026, 3:32 a.m. EST": in the clinic's zone (TIME_ZONE) and named (EST
or EDT), so a note, the status history and the audit trail never mix UTC and local times.
Django's own admin pages (history, read-only times) use the same, as DATETIME_FORMAT in
clinic_site/formats/en.
"""

import math

from django.utils import dateformat, timezone

STAFF_DATE_FORMAT = "M j, Y"
STAFF_DATETIME_FORMAT = "M j, Y, P T"


def local_time(value):
    return dateformat.format(timezone.localtime(value), STAFF_DATETIME_FORMAT)


def local_date(value, year=True):
    """ "Dec 6, 2026", or "Dec 6" where the year goes without saying."""
    return dateformat.format(value, STAFF_DATE_FORMAT if year else "M j")


def human_duration(delta):
    """A wait as a person says it: "30 minutes", "1 hour", "2 hours" (rounded up), never
    "PT30M"."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"
