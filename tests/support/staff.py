"""Staff signing in, as the admin's own pages ask: password, then the second step."""

import re
import time

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

STAFF_PASSWORD = "correct horse battery staple 42"


def login_url():
    return reverse("admin:login")


def two_factor_url():
    return reverse("admin:two_factor")


def enrol_url():
    return reverse("admin:two_factor_enrol")


def requests_url():
    return reverse("admin:appointments_appointmentrequest_changelist")


def browser(address="203.0.113.10"):
    return Client(HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=address)


def sign_in(client, username, password=STAFF_PASSWORD):
    return client.post(
        login_url(),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def code_for(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


STAFF_PAGE = "admin:staff_staffmember_changelist"


def issue_code(lead, member):
    """What the clinical lead does: tick the member, run the action, read the code."""
    response = lead.post(
        reverse(STAFF_PAGE),
        {"action": "issue_enrolment_code", "_selected_action": [member.pk]},
        follow=True,
    )
    return re.search(r"Enrolment code for \w+: ([a-z0-9-]+)", response.content.decode()).group(1)


def enrol(client, code):
    """A new member of staff with the code: scan the QR code, confirm with the app's code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.post(enrol_url(), {"enrolment_code": code})
    device = TOTPDevice.objects.get(confirmed=False, user__username="frontdesk")
    return device, client.post(enrol_url(), {"token": code_for(device)})
