"""Possible duplicates marked when a request is written, for the list's filter.

Safe while the previous release still serves (docs/deployment.md, "Upgrading"): the new column
has a database default, and the migration is not one transaction: the marks are worked out a
batch of requests (one commit) at a time. A request the previous release stores meanwhile has
no search text; cron's send_pending_notifications gives it one and marks it and its duplicates
(fill_search_text).
"""

from django.conf import settings
from django.db import migrations, models

BATCH = 5000


def mark_possible_duplicates(apps, schema_editor):
    # The rule is the model's (duplicates within the window), imported rather than copied: it
    # reads only fields this migration's state has.
    from appointments.models import AppointmentRequest

    last = AppointmentRequest.objects.aggregate(last=models.Max("pk"))["last"] or 0
    for start in range(0, last, BATCH):
        batch = AppointmentRequest.objects.filter(pk__gt=start, pk__lte=start + BATCH)
        batch.mark_possible_duplicates()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("appointments", "0017_triage_rank_and_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appointmentrequest",
            name="possible_duplicate",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(
            mark_possible_duplicates, migrations.RunPython.noop, elidable=True
        ),
        migrations.AddIndex(
            model_name="appointmentrequest",
            index=models.Index(
                condition=models.Q(("possible_duplicate", True)),
                fields=["queue_rank", "created_at", "id"],
                name="request_duplicates_rank",
            ),
        ),
    ]
