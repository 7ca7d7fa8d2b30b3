from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .clinic import get_clinic


def needs_second_factor(request):
    user = request.user
    return (
        settings.STAFF_REQUIRE_2FA and user.is_active and user.is_staff and not user.is_verified()
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody edits in the admin: content synced from files, the audit trail."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClinicAdminSite(admin.AdminSite):
    """Staff sign in with a password and then a one-time code (when STAFF_REQUIRE_2FA is on);
    the index page opens with the counts of new and overdue requests."""

    index_template = "admin/clinic_index.html"

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
        from . import two_factor

        return [
            path("2fa/", two_factor.second_factor, {"site": self}, name="two_factor"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        from appointments.models import AppointmentRequest

        extra_context = extra_context or {}
        if request.user.has_perm("appointments.view_appointmentrequest"):
            requests = AppointmentRequest.objects
            extra_context["triage_counts"] = {
                "new": requests.filter(status=AppointmentRequest.Status.NEW).count(),
                "overdue": requests.overdue().count(),
                "mine": requests.open().filter(assignee=request.user).count(),
            }
        return super().index(request, extra_context)
