"""Setting up two-step sign-in: an enrolment code from the clinical lead, then an authenticator
app, then backup codes for a lost phone."""

import re
import time
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import EnrolmentCode, SignInEvent
from tests.support.staff import (
    STAFF_PAGE,
    browser,
    code_for,
    enrol,
    enrol_url,
    issue_code,
    requests_url,
    sign_in,
    two_factor_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_staff, signed_in):
    return signed_in(make_staff("lead", role="Clinical lead"))


class TestEnrolmentNeedsACode:
    def test_a_password_alone_cannot_claim_an_account_without_an_authenticator(self, make_staff):
        user = make_staff("frontdesk")
        thief = browser()
        sign_in(thief, "frontdesk")
        page = thief.get(thief.get(two_factor_url())["Location"]).content.decode()
        assert "ask the clinical lead" in page and "qr-code" not in page
        refused = thief.post(enrol_url(), {"enrolment_code": "abcd-efgh-jkmn"})
        assert "Ask the clinical lead for a new one" in refused.content.decode()
        assert not TOTPDevice.objects.filter(user=user).exists()
        assert thief.get(requests_url()).status_code == 302

    def test_the_clinical_lead_issues_a_code_that_enrols_once(self, make_staff, lead):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        stored = EnrolmentCode.objects.get(user=member)
        assert code.replace("-", "") not in stored.code_hash  # kept hashed
        client = browser()
        sign_in(client, "frontdesk")
        device, response = enrol(client, code)
        assert "Your backup codes" in response.content.decode()
        assert client.get(requests_url()).status_code == 200
        device.refresh_from_db()
        assert device.confirmed
        events = SignInEvent.objects.order_by("pk").values_list("action", "by_username")
        assert list(events) == [("code issued", "lead"), ("enrolled", "frontdesk")]

        TOTPDevice.objects.filter(user=member).delete()  # the same code, a second time
        again = browser()
        sign_in(again, "frontdesk")
        refused = again.post(enrol_url(), {"enrolment_code": code})
        assert "has been used or has expired" in refused.content.decode()

    def test_an_enrolment_code_expires_after_three_days(self, make_staff, lead):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        EnrolmentCode.objects.update(expires_at=EnrolmentCode.objects.get().issued_at)
        client = browser()
        sign_in(client, "frontdesk")
        refused = client.post(enrol_url(), {"enrolment_code": code})
        assert "has expired" in refused.content.decode()
        assert EnrolmentCode.objects.get().expires_at - EnrolmentCode.objects.get().issued_at < (
            timedelta(hours=73)
        )

    def test_front_desk_cannot_issue_codes(self, make_staff, signed_in):
        desk = signed_in(make_staff("frontdesk"))
        colleague = make_staff("colleague")
        desk.post(
            reverse(STAFF_PAGE),
            {"action": "issue_enrolment_code", "_selected_action": [colleague.pk]},
        )
        assert not EnrolmentCode.objects.exists()

    def test_the_clinical_lead_cannot_reset_an_administrator(self, make_staff, lead):
        admin = make_staff("boss", role=None, is_superuser=True)
        lead.post(
            reverse(STAFF_PAGE), {"action": "issue_enrolment_code", "_selected_action": [admin.pk]}
        )
        assert not EnrolmentCode.objects.exists()


