"""CSV export of requests, safe to open in a spreadsheet."""

import csv
import io
import secrets
from collections import defaultdict

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from .models import AppointmentRequest, AuditEntry, TreatmentTrial, adequate_trial_count

# A cell starting with one of these is read as a formula by spreadsheet programs
# (OWASP, "CSV Injection"): prefix it with a quote so it stays text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _labels(field):
    """How a choice field's value is written: its label, worked out once an export (the
    model's get_FOO_display works the translated choices out again on every call, which was
    more than half an export's time)."""
    labels = {
        value: str(label) for value, label in AppointmentRequest._meta.get_field(field).flatchoices
    }
    return lambda value: labels.get(value, value)


def _received(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _treatment_histories(queryset):
    """Each exported request's treatment history (TreatmentTrial rows, in the order typed), by
    the request's key: one query for the whole export."""
    histories = defaultdict(list)
    for trial in TreatmentTrial.objects.filter(request__in=queryset.values("pk")):
        histories[trial.request_id].append(trial)
    return histories


def columns(histories):
    """(title, field, how its value is written) for each column; `histories` is
    _treatment_histories' answer."""
    return [
        ("Reference", "reference", str),
        ("Received", "created_at", _received),
        ("Status", "status", _labels("status")),
        ("Assignee", "assignee__username", lambda username: username or ""),
        ("First name", "first_name", str),
        ("Last name", "last_name", str),
        ("Email", "email", str),
        ("Phone", "phone", str),
        ("Contact by", "contact_method", _labels("contact_method")),
        ("Best time", "best_time", _labels("best_time")),
        ("Service", "service", _labels("service")),
        ("New or returning", "patient_type", _labels("patient_type")),
        ("Insurance", "insurance", str),
        ("Heard of us", "referral", _labels("referral")),
        ("Language", "language", str),
        ("Preferred language", "call_language", _labels("call_language")),
        ("Message", "message", str),
        # The treatment history and a referral's details: what the patient (or their clinician)
        # typed, like the message, so under the same rules (the export permission, the audit).
        ("Therapy for depression", "had_therapy", _labels("had_therapy")),
        ("Antidepressants tried", "pk", lambda pk: "; ".join(map(_trial_text, histories[pk]))),
        ("Trials of 6 weeks or more", "pk", lambda pk: adequate_trial_count(histories[pk])),
        ("Source", "source", _labels("source")),
        ("Referred by", "referrer_name", str),
        ("Practice", "referrer_practice", str),
        ("Referrer phone", "referrer_phone", str),
        ("Referrer fax", "referrer_fax", str),
        ("Referrer email", "referrer_email", str),
        ("Diagnosis", "diagnosis", str),
        (
            "Oral antidepressant managed by",
            "antidepressant_managed_by",
            _labels("antidepressant_managed_by"),
        ),
    ]


def _trial_text(trial):
    """ "Sertraline (6 weeks to 3 months, helped: No, stopped: Side effects)"."""
    details = [
        trial.get_duration_display(),
        trial.helped and f"helped: {trial.get_helped_display()}",
        trial.stopped_because and f"stopped: {trial.get_stopped_because_display()}",
    ]
    shown = ", ".join(str(d) for d in details if d)
    return f"{trial.medicine} ({shown})" if shown else trial.medicine


def safe_cell(value):
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_response(queryset, by):
    """An attachment with one row per request. Every export is audited: who, how many, and an
    entry on each exported request naming the file, so each request's trail shows its exports."""
    name = f"requests-{timezone.localtime():%Y%m%d-%H%M}-{secrets.token_hex(3)}.csv"
    # Written to a buffer, then to the response at once: HttpResponse.write looks up the
    # charset in the settings on every row.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    titles, fields, writes = zip(*columns(_treatment_histories(queryset)), strict=True)
    writer.writerow(titles)
    references = []
    # Plain values, not models: a row is a tuple, read in the order of the columns.
    for row in queryset.order_by("created_at").values_list(*fields).iterator(chunk_size=2000):
        writer.writerow([safe_cell(write(value)) for write, value in zip(writes, row, strict=True)])
        references.append(row[0])
    with transaction.atomic():
        AuditEntry.record(
            by, AuditEntry.Action.EXPORTED, detail=f"{len(references)} request(s) to {name}"
        )
        AuditEntry.record_each(by, AuditEntry.Action.EXPORTED, references, detail=f"in {name}")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
