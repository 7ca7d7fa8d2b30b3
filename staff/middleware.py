import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse


class StaffSessionLimits:
    """Staff sessions in the admin end after 15 minutes without activity (each admin request
    pushes the expiry back) and, whatever the activity, 12 hours after sign-in.

    Only admin requests touch the session, so public pages stay cacheable and cookie-free."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(reverse("admin:index")) and request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault("staff_session_started", now)
            if now - started > settings.STAFF_SESSION_MAX_SECONDS:
                logout(request)
                return redirect(f"{reverse('admin:login')}?next={request.path}")
            # Push the idle expiry back, writing the session at most once a minute.
            if now - request.session.get("staff_seen_at", 0) >= 60:
                request.session["staff_seen_at"] = now
                request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        return self.get_response(request)
