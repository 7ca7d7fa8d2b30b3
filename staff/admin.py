"""Staff sign-in in the admin: the clinical lead issues enrolment codes, clears the wait after
wrong codes and lifts sign-in lockouts; each is recorded as a sign-in event.

The libraries' own admin pages are left out (AXES_ENABLE_ADMIN, and the unregistering below):
their access logs, failure logs and devices, under their package names, are nothing the clinic
works with; this module shows what it does need in its own words."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic_site.admin import ReadOnlyAdmin
from clinic_site.times import local_time

from . import two_step
from .models import SignInEvent, SignInLockout, StaffMember

# Enrolment and backup codes are managed under "Staff members" (StaffMemberAdmin).
for device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device):
        admin.site.unregister(device)


# Accounts are made and edited under Users; this page is only for their sign-in.
@admin.register(StaffMember)
class StaffMemberAdmin(ReadOnlyAdmin):
    list_display = ["username", "get_full_name", "enrolled", "backup_codes_left", "wrong_codes"]
    search_fields = ["username", "first_name", "last_name"]
    list_display_links = None
    fields = ["username", "first_name", "last_name"]
    actions = ["issue_enrolment_code", "clear_wait"]

    def get_queryset(self, request):
        staff = super().get_queryset(request).filter(is_staff=True, is_active=True)
        if not request.user.is_superuser:
            # Whoever may reset an administrator's sign-in could take their account over.
            staff = staff.filter(is_superuser=False)
        return staff.annotate(
            has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )

    @admin.display(boolean=True, description="Authenticator set up")
    def enrolled(self, member):
        return member.has_device

    @admin.display(description="Backup codes left")
    def backup_codes_left(self, member):
        return StaticToken.objects.filter(device__user=member).count()

    @admin.display(description="Wrong codes in a row")
    def wrong_codes(self, member):
        device = TOTPDevice.objects.filter(user=member, confirmed=True).first()
        return device.throttling_failure_count if device else "–"

    def has_manage_two_step_permission(self, request):
        return request.user.has_perm("staff.manage_two_step")

    @admin.action(
        permissions=["manage_two_step"],
        description="Issue an enrolment code (removes their authenticator and backup codes)",
    )
    def issue_enrolment_code(self, request, queryset):
        hours = settings.STAFF_ENROLMENT_CODE_HOURS
        for member in queryset:
            code, _ = two_step.reset(member, by=request.user)
            self.message_user(
                request,
                f"Enrolment code for {member.get_username()}: {code}. Give it to them in person "
                f"or by phone; it works once, within {hours} hours, and is not shown again.",
                messages.WARNING,
            )

    @admin.action(permissions=["manage_two_step"], description="Clear the wait after wrong codes")
    def clear_wait(self, request, queryset):
        for member in queryset:
            two_step.clear_wait(member, by=request.user)
        self.message_user(
            request,
            f"Cleared for {len(queryset)} staff member(s). Many wrong codes may mean someone else "
            "knows the password: ask an administrator to change it.",
        )


@admin.register(SignInLockout)
class SignInLockoutAdmin(ReadOnlyAdmin):
    """Failed sign-ins by username and device; five in a row lock that pair out for
    AXES_COOLOFF_TIME. The clinical lead lifts a lockout with "Unlock"."""

    list_display = ["username", "state", "failures_since_start", "last_failure", "ip_address"]
    list_display_links = None
    search_fields = ["username"]
    ordering = ["-attempt_time"]
    actions = ["unlock"]

    @admin.display(description="Locked?")
    def state(self, attempt):
        if attempt.failures_since_start < settings.AXES_FAILURE_LIMIT:
            return f"No: {attempt.failures_since_start} of {settings.AXES_FAILURE_LIMIT} tries"
        until = attempt.attempt_time + get_cool_off()
        return f"Locked until {local_time(until)}"

    @admin.display(description="Failed sign-ins")
    def failures_since_start(self, attempt):
        return attempt.failures_since_start

    @admin.display(description="Last failed", ordering="attempt_time")
    def last_failure(self, attempt):
        return local_time(attempt.attempt_time)

    def get_list_display(self, request):
        # The address tells an office device from an unknown one; the browser's user agent
        # string, which django-axes also keeps, tells staff nothing.
        names = super().get_list_display(request)
        return [("from_address" if n == "ip_address" else n) for n in names]

    @admin.display(description="From (address)")
    def from_address(self, attempt):
        return attempt.ip_address or ""

    def has_unlock_permission(self, request):
        return request.user.has_perm("staff.unlock_signinlockout")

    @admin.action(permissions=["unlock"], description="Unlock: let them try again now")
    def unlock(self, request, queryset):
        users = get_user_model().objects.filter(
            username__in=queryset.values_list("username", flat=True)
        )
        for user in users:
            SignInEvent.record(user, SignInEvent.Action.UNLOCKED, by=request.user)
        names = ", ".join(sorted({attempt.username for attempt in queryset}))
        queryset.delete()
        self.message_user(
            request,
            f"Unlocked: {names} can sign in again now. Many failed sign-ins may mean someone "
            "else is trying the password: ask an administrator to change it.",
        )


@admin.register(SignInEvent)
class SignInEventAdmin(ReadOnlyAdmin):
    list_display = ["when", "username", "action", "by_username"]
    list_filter = ["action"]
    search_fields = ["username", "by_username"]
    date_hierarchy = "at"

    @admin.display(description="At", ordering="at")
    def when(self, event):
        return local_time(event.at)
