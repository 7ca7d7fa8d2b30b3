"""The e-mail outbox: each e-mail to send becomes an OutgoingEmail row, and the request loses its
seven notification columns (appointments/notify.py).

The data step moves every request's e-mails into the outbox: those sent keep their time, those
waiting (or backing off, or claimed by a worker) are queued with their attempts and last error,
those whose attempts were used up are marked failed. So nothing queued at upgrade time is lost.
Stop the old task worker (`db_worker`) before running it: a send it made after this step would
be sent again by the new worker.

The columns leave the model now and the database later: they stay, with database defaults for
the two that are NOT NULL, so that an app server still running the previous release while the
release step runs (a rolling upgrade) can still store a request. A later release drops them
(with RunSQL: they are no longer in the migration state).

Reversible: going back writes the outbox into the columns again (sent times, the attempts and
error of what is unsent). The columns cannot say "held" or "dropped": a held e-mail goes back
as unsent (the old worker would send it), a dropped one as sent at the time it was queued (so
nothing sends it).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

CHUNK = 2000


def move_to_outbox(apps, schema_editor):
    Request = apps.get_model("appointments", "AppointmentRequest")
    Email = apps.get_model("appointments", "OutgoingEmail")
    now = timezone.now()
    rows = Request.objects.order_by("pk").values(
        "pk", "email", "status", "created_at", "staff_notified_at", "patient_acknowledged_at",
        "notification_attempts", "next_attempt_at", "notification_error",
    )
    batch = []
    for row in rows.iterator(chunk_size=CHUNK):
        for kind, sent_at in (("staff", row["staff_notified_at"]),
                              ("patient", row["patient_acknowledged_at"])):
            if kind == "patient" and not (
                row["email"] and (sent_at or settings.APPOINTMENT_ACKNOWLEDGE_PATIENT)
            ):
                continue  # no address, or no acknowledgement to send
            if not sent_at and row["status"] == "spam":
                continue  # never sent, as before
            attempts = row["notification_attempts"]
            if sent_at:
                state = "sent"
            elif attempts >= settings.APPOINTMENT_MAX_SEND_ATTEMPTS:
                state = "failed"
            else:
                state = "pending"
            batch.append(Email(
                request_id=row["pk"], kind=kind, state=state, attempts=attempts,
                next_try_at=row["next_attempt_at"] or now, sent_at=sent_at,
                last_error="" if sent_at else row["notification_error"][:100],
                created_at=row["created_at"],
            ))
        if len(batch) >= CHUNK:
            Email.objects.bulk_create(batch)
            batch = []
    Email.objects.bulk_create(batch)


def move_back(apps, schema_editor):
    Request = apps.get_model("appointments", "AppointmentRequest")
    Email = apps.get_model("appointments", "OutgoingEmail")
    emails = Email.objects.filter(request=OuterRef("pk")).order_by()

    def done(kind):
        finished = emails.filter(kind=kind, state__in=["sent", "dropped"])
        return Subquery(finished.values(at=Coalesce("sent_at", "created_at"))[:1])

    unsent = emails.filter(state__in=["pending", "failed", "held"]).values("request")
    Request.objects.update(
        staff_notified_at=done("staff"),
        patient_acknowledged_at=done("patient"),
        notification_attempts=Coalesce(
            Subquery(unsent.annotate(most=Max("attempts")).values("most")[:1]), Value(0)
        ),
        next_attempt_at=Subquery(unsent.annotate(first=Min("next_try_at")).values("first")[:1]),
        notification_error=Coalesce(
            Subquery(unsent.annotate(last=Max("last_error")).values("last")[:1]), Value("")
        ),
        staff_claimed_at=None,
        patient_claimed_at=None,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0012_safety_question_and_urgent_reasons'),
    ]

    operations = [
        migrations.CreateModel(
            name='WorkerHeartbeat',
            fields=[
                ('name', models.CharField(max_length=20, primary_key=True, serialize=False)),
                ('seen_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='OutgoingEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('staff', 'Staff e-mail'), ('patient', 'Patient acknowledgement')], max_length=10)),
                ('state', models.CharField(choices=[('pending', 'Not sent yet'), ('sent', 'Sent'), ('failed', 'Failed (no more attempts)'), ('held', 'Held since a restore'), ('dropped', 'Dropped by staff')], default='pending', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_try_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_error', models.CharField(blank=True, max_length=100)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='emails', to='appointments.appointmentrequest')),
            ],
            options={
                'indexes': [models.Index(fields=['state', 'next_try_at'], name='email_state_due')],
                'constraints': [models.UniqueConstraint(fields=('request', 'kind'), name='one_email_of_each_kind')],
            },
        ),
        migrations.RunPython(move_to_outbox, move_back),
        migrations.SeparateDatabaseAndState(
            # In the database: the columns stay for now, and those that are NOT NULL get a
            # database default, so that the new code, which no longer writes them, can insert.
            database_operations=[
                migrations.AlterField(
                    model_name='appointmentrequest',
                    name='notification_attempts',
                    field=models.PositiveSmallIntegerField(default=0, db_default=0),
                ),
                migrations.AlterField(
                    model_name='appointmentrequest',
                    name='notification_error',
                    field=models.CharField(blank=True, max_length=100, db_default=''),
                ),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='next_attempt_at',
                ),
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='notification_attempts',
                ),
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='notification_error',
                ),
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='patient_acknowledged_at',
                ),
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='patient_claimed_at',
                ),
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='staff_claimed_at',
                ),
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='staff_notified_at',
                ),
            ],
        ),
    ]