def not_the_apps_code(device):
    """A six-digit code the app does not show now, nor one step either side of now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    valid = set()
    for steps in range(-device.tolerance - 1, device.tolerance + 2):
        totp.time = time.time() + steps * device.step
        valid.add(f"{totp.token():06d}")
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def backup_codes_on(page):
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.content.decode())


class TestConfirmingTheAuthenticator:
    def test_a_wrong_code_from_the_app_is_refused_and_leaves_no_device_or_backup_codes(
        self, make_staff, lead
    ):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        client = browser()
        sign_in(client, "frontdesk")
        client.post(enrol_url(), {"enrolment_code": code})
        device = TOTPDevice.objects.get(user=member)

        refused = client.post(enrol_url(), {"token": not_the_apps_code(device)})
        assert "That code is not right" in refused.content.decode()
        assert "Your backup codes" not in refused.content.decode()
        assert not TOTPDevice.objects.filter(user=member, confirmed=True).exists()
        assert not StaticDevice.objects.filter(user=member).exists()
        assert client.get(requests_url()).status_code == 302
        assert not SignInEvent.objects.filter(action=SignInEvent.Action.ENROLLED).exists()

        # Straight after wrong codes, even the app's own code waits: guessing is slowed here too.
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_count=4, throttling_failure_timestamp=timezone.now()
        )
        waiting = client.post(enrol_url(), {"token": code_for(device)}).content.decode()
        assert "Too many wrong codes. Wait" in waiting
        assert not TOTPDevice.objects.filter(user=member, confirmed=True).exists()

        # The app's own code, once the short wait after a wrong one has passed, still enrols.
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(seconds=60)
        )
        device.refresh_from_db()
        confirmed = client.post(enrol_url(), {"token": code_for(device)})
        assert len(backup_codes_on(confirmed)) == 10
        assert client.get(requests_url()).status_code == 200

    def test_enrolling_again_after_a_lost_phone_gives_new_backup_codes_and_the_old_die(
        self, make_staff, lead
    ):
        member = make_staff("frontdesk")
        client = browser()
        sign_in(client, "frontdesk")
        _, first = enrol(client, issue_code(lead, member))
        old_codes = backup_codes_on(first)

        # The phone is lost: the clinical lead issues a new code, the member enrols again.
        again = browser()
        sign_in(again, "frontdesk")
        _, second = enrol(again, issue_code(lead, member))
        new_codes = backup_codes_on(second)
        assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
        assert StaticDevice.objects.filter(user=member).count() == 1

        for code in old_codes[:3]:
            stale = browser("198.51.100.7")
            sign_in(stale, "frontdesk")
            stale.post(two_factor_url(), {"token": code})
            assert stale.get(requests_url()).status_code == 302
            StaticDevice.objects.update(throttling_failure_count=0)  # no wait between tries
        fresh = browser("198.51.100.8")
        sign_in(fresh, "frontdesk")
        fresh.post(two_factor_url(), {"token": new_codes[0]})
        assert fresh.get(requests_url()).status_code == 200


class TestBackupCodes:
    def test_a_lost_phone_signs_in_with_a_backup_code_once(self, make_staff, lead):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        client = browser()
        sign_in(client, "frontdesk")
        _, response = enrol(client, code)
        backup_codes = re.findall(
            r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode()
        )
        assert len(set(backup_codes)) == 10

        phone_lost = browser("198.51.100.7")
        sign_in(phone_lost, "frontdesk")
        phone_lost.post(two_factor_url(), {"token": backup_codes[3].upper()})
        assert phone_lost.get(requests_url()).status_code == 200
        assert SignInEvent.objects.filter(action="backup used", username="frontdesk").exists()

        reused = browser("198.51.100.8")
        sign_in(reused, "frontdesk")
        refused = reused.post(two_factor_url(), {"token": backup_codes[3]})
        assert "That code is not right" in refused.content.decode()
        assert reused.get(requests_url()).status_code == 302


class TestOneEnrolmentAtATime:
    def test_leftover_unconfirmed_devices_do_not_break_sign_in(self, make_staff, lead):
        member = make_staff("frontdesk")
        TOTPDevice.objects.create(user=member, name="tab 1", confirmed=False)
        TOTPDevice.objects.create(user=member, name="tab 2", confirmed=False)
        client = browser()
        sign_in(client, "frontdesk")
        assert client.get(two_factor_url(), follow=True).status_code == 200
        enrol(client, issue_code(lead, member))
        assert TOTPDevice.objects.filter(user=member).count() == 1
        assert client.get(requests_url()).status_code == 200

    def test_the_key_is_shown_only_to_the_browser_that_gave_the_code(self, make_staff, lead):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        thief, real = browser("203.0.113.66"), browser()
        sign_in(thief, "frontdesk")
        sign_in(real, "frontdesk")
        real.post(enrol_url(), {"enrolment_code": code})
        assert "Key:" in real.get(enrol_url()).content.decode()
        assert "Key:" not in thief.get(enrol_url()).content.decode()


class TestGuessingEnrolmentCodes:
    """Issue 21, finding 10: someone with a stolen password guessing enrolment codes is slowed
    down like a wrong sign-in code, and the clinical lead sees each guess."""

    def test_each_wrong_code_is_recorded_and_the_next_try_waits_longer(self, make_staff, lead):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        thief = browser()
        sign_in(thief, "frontdesk")

        first = thief.post(enrol_url(), {"enrolment_code": "abcd-efgh-jkmn"}).content.decode()
        assert "Ask the clinical lead for a new one" in first
        # At once again: refused by the wait, not checked, even with the right code.
        waiting = thief.post(enrol_url(), {"enrolment_code": code}).content.decode()
        assert "Too many wrong codes. Wait" in waiting
        assert not TOTPDevice.objects.filter(user=member).exists()
        # The guess is on record; the try the wait refused was never checked, so it is not.
        refused = SignInEvent.objects.filter(user=member, action=SignInEvent.Action.CODE_REFUSED)
        assert refused.count() == 1

    def test_the_wait_doubles_and_stops_at_the_cap(self, make_staff, lead, settings):
        from staff import two_step

        member = make_staff("frontdesk")
        issue_code(lead, member)
        waits = []
        for _ in range(12):
            SignInEvent.objects.filter(user=member).update(at=F("at") - timedelta(hours=1))
            assert two_step.start_enrolment(member, "wrong-code-000") == (None, 0)
            waits.append(two_step.enrolment_wait(member))
        assert waits[:4] == [1, 2, 4, 8]
        assert max(waits) == settings.STAFF_OTP_MAX_WAIT_SECONDS

    def test_the_real_code_after_the_wait_still_enrols(self, make_staff, lead):
        member = make_staff("frontdesk")
        code = issue_code(lead, member)
        client = browser()
        sign_in(client, "frontdesk")
        client.post(enrol_url(), {"enrolment_code": "abcd-efgh-jkmn"})
        SignInEvent.objects.filter(user=member).update(at=F("at") - timedelta(seconds=2))
        device, response = enrol(client, code)
        assert "Your backup codes" in response.content.decode()
