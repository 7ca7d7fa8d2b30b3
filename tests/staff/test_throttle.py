"""Wrong codes make the next try wait, but never for long: a stolen password must not lock the
real user out, and guessing must stay hopeless."""

import math
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import two_step
from staff.models import SignInEvent
from tests.support.staff import (
    browser,
    code_for,
    enrol_url,
    requests_url,
    sign_in,
    two_factor_url,
)

pytestmark = pytest.mark.django_db


def after_wrong_codes(device, count, seconds_ago):
    device.throttling_failure_count = count
    device.throttling_failure_timestamp = timezone.now() - timedelta(seconds=seconds_ago)
    device.save()


def test_after_a_day_of_wrong_codes_the_real_user_waits_five_minutes_at_most(make_staff):
    user = make_staff("frontdesk")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    after_wrong_codes(device, 300, seconds_ago=0)  # 2**299 seconds, uncapped
    client = browser()
    sign_in(client, "frontdesk")
    waiting = client.post(two_factor_url(), {"token": code_for(device)})
    assert "Too many wrong codes. Wait 5 minutes" in waiting.content.decode()

    after_wrong_codes(device, 300, seconds_ago=settings.STAFF_OTP_MAX_WAIT_SECONDS)
    client.post(two_factor_url(), {"token": code_for(device)})
    assert client.get(requests_url()).status_code == 200


def test_the_clinical_lead_clears_the_wait_in_the_admin(make_staff, signed_in):
    user = make_staff("frontdesk")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    after_wrong_codes(device, 12, seconds_ago=0)
    lead = signed_in(make_staff("lead", role="Clinical lead"))
    page = lead.get(reverse("admin:staff_staffmember_changelist")).content.decode()
    assert "Wrong codes in a row" in page and ">12<" in page
    lead.post(
        reverse("admin:staff_staffmember_changelist"),
        {"action": "clear_wait", "_selected_action": [user.pk]},
    )
    client = browser()
    sign_in(client, "frontdesk")
    client.post(two_factor_url(), {"token": code_for(device)})
    assert client.get(requests_url()).status_code == 200
    event = SignInEvent.objects.get(action="wait cleared")
    assert (event.username, event.by_username) == ("frontdesk", "lead")


def test_a_guesser_with_the_password_gets_a_few_hundred_tries_a_day():
    device = TOTPDevice(name="phone")
    cap = two_step.capped_failures(device)
    # The wait after the nth wrong code in a row, in seconds, as django-otp works it out.
    waits = [device.get_throttle_factor() * 2 ** (min(n, cap) - 1) for n in range(1, 1000)]
    longest = max(waits)
    assert longest <= settings.STAFF_OTP_MAX_WAIT_SECONDS
    tries_a_day = next(n for n in range(len(waits)) if sum(waits[:n]) > 24 * 3600)
    # The codes a device accepts at any moment: this step's, and `tolerance` steps either side.
    valid_codes = 2 * device.tolerance + 1
    p_day = 1 - (1 - valid_codes / 10**6) ** tries_a_day
    assert tries_a_day < 400
    assert p_day < 0.0012  # about 1 in 1,000 a day; the lead sees the wrong codes pile up
    assert 1 - (1 - p_day) ** 7 < 0.01  # under 1% over a week
    assert math.isclose(longest, 256)


def test_the_clinical_lead_reads_the_sign_in_events_and_front_desk_does_not(make_staff, signed_in):
    lead = signed_in(make_staff("lead", role="Clinical lead"))
    desk = signed_in(make_staff("frontdesk"))
    two_step.clear_wait(make_staff("colleague"), by=None)
    events = reverse("admin:staff_signinevent_changelist")
    assert "Wait after wrong codes cleared" in lead.get(events).content.decode()
    assert desk.get(events).status_code == 403
    assert desk.get(reverse("admin:staff_staffmember_changelist")).status_code == 403


@pytest.mark.parametrize("factor", [1, 2, 5])
def test_the_wait_stops_at_the_cap_whatever_django_otps_throttle_factor(
    factor, make_staff, settings
):
    """OTP_TOTP_THROTTLE_FACTOR (django-otp's first wait, in seconds) is the operator's to set:
    the longest wait still stays under STAFF_OTP_MAX_WAIT_SECONDS, and above half of it."""
    settings.OTP_TOTP_THROTTLE_FACTOR = factor
    device = TOTPDevice.objects.create(user=make_staff("frontdesk"), name="phone", confirmed=True)
    after_wrong_codes(device, 300, seconds_ago=0)
    cap = settings.STAFF_OTP_MAX_WAIT_SECONDS
    assert cap / 2 < two_step.wait_seconds(device) <= cap


def test_the_wait_is_said_in_whole_seconds_rounded_up_never_longer(make_staff):
    """Half a second after one wrong code (a one-second wait), the member reads "1 seconds"."""
    device = TOTPDevice.objects.create(user=make_staff("frontdesk"), name="phone", confirmed=True)
    wrong_at = timezone.now()
    after_wrong_codes(device, 1, seconds_ago=0)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=wrong_at)
    device.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=wrong_at + timedelta(seconds=0.5)):
        assert two_step.wait_seconds(device) == 1


def test_the_clinical_lead_clears_the_wait_of_a_member_half_way_through_enrolling(
    make_staff, signed_in
):
    """Wrong codes from the new app (a phone's clock off) made the member wait; the lead
    clears it and the member confirms at once."""
    member = make_staff("frontdesk")
    code, _ = two_step.reset(member)
    client = browser()
    sign_in(client, "frontdesk")
    client.post(enrol_url(), {"enrolment_code": code})
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    after_wrong_codes(device, 8, seconds_ago=0)
    assert (
        "Too many wrong codes"
        in client.post(enrol_url(), {"token": code_for(device)}).content.decode()
    )

    lead = signed_in(make_staff("lead", role="Clinical lead"))
    lead.post(
        reverse("admin:staff_staffmember_changelist"),
        {"action": "clear_wait", "_selected_action": [member.pk]},
    )
    page = client.post(enrol_url(), {"token": code_for(device)}).content.decode()
    assert "Your backup codes" in page
