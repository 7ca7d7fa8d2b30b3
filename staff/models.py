"""Two-step sign-in records: the enrolment codes the clinical lead issues, and a log of who
issued, used or cleared what. Neither holds patient details."""

import hashlib
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string

from clinic_site.times import local_time

# No 0/o, 1/l/i: the code is read aloud or off a sticky note.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def normalise(code):
    return "".join(code.split()).replace("-", "").lower()


def _digest(code):
    return hashlib.sha256(normalise(code).encode()).hexdigest()


class StaffMember(get_user_model()):
    """A staff account as the two-step sign-in page of the admin shows it. A proxy, so the
    clinical lead gets this page without the right to edit accounts."""

    class Meta:
        proxy = True
        default_permissions = ("view",)
        permissions = [
            ("manage_two_step", "Can issue enrolment codes and clear the wait after wrong codes")
        ]
        verbose_name = "staff member"


class SignInLockout(AccessAttempt):
    """Failed sign-ins as django-axes counts them, one row for each username and device: the
    admin's "Sign-in lockouts", where the clinical lead lifts one (staff/admin.py). A proxy, so
    the admin speaks the clinic's words and not the library's."""

    class Meta:
        proxy = True
        default_permissions = ("view",)
        permissions = [("unlock_signinlockout", "Can lift a sign-in lockout")]
        verbose_name = "sign-in lockout"


class EnrolmentCode(models.Model):
    """What a new phone needs besides the password: a code issued in the admin, used once,
    within STAFF_ENROLMENT_CODE_HOURS. Only its hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Enrolment code for {self.user}, issued {local_time(self.issued_at)}"

    @classmethod
    def issue(cls, user, by):
        """A fresh code for `user`; earlier unused codes stop working. Returns the code, which
        is shown once and not stored."""
        code = get_random_string(12, CODE_ALPHABET)
        now = timezone.now()
        cls.objects.filter(user=user, used_at=None).delete()
        cls.objects.create(
            user=user,
            code_hash=_digest(code),
            issued_by=by,
            issued_at=now,
            expires_at=now + timedelta(hours=settings.STAFF_ENROLMENT_CODE_HOURS),
        )
        SignInEvent.record(user, SignInEvent.Action.CODE_ISSUED, by)
        return "-".join(code[i : i + 4] for i in range(0, 12, 4))

    @classmethod
    def redeem(cls, user, code):
        """True once for a valid code: the update marks it used in the same statement that
        finds it, so two tabs entering it at once cannot both succeed."""
        now = timezone.now()
        return bool(
            cls.objects.filter(
                user=user, code_hash=_digest(code), used_at=None, expires_at__gt=now
            ).update(used_at=now)
        )


class SignInEvent(models.Model):
    """Who issued or used an enrolment code, enrolled, used a backup code or cleared a wait."""

    class Action(models.TextChoices):
        CODE_ISSUED = "code issued", "Enrolment code issued"
        CODE_REFUSED = "code refused", "Wrong enrolment code entered"
        ENROLLED = "enrolled", "Enrolled an authenticator"
        BACKUP_CODE_USED = "backup used", "Signed in with a backup code"
        WAIT_CLEARED = "wait cleared", "Wait after wrong codes cleared"
        UNLOCKED = "unlocked", "Sign-in lockout lifted"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Usernames as text too, so the entry still says who it was if an account is deleted.
    username = models.CharField(max_length=150)
    by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "sign-in event"

    def __str__(self):
        return f"{local_time(self.at)} {self.username} {self.get_action_display()}"

    @classmethod
    def record(cls, user, action, by=None):
        by = by if getattr(by, "is_authenticated", False) else None
        return cls.objects.create(
            user=user,
            username=user.get_username(),
            action=action,
            by=by,
            by_username=by.get_username() if by else "",
        )
