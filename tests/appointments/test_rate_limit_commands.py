"""A patient who shares an address with others (a clinic's Wi-Fi, a family) reaches the form's
limit and calls the front desk; the operator looks the limit up and lifts it, from the address
the patient reads out. The address is hashed as the site hashes it: it is never stored, never
printed back, and the lift is in the audit trail (issue 24)."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from appointments.models import AuditEntry

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"


def run(*args):
    out = StringIO()
    call_command("rate_limit", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_the_operator_sees_and_lifts_a_patients_limit(form_data, post_from):
    for _ in range(5):
        post_from(ADDRESS, form_data)
    assert post_from(ADDRESS, form_data).status_code == 429

    shown = run("show", ADDRESS)
    assert "6 forms" in shown and "limit is 5" in shown
    assert ADDRESS not in shown

    lifted = run("lift", ADDRESS)
    assert "lifted" in lifted.lower()
    assert ADDRESS not in lifted
    assert post_from(ADDRESS, form_data).status_code == 302

    entry = AuditEntry.objects.get()
    assert entry.actor is None and entry.actor_username == "system"
    assert entry.detail == (
        "Lifted the contact form's rate limit for one client address (manage.py rate_limit lift)"
    )


def test_lifting_one_address_leaves_the_others_limited(form_data, post_from):
    for _ in range(6):
        post_from("203.0.113.7", form_data)
    run("lift", ADDRESS)
    assert post_from("203.0.113.7", form_data).status_code == 429


def test_an_address_with_no_forms_is_said_to_have_none():
    assert "no forms" in run("show", ADDRESS).lower()
    assert "nothing to lift" in run("lift", ADDRESS).lower()
    assert not AuditEntry.objects.exists()


def test_an_ipv6_address_is_found_however_it_is_written(form_data, post_from):
    for _ in range(6):
        post_from("2001:db8::7", form_data)
    assert "6 forms" in run("show", "2001:0db8:0000::0007")


def test_a_window_that_has_ended_is_no_limit_to_show_or_lift(form_data, post_from):
    an_hour_ago = timezone.now() - timedelta(hours=1, seconds=1)
    with mock.patch("appointments.spam.timezone.now", return_value=an_hour_ago):
        for _ in range(6):
            post_from(ADDRESS, form_data)
    assert "no forms" in run("show", ADDRESS).lower()
    assert "nothing to lift" in run("lift", ADDRESS).lower()
    assert not AuditEntry.objects.exists()


def test_a_mistyped_address_is_refused():
    with pytest.raises(CommandError, match="^not an IP address$"):
        run("show", "198.51.100")
