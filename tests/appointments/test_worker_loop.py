"""The e-mail worker's loop (`manage.py email_worker`): when it looks for e-mails again, when it
says it is alive (what the admin index and /healthz read), and how it and each sender wait out
a lost database. A clock and a stop switch of the test's own let minutes pass in no time."""

import pytest
from django.core import mail
from django.db import OperationalError
from django.db.models import QuerySet

from appointments import notify
from appointments.models import OutgoingEmail, WorkerHeartbeat

from .conftest import STAFF, stored

pytestmark = pytest.mark.django_db(transaction=True)

LOST = OperationalError("server closed the connection unexpectedly")


class Clock:
    """The worker's time.monotonic and its stop event: each wait moves the clock on, and the
    worker stops after `turns` waits. Notes when the heartbeat moved."""

    def __init__(self, turns):
        self.now = 1000.0
        self.turns = turns
        self.waits = []
        self.beats = []  # the clock's time at each wait where the heartbeat had moved
        self.seen = None

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def is_set(self):
        return len(self.waits) >= self.turns

    def wait(self, seconds):
        seen = notify.worker_last_seen()
        if seen != self.seen:
            self.beats.append(self.now - 1000.0)
            self.seen = seen
        self.waits.append(seconds)
        self.now += seconds


def run_worker(monkeypatch, outcomes, turns, **options):
    """Run the worker until it has waited `turns` times; send_due gives `outcomes` in turn
    (an exception is raised), then finds nothing to send."""
    clock = Clock(turns)
    outcomes = list(outcomes)

    def send_due():
        outcome = outcomes.pop(0) if outcomes else (0, 0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(notify, "time", clock)
    monkeypatch.setattr(notify, "send_due", send_due)
    notify.run_worker(clock, **options)
    return clock


def test_the_worker_sends_batch_after_batch_and_rests_only_when_nothing_is_due(monkeypatch):
    """It rests a second when nothing is due (`manage.py email_worker`'s default)."""
    clock = run_worker(monkeypatch, [(10, 0), (1, 0), (0, 1), (3, 2), (0, 0)], turns=2)
    assert clock.waits == [1.0, 1.0]


def test_an_idle_worker_says_it_is_alive_every_thirty_seconds_not_every_look(monkeypatch):
    clock = run_worker(monkeypatch, [], turns=7, idle_seconds=10)
    assert clock.waits == [10] * 7
    assert clock.beats == [0, 30, 60]
    assert WorkerHeartbeat.objects.get(name="email").seen_at


def test_a_lost_database_is_waited_out_longer_each_time_up_to_ten_seconds(monkeypatch, caplog):
    clock = run_worker(monkeypatch, [LOST] * 7, turns=8, idle_seconds=3)
    assert clock.waits == [0.5, 1, 2, 4, 8, 10, 10, 3]
    assert (
        "E-mail worker: database unavailable (OperationalError); trying again in 0.5 s"
        in caplog.messages
    )
    assert "E-mail worker: database unavailable (OperationalError); trying again in 10 s" in (
        caplog.messages
    )


def test_after_the_database_is_back_the_next_loss_is_waited_out_from_the_start(monkeypatch):
    clock = run_worker(monkeypatch, [LOST, LOST, (1, 0), LOST, (0, 0)], turns=4, idle_seconds=3)
    assert clock.waits == [0.5, 1, 0.5, 3]


def database_drops_outcomes(monkeypatch, times):
    """The database drops the connection whenever a sender writes an outcome (not a claim),
    `times` times."""
    original = QuerySet.update
    drops = []

    def update(queryset, **changes):
        if queryset.model is OutgoingEmail and "attempts" not in changes and len(drops) < times:
            drops.append(changes)
            raise LOST
        return original(queryset, **changes)

    monkeypatch.setattr(QuerySet, "update", update)
    return drops


def test_an_outcome_is_written_through_a_lost_connection_and_nothing_goes_twice(
    monkeypatch, settings
):
    """The mail server took the message; the database dropped twice as its outcome was
    written. Tried again every 0.2 s, it is written, and no later sender sends it again."""
    settings.APPOINTMENT_NOTIFY_EMAILS = STAFF
    request = stored()
    clock = Clock(turns=0)
    monkeypatch.setattr(notify, "time", clock)
    database_drops_outcomes(monkeypatch, times=2)
    assert notify.send_due() == (2, 0)
    assert clock.now - 1000.0 == pytest.approx(0.4)
    assert {e.state for e in OutgoingEmail.objects.filter(request=request)} == {"sent"}
    assert notify.send_all_due() == (0, 0)
    assert len(mail.outbox) == 2


def test_a_sender_that_cannot_write_an_outcome_gives_up_after_half_a_lease(
    monkeypatch, settings, caplog
):
    """Half the lease is left for the e-mail to be claimed again by another sender (and sent
    a second time: the one way an e-mail goes out twice); the log says so."""
    settings.APPOINTMENT_NOTIFY_EMAILS = STAFF
    settings.APPOINTMENT_SEND_LEASE_SECONDS = 60
    request = stored()
    clock = Clock(turns=0)
    monkeypatch.setattr(notify, "time", clock)
    database_drops_outcomes(monkeypatch, times=10_000)
    with pytest.raises(OperationalError):
        notify.send_due()
    assert 30 <= clock.now - 1000.0 <= 30.3
    assert (
        f"Staff e-mail for request {request.reference}: outcome not recorded; "
        "it may be sent again" in caplog.messages
    )
