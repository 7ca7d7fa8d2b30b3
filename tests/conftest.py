import signal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from blog.content import sync_content

SITE_CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages and rate-limit counters from one test must not leak into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    """A visitor's browser reaching the site over HTTPS through the proxy, as in production."""
    return Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver")


@pytest.fixture
def site_content(db):
    """The clinic's real articles and pages, loaded as `make run` loads them."""
    report = sync_content(SITE_CONTENT)
    assert not report.errors, report.errors
    return report


@pytest.fixture
def run_tasks(monkeypatch):
    """What the production task worker does: run every queued task, then stop."""
    # The worker drops database connections between tasks, as a request does; a test runs
    # inside one transaction on one connection (Django's test client skips it the same way).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )

    def run():
        # The worker installs its own shutdown handlers; give pytest its own back.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run


STAFF_PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def make_staff(db, django_user_model):
    """A staff account in one of the roles the data migration creates."""
    from django.contrib.auth.models import Group

    def make(username="frontdesk", role="Front desk", **extra):
        user = django_user_model.objects.create_user(
            username, password=STAFF_PASSWORD, is_staff=True, **extra
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def signed_in():
    """A browser session signed in as `user`, with the second factor already passed."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def sign_in(user):
        browser = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver")
        browser.force_login(user, backend="staff.backends.ModelBackendOneQuery")
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = browser.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return browser

    return sign_in
