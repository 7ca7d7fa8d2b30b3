"""CSV export of requests, safe to open in a spreadsheet."""

import csv
import secrets

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from .models import AuditEntry, adequate_trial_count

# A cell starting with one of these is read as a formula by spreadsheet programs
# (OWASP, "CSV Injection"): prefix it with a quote so it stays text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    ("Reference", lambda r: r.reference),
    ("Received", lambda r: timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M")),
    ("Status", lambda r: r.get_status_display()),
    ("Assignee", lambda r: r.assignee.get_username() if r.assignee else ""),
    ("First name", lambda r: r.first_name),
    ("Last name", lambda r: r.last_name),
    ("Email", lambda r: r.email),
    ("Phone", lambda r: r.phone),
    ("Contact by", lambda r: r.get_contact_method_display()),
    ("Best time", lambda r: r.get_best_time_display()),
    ("Service", lambda r: r.get_service_display()),
    ("New or returning", lambda r: r.get_patient_type_display()),
    ("Insurance", lambda r: r.insurance),
    ("Heard of us", lambda r: r.get_referral_display()),
    ("Language", lambda r: r.language),
    ("Message", lambda r: r.message),
    # The treatment history and a referral's details: what the patient (or their clinician)
    # typed, like the message, so under the same rules (the export permission, the audit).
    ("Therapy for depression", lambda r: r.get_had_therapy_display()),
    ("Antidepressants tried", lambda r: "; ".join(map(_trial_text, r.treatment_trials.all()))),
    ("Trials of 6 weeks or more", lambda r: adequate_trial_count(r.treatment_trials.all())),
    ("Source", lambda r: r.get_source_display()),
    ("Referred by", lambda r: r.referrer_name),
    ("Practice", lambda r: r.referrer_practice),
    ("Referrer phone", lambda r: r.referrer_phone),
    ("Referrer fax", lambda r: r.referrer_fax),
    ("Referrer email", lambda r: r.referrer_email),
    ("Diagnosis", lambda r: r.diagnosis),
    ("Oral antidepressant managed by", lambda r: r.get_antidepressant_managed_by_display()),
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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow([title for title, _ in COLUMNS])
    references = []
    rows = queryset.select_related("assignee").prefetch_related("treatment_trials")
    for request in rows.order_by("created_at").iterator(chunk_size=500):
        writer.writerow([safe_cell(value(request)) for _, value in COLUMNS])
        references.append(request.reference)
    with transaction.atomic():
        AuditEntry.record(
            by, AuditEntry.Action.EXPORTED, detail=f"{len(references)} request(s) to {name}"
        )
        AuditEntry.record_each(by, AuditEntry.Action.EXPORTED, references, detail=f"in {name}")
    return response
