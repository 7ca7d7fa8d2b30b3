"""The triage rank with overdue and callbacks due apart, and the folded search column.

Safe while the previous release still serves (docs/deployment.md, "Upgrading"): the new column
has a database default, and the migration is not one transaction, so each batch of the fill
and the index (built CONCURRENTLY on PostgreSQL) hold no lock the old release waits on for
long. Rows the old release stores meanwhile carry its ranks (0 to 4) and no search text:
refresh_queue_ranks ranks them again and fill_search_text (both run by
send_pending_notifications, every few minutes) fills them in.
"""

from django.db import migrations, models

BATCH = 2000
TRIGRAM_INDEX = "request_search_trgm"


def rank_again(apps, schema_editor):
    """Every request's rank by the rules of this release."""
    # The rules are imported, not copied: they read only fields this migration's state has.
    from appointments.models import queue_rank_expression

    AppointmentRequest = apps.get_model("appointments", "AppointmentRequest")
    AppointmentRequest.objects.update(queue_rank=queue_rank_expression())


def fill_search_text(apps, schema_editor):
    """search_text for the requests stored before it, a batch (one commit) at a time."""
    from appointments.models import SEARCHED_FIELDS, search_text_of

    AppointmentRequest = apps.get_model("appointments", "AppointmentRequest")
    after = 0
    while batch := list(
        AppointmentRequest.objects.filter(pk__gt=after, search_text="")
        .order_by("pk")
        .only(*SEARCHED_FIELDS)[:BATCH]
    ):
        for request in batch:
            request.search_text = search_text_of(request)
        AppointmentRequest.objects.bulk_update(batch, ["search_text"])
        after = batch[-1].pk


def trigram_index(apps, schema_editor):
    """On PostgreSQL, a trigram index that serves the search's LIKE '%…%' (pg_trgm is a trusted
    extension: the database's owner may create it). SQLite reads the column in full, fast
    enough at a million rows (bench/RESULTS.md)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {TRIGRAM_INDEX} ON "
        "appointments_appointmentrequest USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("appointments", "0016_referrals_and_treatment_history"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appointmentrequest",
            name="queue_rank",
            field=models.SmallIntegerField(
                choices=[
                    (10, "Urgent"),
                    (20, "Overdue"),
                    (30, "Callback due today (or missed)"),
                    (40, "Open"),
                    (50, "Waiting for a callback on a later day"),
                    (60, "Finished"),
                ],
                default=40,
                editable=False,
            ),
        ),
        migrations.RunPython(rank_again, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="appointmentrequest",
            name="search_text",
            field=models.TextField(blank=True, db_default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
