"""The second step of staff sign-in: a code from an authenticator app (TOTP, django-otp) or a
backup code. A staff member without an authenticator enrols first, with an enrolment code from
the clinical lead (see two_step.py).
"""

import math
from functools import wraps
from urllib.parse import urlencode

from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic_site.times import human_duration

from . import two_step

ENROLLING_DEVICE = "staff_enrolling_device"
NO_ENROLMENT_CODE = (
    "That enrolment code is not right, has been used or has expired. Ask the clinical lead "
    "for a new one: they issue it in the admin, under Staff sign-in."
)


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label="Enrolment code from the clinical lead",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        help_text="Lost your phone? Enter one of your backup codes instead.",
        min_length=6,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_svg(url):
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _with_next(request, url):
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: _next_url(request)})}"


def _next_url(request):
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        return target
    return reverse("admin:index")


def _wait_message(wait, then="enter the newest code"):
    wait = f"{math.ceil(wait / 60)} minutes" if wait > 90 else f"{wait} seconds"
    return f"Too many wrong codes. Wait {wait}, then {then}."


def _page(request, site, title, **context):
    context = {**site.each_context(request), "title": title, "next": _next_url(request), **context}
    return TemplateResponse(request, "staff/two_factor.html", context)


def _signed_in_staff(view):
    """The second step is for staff who have given their password and no code yet."""

    @wraps(view)
    def wrapper(request, site):
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect(reverse("admin:login"))
        if user.is_verified():
            return redirect(_next_url(request))
        return view(request, site)

    return sensitive_post_parameters("token", "enrolment_code")(never_cache(wrapper))


@_signed_in_staff
def second_factor(request, site):
    user = request.user
    if not TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return redirect(_with_next(request, reverse("admin:two_factor_enrol")))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, wait = two_step.check_code(user, form.cleaned_data["token"])
        if device:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "token",
            _wait_message(wait) if wait else "That code is not right, or it has expired.",
        )
    return _page(request, site, "Enter your sign-in code", form=form)


@_signed_in_staff
def enrol(request, site):
    """Enrolment, in two steps: the code the clinical lead issued, which a password thief
    lacks; then the QR code of a new authenticator and one code from it. The new device's id is
    kept in the session, so its key is shown only to the browser that gave the enrolment code."""
    user = request.user
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return redirect(_with_next(request, reverse("admin:two_factor")))
    device = TOTPDevice.objects.filter(
        user=user, confirmed=False, pk=request.session.get(ENROLLING_DEVICE, 0)
    ).first()
    if device is None:
        form = EnrolmentCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            device, wait = two_step.start_enrolment(user, form.cleaned_data["enrolment_code"])
            if device:
                request.session[ENROLLING_DEVICE] = device.pk
                return redirect(_with_next(request, request.path))
            form.add_error(
                "enrolment_code",
                _wait_message(wait, "try the code again") if wait else NO_ENROLMENT_CODE,
            )
        return _page(request, site, "Set up two-step sign-in", form=form, needs_code=True)

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        backup_codes, wait = two_step.finish_enrolment(device, form.cleaned_data["token"])
        if backup_codes:
            del request.session[ENROLLING_DEVICE]
            otp_login(request, device)
            context = {"backup_codes": backup_codes, "next": _next_url(request)}
            return TemplateResponse(
                request, "staff/backup_codes.html", {**site.each_context(request), **context}
            )
        form.add_error(
            "token",
            _wait_message(wait) if wait else "That code is not right, or it has expired.",
        )
    key = device.config_url.split("secret=")[1].split("&")[0]
    return _page(
        request,
        site,
        "Set up two-step sign-in",
        form=form,
        enrolling=True,
        qr_svg=_qr_svg(device.config_url),
        secret=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
    )


def locked_out(request, original_response=None, credentials=None):
    """What a colleague locked out by django-axes (AXES_LOCKOUT_CALLABLE) reads: the admin's
    own page, with the clinic's name, and the wait in words ("Try again in 30 minutes"). Each
    try while locked starts the wait again, so the whole cool-off is what is left."""
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked for now",
        "wait": human_duration(get_cool_off(request)),
    }
    return TemplateResponse(
        request,
        "staff/locked_out.html",
        context,
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    ).render()
