"""Deleting requests that are finished with, after the retention period. The audit trail keeps
a line for each (its reference, when and by whom), without the patient's details."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from .models import AppointmentRequest, AuditEntry

Status = AppointmentRequest.Status
PURGEABLE_STATUSES = [Status.CLOSED, Status.DECLINED, Status.SPAM]


@dataclass
class PurgeReport:
    references: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def count(self):
        return len(self.references)


def expired(older_than_days, statuses=PURGEABLE_STATUSES, now=None):
    """Requests in `statuses` received more than `older_than_days` days ago."""
    unknown = set(statuses) - set(PURGEABLE_STATUSES)
    if unknown:
        raise ValueError(
            f"only {', '.join(PURGEABLE_STATUSES)} requests can be purged, not {', '.join(unknown)}"
        )
    if older_than_days < 0:
        raise ValueError("the age must be zero or more days")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    return AppointmentRequest.objects.filter(status__in=statuses, created_at__lt=cutoff)


def purge(queryset, actor=None, dry_run=False, why="purged"):
    references = sorted(queryset.values_list("reference", flat=True))
    if not dry_run and references:
        with transaction.atomic():
            purged = AppointmentRequest.objects.filter(reference__in=references)
            # The address as the database folds it (SQLite's LOWER folds only ASCII letters).
            marked = purged.filter(possible_duplicate=True).annotate(email_key=Lower("email"))
            contacts = list(marked.values_list("email_key", "phone"))
            purged.delete()
            AuditEntry.record_each(actor, AuditEntry.Action.PURGED, references, detail=why)
            _unmark_left_alone(contacts)
    return PurgeReport(references=references, dry_run=dry_run)


def _unmark_left_alone(contacts, batch=500):
    """The requests that were possible duplicates of a purged one are no longer, unless they
    have another: the list's filter would show them without a duplicate to open."""
    emails = sorted({email for email, _ in contacts if email})
    phones = sorted({phone for _, phone in contacts if phone})
    marked = AppointmentRequest.objects.filter(possible_duplicate=True).alias(
        email_key=Lower("email")
    )
    for start in range(0, max(len(emails), len(phones)), batch):
        same = Q(email_key__in=emails[start : start + batch]) | Q(
            phone__in=phones[start : start + batch]
        )
        marked.filter(same).mark_possible_duplicates()
