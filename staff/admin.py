"""Staff sign-in in the admin: the clinical lead issues enrolment codes and clears the wait
after wrong codes; both are recorded as sign-in events."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic_site.admin import ReadOnlyAdmin

from . import two_step
from .models import SignInEvent, StaffMember


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


@admin.register(SignInEvent)
class SignInEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "action", "by_username"]
    list_filter = ["action"]
    search_fields = ["username", "by_username"]
    date_hierarchy = "at"
