"""The staff admin's site: a password, then a one-time code when STAFF_REQUIRE_2FA is on."""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from clinic_site.clinic import get_clinic

from . import views


def needs_second_factor(request):
    user = request.user
    return (
        settings.STAFF_REQUIRE_2FA and user.is_active and user.is_staff and not user.is_verified()
    )


class ClinicAdminSite(admin.AdminSite):
    """Staff sign in with a password and then a one-time code (when STAFF_REQUIRE_2FA is on).
    The index page opens with the triage counts, which the appointments app's `triage`
    template tags supply, so this site knows nothing of requests."""

    index_template = "staff/index.html"

    @property
    def site_header(self):
        return f"{get_clinic().name}: staff"

    site_title = "Clinic staff"
    index_title = "Triage"

    def has_permission(self, request):
        return super().has_permission(request) and not needs_second_factor(request)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and needs_second_factor(request):
            target = reverse("admin:two_factor")
            next_url = request.GET.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                target += f"?next={next_url}"
            return redirect(target)
        return super().login(request, extra_context)

    def get_urls(self):
        return [
            path("2fa/", views.second_factor, {"site": self}, name="two_factor"),
            path("2fa/enrol/", views.enrol, {"site": self}, name="two_factor_enrol"),
            *super().get_urls(),
        ]
