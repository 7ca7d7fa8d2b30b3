"""Two-step sign-in with django-otp: an authenticator app (TOTP), enrolled with a code the
clinical lead issues, and single-use backup codes for a lost phone.

After each wrong code django-otp makes the next try wait twice as long (1, 2, 4 … seconds). Left
alone the wait has no practical cap, so anyone with a stolen password could lock the real user
out for days; here it stops doubling at STAFF_OTP_MAX_WAIT_SECONDS (tests/staff/test_throttle.py
works out what that leaves a guesser).
"""

import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import CODE_ALPHABET, EnrolmentCode, SignInEvent, normalise

BACKUP_CODE_COUNT = 10


def capped_failures(device):
    """The most consecutive failures that count: past it, the wait stops doubling."""
    return int(math.log2(settings.STAFF_OTP_MAX_WAIT_SECONDS / device.get_throttle_factor())) + 1


def wait_seconds(device):
    """How long `device` refuses codes for, with the cap applied; 0 when it accepts them."""
    device.throttling_failure_count = min(device.throttling_failure_count, capped_failures(device))
    allowed, data = device.verify_is_allowed()
    if allowed:
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


def check_code(user, code):
    """Sign-in: the device that accepts `code` (a 6-digit authenticator code or a backup code),
    or None, and the seconds to wait before the next try."""
    code = normalise(code)
    if code.isdigit():
        device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    else:
        device = StaticDevice.objects.devices_for_user(user, confirmed=True).first()
    if device is None:
        return None, 0
    wait = wait_seconds(device)
    if wait:
        return None, wait
    if device.verify_token(code):
        if isinstance(device, StaticDevice):
            SignInEvent.record(user, SignInEvent.Action.BACKUP_CODE_USED)
        return device, 0
    return None, 0


def enrolment_wait(user):
    """Seconds before `user` may try another enrolment code: after each wrong one in a row the
    wait doubles (1, 2, 4 … s), up to STAFF_OTP_MAX_WAIT_SECONDS, as for sign-in codes. The
    codes are long enough that guessing is hopeless anyway; this keeps it slow and on record
    (each wrong code is a sign-in event the clinical lead sees)."""
    cap = settings.STAFF_OTP_MAX_WAIT_SECONDS
    recent = SignInEvent.objects.filter(user=user).values_list("action", "at")
    wrong, last = 0, None
    for action, at in recent[: int(math.log2(cap)) + 2]:
        if action != SignInEvent.Action.CODE_REFUSED:
            break
        wrong, last = wrong + 1, last or at
    if not wrong:
        return 0
    remaining = (last - timezone.now()).total_seconds() + min(2 ** (wrong - 1), cap)
    return max(0, math.ceil(remaining))


def start_enrolment(user, code):
    """A new, unconfirmed authenticator for `user` if `code` is a valid enrolment code, else
    None, and the seconds to wait before the next try. Earlier unconfirmed devices go, so
    however many tabs were open, one remains."""
    wait = enrolment_wait(user)
    if wait:
        return None, wait
    with transaction.atomic():
        if not EnrolmentCode.redeem(user, code):
            SignInEvent.record(user, SignInEvent.Action.CODE_REFUSED)
            return None, 0
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        return device, 0


def finish_enrolment(device, code):
    """Confirm `device` with a code from the app. Returns the backup codes (shown once), or
    None if the code is wrong, and the seconds to wait before the next try."""
    wait = wait_seconds(device)
    if wait or not device.verify_token(normalise(code)):
        return None, wait
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        SignInEvent.record(device.user, SignInEvent.Action.ENROLLED, device.user)
        return issue_backup_codes(device.user), 0


def issue_backup_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes")
    # About 50 random bits each, so guessing one is hopeless even without the wait.
    codes = [get_random_string(10, CODE_ALPHABET) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def reset(user, by=None):
    """A lost phone: remove the user's authenticator and backup codes, and return a fresh
    enrolment code and how many devices went."""
    with transaction.atomic():
        removed = 0
        for device in devices_for_user(user, confirmed=None):
            device.delete()
            removed += 1
        return EnrolmentCode.issue(user, by), removed


def clear_wait(user, by):
    """Let the real user in now, after someone's wrong codes made them wait."""
    for device in devices_for_user(user, confirmed=None):
        if device.throttling_failure_count:
            device.throttle_reset()
    SignInEvent.record(user, SignInEvent.Action.WAIT_CLEARED, by)
