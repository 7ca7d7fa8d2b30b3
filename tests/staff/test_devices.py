"""A member's authenticator and backup codes as an administrator sees and manages them: named in
the device lists, switched off there (django-otp's "confirmed"), removed by a reset."""

import io

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import two_step
from staff.models import EnrolmentCode
from tests.support.staff import (
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


def with_backup_code(user, confirmed=True):
    token = "abcde23456"
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=confirmed)
    device.token_set.create(token=token)
    return token


def test_enrolment_names_the_authenticator_app_and_the_backup_codes(make_staff, signed_in):
    """The names a superuser reads in a member's devices (the admin's own device lists are
    hidden from the index: the clinic manages them through resets)."""
    boss = signed_in(make_staff("boss", role=None, is_superuser=True))
    member = make_staff("frontdesk")
    client = browser()
    sign_in(client, "frontdesk")
    enrol(client, issue_code(boss, member))
    apps = TOTPDevice.objects.filter(user=member, confirmed=True)
    codes = StaticDevice.objects.filter(user=member, confirmed=True)
    assert list(apps.values_list("name", flat=True)) == ["Authenticator app"]
    assert list(codes.values_list("name", flat=True)) == ["Backup codes"]


class TestSwitchedOff:
    """An administrator unticks "confirmed" on a device in its list to switch it off."""

    def test_an_old_phone_switched_off_signs_no_one_in_and_the_new_one_does(self, make_staff):
        member = make_staff("frontdesk")
        old = TOTPDevice.objects.create(user=member, name="old phone", confirmed=False)
        new = TOTPDevice.objects.create(user=member, name="new phone", confirmed=True)
        client = browser()
        sign_in(client, "frontdesk")
        client.post(two_factor_url(), {"token": code_for(new)})
        assert client.get(requests_url()).status_code == 200

        thief = browser("198.51.100.9")
        sign_in(thief, "frontdesk")
        refused = thief.post(two_factor_url(), {"token": code_for(old)})
        assert "That code is not right" in refused.content.decode()
        assert thief.get(requests_url()).status_code == 302

    def test_backup_codes_switched_off_sign_no_one_in(self, make_staff):
        member = make_staff("frontdesk")
        TOTPDevice.objects.create(user=member, name="phone", confirmed=True)
        token = with_backup_code(member, confirmed=False)
        client = browser()
        sign_in(client, "frontdesk")
        refused = client.post(two_factor_url(), {"token": token})
        assert "That code is not right" in refused.content.decode()
        assert client.get(requests_url()).status_code == 302


def test_a_backup_code_from_a_member_who_has_none_is_wrong_not_a_reason_to_wait(make_staff):
    member = make_staff("frontdesk")
    TOTPDevice.objects.create(user=member, name="phone", confirmed=True)
    client = browser()
    sign_in(client, "frontdesk")
    refused = client.post(two_factor_url(), {"token": "abcde-23456"}).content.decode()
    assert "That code is not right" in refused and "Wait" not in refused


class TestReset:
    def test_a_reset_removes_and_counts_the_authenticator_and_the_backup_codes(self, make_staff):
        member = make_staff("frontdesk")
        TOTPDevice.objects.create(user=member, name="phone", confirmed=True)
        with_backup_code(member)
        out = io.StringIO()
        call_command("reset_staff_2fa", "frontdesk", stdout=out)
        assert "Removed 2 device(s)" in out.getvalue()
        assert not TOTPDevice.objects.filter(user=member).exists()
        assert not StaticDevice.objects.filter(user=member).exists()

    def test_a_reset_removes_a_half_finished_enrolment_too(self, make_staff):
        """Whoever saw the QR code of an enrolment never confirmed cannot finish it later."""
        member = make_staff("frontdesk")
        code, _ = two_step.reset(member)
        thief = browser("198.51.100.9")
        sign_in(thief, "frontdesk")
        thief.post(enrol_url(), {"enrolment_code": code})
        half = TOTPDevice.objects.get(user=member, confirmed=False)

        _, removed = two_step.reset(member)
        assert removed == 1
        thief.post(enrol_url(), {"token": code_for(half)})
        assert not TOTPDevice.objects.filter(user=member).exists()
        assert thief.get(requests_url()).status_code == 302


class TestEnrollingAtOnce:
    def test_two_members_enrolling_at_the_same_time_both_finish(self, make_staff, signed_in):
        lead = signed_in(make_staff("lead", role="Clinical lead"))
        first, second = make_staff("frontdesk"), make_staff("colleague")
        first_code, second_code = issue_code(lead, first), issue_code(lead, second)
        one, two = browser(), browser("198.51.100.20")
        sign_in(one, "frontdesk")
        sign_in(two, "colleague")
        one.post(enrol_url(), {"enrolment_code": first_code})
        two.post(enrol_url(), {"enrolment_code": second_code})
        for client, member in ((one, first), (two, second)):
            device = TOTPDevice.objects.get(user=member)
            page = client.post(enrol_url(), {"token": code_for(device)}).content.decode()
            assert "Your backup codes" in page
            assert client.get(requests_url()).status_code == 200

    def test_a_new_enrolment_replaces_one_left_unfinished(self, make_staff):
        """However many were left half-finished (by an older version, or by hand), one remains
        once a code is redeemed, and it is the one whose QR code the member sees."""
        member = make_staff("frontdesk")
        TOTPDevice.objects.create(user=member, name="left over", confirmed=False)
        code = EnrolmentCode.issue(member, None)
        device, wait = two_step.start_enrolment(member, code)
        assert wait == 0
        assert list(TOTPDevice.objects.filter(user=member)) == [device]
