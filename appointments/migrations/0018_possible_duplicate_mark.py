"""Possible duplicates marked when a request is written, for the list's filter.

Safe while the previous release still serves (docs/deployment.md, "Upgrading"): nothing here
rebuilds the requests' table or holds a lock the old release waits on for long. The column is
added in place (with a database default, so the old release's inserts need not name it: on
SQLite by ALTER TABLE ADD COLUMN, where Django would copy the table); the marks are worked out
a batch of requests (one commit) at a time; on PostgreSQL the index is built CONCURRENTLY.
Requests the previous release stores meanwhile carry no mark: cron's
send_pending_notifications marks the last day's (mark_recent_duplicates).
"""

from django.conf import settings
from django.db import migrations, models

BATCH = 5000
FIELD = models.BooleanField(db_default=False, default=False, editable=False)
INDEX = models.Index(
    condition=models.Q(("possible_duplicate", True)),
    fields=["queue_rank", "created_at", "id"],
    name="request_duplicates_rank",
)


def add_column(apps, schema_editor):
    # As Django would write it, less the table copy on SQLite.
    kind = "bool" if schema_editor.connection.vendor == "sqlite" else "boolean"
    schema_editor.execute(
        f"ALTER TABLE appointments_appointmentrequest ADD COLUMN possible_duplicate {kind}"
        f" DEFAULT {0 if kind == 'bool' else 'false'} NOT NULL"
    )


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE appointments_appointmentrequest DROP COLUMN possible_duplicate")


def mark_possible_duplicates(apps, schema_editor):
    # The rule is the model's (with_duplicate's), imported rather than copied: it reads only
    # fields this migration's state has.
    from appointments.models import has_duplicate

    AppointmentRequest = apps.get_model("appointments", "AppointmentRequest")
    rule = has_duplicate(AppointmentRequest)
    last = AppointmentRequest.objects.aggregate(last=models.Max("pk"))["last"] or 0
    for start in range(0, last, BATCH):
        batch = AppointmentRequest.objects.filter(pk__gt=start, pk__lte=start + BATCH)
        batch.filter(rule).update(possible_duplicate=True)


def add_index(apps, schema_editor):
    model = apps.get_model("appointments", "AppointmentRequest")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX.create_sql(model, schema_editor, concurrently=True))
    else:
        schema_editor.add_index(model, INDEX)


def drop_index(apps, schema_editor):
    model = apps.get_model("appointments", "AppointmentRequest")
    schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("appointments", "0017_triage_rank_and_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField("appointmentrequest", "possible_duplicate", FIELD),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RunPython(
            mark_possible_duplicates, migrations.RunPython.noop, elidable=True
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex("appointmentrequest", INDEX)],
            database_operations=[migrations.RunPython(add_index, drop_index)],
        ),
    ]
