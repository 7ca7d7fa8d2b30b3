from django.db import migrations, models


def rank_again(apps, schema_editor):
    """Every request's rank by the rules of this release (overdue and callback due apart, in
    tens). Rows the previous release writes while it still serves carry 0 to 4, below every
    rank of this one, and refresh_queue_ranks ranks them again the next time it runs."""
    # The rules are imported, not copied: they read only fields this migration's state has.
    from appointments.models import queue_rank_expression

    AppointmentRequest = apps.get_model("appointments", "AppointmentRequest")
    AppointmentRequest.objects.update(queue_rank=queue_rank_expression())


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0014_reply_report_permission"),
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
    ]
