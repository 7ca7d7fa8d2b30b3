"""Signing in to the staff admin: lockout, two-step sign-in, session limits, passwords."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.staff import (
    STAFF_PASSWORD,
    browser,
    code_for,
    enrol_url,
    login_url,
    requests_url,
    sign_in,
    two_factor_url,
)

pytestmark = pytest.mark.django_db


class TestLockout:
    def test_sixth_failed_sign_in_is_refused_even_with_the_right_password(self, make_staff):
        make_staff("frontdesk")
        client = browser()
        for _ in range(5):
            response = sign_in(client, "frontdesk", "wrong password!!")
            assert response.status_code in (200, 429)
        response = sign_in(client, "frontdesk")
        assert response.status_code == 429
        assert "Sign-in locked for now" in response.content.decode()

    def test_lockout_is_for_that_user_and_client_only(self, make_staff):
        make_staff("frontdesk")
        make_staff("colleague")
        attacker = browser("203.0.113.66")
        for _ in range(5):
            sign_in(attacker, "frontdesk", "wrong password!!")
        assert sign_in(browser("198.51.100.5"), "frontdesk").status_code == 302
        assert sign_in(attacker, "colleague").status_code == 302

    def test_staff_can_reset_a_lockout(self, make_staff, signed_in):
        make_staff("frontdesk")
        client = browser()
        for _ in range(5):
            sign_in(client, "frontdesk", "wrong password!!")
        assert sign_in(client, "frontdesk").status_code == 429
        lead = signed_in(make_staff("lead", role="Clinical lead"))
        attempt = AccessAttempt.objects.get(username="frontdesk")
        delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
        page = lead.get(delete)
        assert page.status_code == 200
        lead.post(delete, {"post": "yes"})
        assert not AccessAttempt.objects.exists()
        assert sign_in(client, "frontdesk").status_code == 302

    def test_front_desk_cannot_reset_lockouts(self, make_staff, signed_in):
        desk = signed_in(make_staff("frontdesk"))
        assert desk.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


class TestTwoStepSignIn:
    def test_password_alone_does_not_open_the_admin(self, make_staff):
        make_staff("frontdesk")
        client = browser()
        assert sign_in(client, "frontdesk").status_code == 302
        response = client.get(requests_url())
        assert response.status_code == 302
        assert client.get(response["Location"])["Location"].startswith(two_factor_url())

    def test_enrolled_staff_enter_a_code_each_sign_in(self, make_staff):
        user = make_staff("frontdesk")
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        client = browser()
        sign_in(client, "frontdesk")
        page = client.get(two_factor_url()).content.decode()
        assert "Enter your sign-in code" in page and "qr-code" not in page
        client.post(two_factor_url(), {"token": code_for(device)})
        assert client.get(reverse("admin:index")).status_code == 200

    def test_two_step_sign_in_can_be_switched_off(self, make_staff, settings):
        settings.STAFF_REQUIRE_2FA = False
        make_staff("frontdesk")
        client = browser()
        sign_in(client, "frontdesk")
        assert client.get(reverse("admin:index")).status_code == 200

    def test_production_requires_it_by_default(self):
        from clinic_site import settings as production

        assert production.DEBUG is False
        assert production.STAFF_REQUIRE_2FA is True

    def test_a_lost_phone_is_reset_by_command_which_prints_an_enrolment_code(self, make_staff):
        user = make_staff("frontdesk")
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        out = io.StringIO()
        call_command("reset_staff_2fa", "frontdesk", stdout=out)
        assert "Removed 1 device(s)" in out.getvalue()
        assert not TOTPDevice.objects.filter(user=user).exists()
        code = out.getvalue().split()[-1]
        client = browser()
        sign_in(client, "frontdesk")
        response = client.post(enrol_url(), {"enrolment_code": code})
        assert "Key:" in client.get(response["Location"]).content.decode()


class TestSessions:
    def test_staff_sessions_expire_after_fifteen_idle_minutes(self, make_staff, signed_in):
        client = signed_in(make_staff("frontdesk"))
        client.get(reverse("admin:index"))
        assert client.session.get_expiry_age() == 15 * 60

    def test_staff_sessions_end_twelve_hours_after_sign_in(self, make_staff, signed_in):
        client = signed_in(make_staff("frontdesk"))
        client.get(reverse("admin:index"))
        session = client.session
        session["staff_session_started"] = int(time.time()) - 12 * 3600 - 1
        session.save()
        response = client.get(requests_url())
        assert response.status_code == 302
        assert response["Location"].startswith(login_url())
        assert "_auth_user_id" not in client.session


def test_passwords_need_twelve_characters_and_must_not_be_common():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("short-pass1")
    with pytest.raises(ValidationError, match="too common"):
        validate_password("password1234")
    validate_password(STAFF_PASSWORD)


def test_admin_path_is_configurable():
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from django.urls import reverse; "
         "print(reverse('admin:index'))"],
        cwd=root,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "tests.settings",
             "DJANGO_ADMIN_PATH": "clinic-staff"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.stdout.strip() == "/clinic-staff/", result.stderr
