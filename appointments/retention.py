"""Deleting requests that are finished with, after the retention period. The audit trail keeps
a line for each (its reference, when and by whom), without the patient's details."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
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
            AppointmentRequest.objects.filter(reference__in=references).delete()
            AuditEntry.record_each(actor, AuditEntry.Action.PURGED, references, detail=why)
    return PurgeReport(references=references, dry_run=dry_run)
