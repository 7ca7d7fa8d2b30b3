"""An upgrade loses no e-mail: the migration to the outbox moves what each request still had to
send (and the record of what it sent) into outbox rows, and going back restores the columns."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def before_the_outbox():
    """The migration the outbox's comes after (its number may change as others land)."""
    loader = MigrationExecutor(connection).loader
    (outbox,) = [
        key for key in loader.graph.nodes if key[0] == "appointments" and "email_outbox" in key[1]
    ]
    return next(iter(loader.graph.node_map[outbox].parents)).key


def migrate(target):
    """Migrate the appointments app to `target` (None: its latest); returns that state's apps."""
    executor = MigrationExecutor(connection)
    if target is None:
        target = executor.loader.graph.leaf_nodes("appointments")[0]
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.fixture
def before_upgrade():
    apps = migrate(before_the_outbox())
    yield apps.get_model("appointments", "AppointmentRequest")
    migrate(None)  # leave the database as the other tests expect it


def test_upgrading_moves_every_unsent_email_into_the_outbox_and_back(before_upgrade, settings):
    settings.APPOINTMENT_MAX_SEND_ATTEMPTS = 8
    now = timezone.now()
    later = now + timedelta(minutes=4)
    n = iter(range(100))

    def request(**fields):
        return before_upgrade.objects.create(
            reference=f"AAAA-{next(n):04d}",
            submission_token=f"token-{fields.get('email', 'x')}-{now.timestamp()}-{next(n)}",
            first_name="Ann",
            last_name="Example",
            email=fields.pop("email", "ann@example.org"),
            contact_method="phone",
            best_time="any",
            service="spravato",
            patient_type="new",
            **fields,
        )

    queued = request()  # its task had not run yet
    backing_off = request(
        notification_attempts=2, next_attempt_at=later, notification_error="Timeout, Timeout"
    )
    half_sent = request(staff_notified_at=now, notification_attempts=1)
    phone_only = request(email="")
    given_up = request(notification_attempts=8, notification_error="SMTPAuthenticationError")
    spam = request(status="spam")
    done = request(staff_notified_at=now, patient_acknowledged_at=now, notification_attempts=1)

    apps = migrate(None)
    Email = apps.get_model("appointments", "OutgoingEmail")

    def outbox(req):
        return {
            e.kind: (e.state, e.attempts, e.last_error)
            for e in Email.objects.filter(request_id=req.pk)
        }

    assert outbox(queued) == {"staff": ("pending", 0, ""), "patient": ("pending", 0, "")}
    assert outbox(backing_off) == {
        "staff": ("pending", 2, "Timeout, Timeout"),
        "patient": ("pending", 2, "Timeout, Timeout"),
    }
    assert Email.objects.get(request_id=backing_off.pk, kind="staff").next_try_at == later
    assert outbox(half_sent) == {"staff": ("sent", 1, ""), "patient": ("pending", 1, "")}
    assert outbox(phone_only) == {"staff": ("pending", 0, "")}
    assert outbox(given_up)["staff"] == ("failed", 8, "SMTPAuthenticationError")
    assert outbox(spam) == {}
    assert outbox(done) == {"staff": ("sent", 1, ""), "patient": ("sent", 1, "")}
    assert Email.objects.get(request_id=done.pk, kind="patient").sent_at == now

    # A request the new code stores (without the old columns) before going back.
    Request = apps.get_model("appointments", "AppointmentRequest")
    new = Request.objects.create(reference="BBBB-0001", submission_token="new", email="")
    Email.objects.create(request=new, kind="staff", state="sent", sent_at=now)
    Email.objects.filter(request_id=queued.pk, kind="staff").update(state="dropped")

    old = migrate(before_the_outbox()).get_model("appointments", "AppointmentRequest")
    back = {r.pk: r for r in old.objects.all()}
    assert back[queued.pk].staff_notified_at is not None  # dropped: nothing may send it
    assert back[queued.pk].patient_acknowledged_at is None
    assert back[backing_off.pk].notification_attempts == 2
    assert back[backing_off.pk].next_attempt_at == later
    assert back[half_sent.pk].staff_notified_at == now
    assert back[half_sent.pk].patient_acknowledged_at is None
    assert back[done.pk].patient_acknowledged_at == now
    assert back[new.pk].staff_notified_at == now
    assert back[new.pk].notification_attempts == 0
