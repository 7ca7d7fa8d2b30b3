"""The second step of staff sign-in: a code from an authenticator app (TOTP, django-otp).

A staff member without a device enrols here first: the page shows a QR code and a key to add to
an authenticator app, and asks for one code to confirm it.
"""

from django import forms
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_svg(url):
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _next_url(request):
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        return target
    return reverse("admin:index")


@sensitive_post_parameters("token")
@never_cache
def second_factor(request, site):
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect(reverse("admin:login"))
    if user.is_verified():
        return redirect(_next_url(request))

    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": "Authenticator app"}
        )

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # django-otp slows guessing down: after each wrong code, the next try must wait longer.
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "token",
            "That code is not right, or it has expired. Try the next one."
            if allowed
            else "Too many wrong codes. Wait a few seconds, then enter the newest code.",
        )

    context = {
        **site.each_context(request),
        "title": "Set up two-step sign-in" if enrolling else "Enter your sign-in code",
        "form": form,
        "enrolling": enrolling,
        "next": _next_url(request),
    }
    if enrolling:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = " ".join(
            device.config_url.split("secret=")[1].split("&")[0][i : i + 4] for i in range(0, 32, 4)
        )
    return TemplateResponse(request, "staff/two_factor.html", context)
