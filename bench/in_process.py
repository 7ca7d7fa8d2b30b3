"""The site in this process, for the benchmarks that time admin pages with Django's test client:
production settings on a throw-away database, and staff signed in past the second step."""

import os
import tempfile


def production_django(prefix):
    """Set up Django under production settings on a scratch database: SQLite in a temp folder,
    or DATABASE_URL if set (it must then be a scratch database: it is migrated and written)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="clinic_site.settings",
        DJANGO_SECRET_KEY="bench-only-secret-key-bench-only-secret-key-bench-only",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_VAR_DIR=tmp,
        DJANGO_STATIC_ROOT=f"{tmp}/static",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    call_command("collectstatic", interactive=False, verbosity=0)


def sign_in(username, group):
    """(user, test client) of a staff member in `group`, signed in with a confirmed second
    factor, as after the real two-step sign-in."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=group))
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user, backend="staff.backends.ModelBackendOneQuery")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return user, client
