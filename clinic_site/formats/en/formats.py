# Dates on the pages read "November 28, 2026" (Django's English default abbreviates the month).
# Spanish keeps Django's own: "28 de noviembre de 2026".
DATE_FORMAT = "F j, Y"
# Times, which only staff read (the admin's history, read-only fields): "Dec 6, 2026, 3:32 a.m.
# EST", in the clinic's zone and named; the same as appointments.models.local_time.
DATETIME_FORMAT = "M j, Y, P T"
