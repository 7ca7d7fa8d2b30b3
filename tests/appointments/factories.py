"""Requests as they arrive from the form, without going through it."""

from datetime import timedelta

from django.utils import timezone

from appointments.models import (
    REFERENCE_ALPHABET,
    AppointmentRequest,
    new_reference,
    queue_rank,
    search_text_of,
)

_counter = iter(range(1_000_000))


def make_request(**fields):
    n = next(_counter)
    values = {
        "first_name": "Ann",
        "last_name": f"Patient{n}",
        "email": f"patient{n}@example.org",
        "phone": f"+1772556{n % 10000:04d}",
        "contact_method": "phone",
        "best_time": "morning",
        "service": "spravato",
        "patient_type": "new",
        "consent_contact": True,
        "submission_token": f"token-{n}-{new_reference()}",
    }
    age = fields.pop("age", None)
    values.update(fields)
    if age is not None:
        values["created_at"] = timezone.now() - age
    return AppointmentRequest.objects.create(**values)


def numbered_reference(n):
    """A reference made from `n`, so that a million bulk rows cannot draw the same one twice
    (40 random bits collide about one time in two across a million); scattered like a random
    one (an odd multiplier modulo 32**8 maps each number to its own code)."""
    n = n * 0x9E3779B97F % len(REFERENCE_ALPHABET) ** 8
    code = ""
    for _ in range(8):
        n, digit = divmod(n, len(REFERENCE_ALPHABET))
        code = REFERENCE_ALPHABET[digit] + code
    return f"{code[:4]}-{code[4:]}"


def make_many(count, spacing=timedelta(minutes=5), first=0, **fields):
    """Bulk rows for speed tests: one every `spacing` back from now (100,000 reach back most of
    a year), all services and statuses; numbered from `first` (to make more in slices)."""
    now = timezone.now()
    services = ["spravato", "tms", "evaluation", "therapy", "not-sure"]
    statuses = ["new", "contacted", "scheduled", "closed", "declined", "spam"]
    rows = [
        AppointmentRequest(
            reference=numbered_reference(i),
            submission_token=f"bulk-{i}-{new_reference()}",
            first_name=f"First{i}",
            last_name=f"Last{i}",
            email=f"p{i}@example.org",
            phone=f"+1772555{i % 10000:04d}",
            contact_method=["phone", "email", "text"][i % 3],
            best_time="any",
            service=services[i % 5],
            patient_type=["new", "returning"][i % 2],
            status=statuses[i % 6],
            consent_contact=True,
            created_at=now - spacing * i,
            **fields,
        )
        for i in range(first, first + count)
    ]
    for row in rows:  # bulk_create does not call save()
        row.queue_rank = queue_rank(row, now)
        row.search_text = search_text_of(row)
    AppointmentRequest.objects.bulk_create(rows, batch_size=2000)
    return rows
