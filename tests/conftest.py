from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from blog.content import sync_content

SITE_CONTENT = Path(__file__).resolve().parents[1] / "content"
BROWSER_TESTS = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items):
    """Every test under tests/e2e drives Chromium: `make test-fast` leaves them out."""
    for item in items:
        if BROWSER_TESTS in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's default language: a test that renders a Spanish page
    (or runs a task under translation.override in this thread) must not leave the next test
    in Spanish."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


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
def run_worker():
    """What the production e-mail worker does: send every e-mail that is due, then stop."""
    from appointments.notify import send_all_due

    return send_all_due


from tests.support.staff import STAFF_PASSWORD  # noqa: E402  (the fixtures below use it)


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


def redis_cache(url):
    """CACHES with the shared cache a Redis at `url`, given up on within a second (the
    per-process aliases stay as they are)."""
    from django.conf import settings

    return {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }


@pytest.fixture
def cache_down():
    """The shared cache is Redis, and nothing answers on its port."""
    from django.test import override_settings

    from tests.support.servers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CACHES=redis_cache(url)):
        yield url


@pytest.fixture
def own_redis():
    """A Redis server of this test's own, on a free port, which the test may stop (never the
    machine's Redis: other test runs use it). Yields a function that stops it."""
    import shutil
    import subprocess
    import time

    import redis
    from django.test import override_settings

    from tests.support.servers import free_port

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)

    def stop():
        server.terminate()
        server.wait(timeout=10)

    try:
        with override_settings(CACHES=redis_cache(url)):
            yield stop
    finally:
        if server.poll() is None:
            stop()
