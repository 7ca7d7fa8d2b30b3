"""Browser tests: Debian's Chromium driven by Playwright against a live server.

Without Chromium they skip, loudly; with REQUIRE_BROWSER set (as CI sets it) they fail instead.
A failing test leaves a screenshot in test-results/.
"""

import os
import shutil
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test.utils import override_settings

from blog.content import sync_content
from tests.conftest import SITE_CONTENT
from tests.support.staff import STAFF_PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results" / "screenshots"
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM:
        return
    here = Path(__file__).parent
    browser_tests = [item for item in items if here in Path(item.fspath).parents]
    if not browser_tests:
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(
            f"REQUIRE_BROWSER is set but no Chromium at {CHROMIUM}: apt-get install chromium"
        )
    reason = (
        f"!!! BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium). "
        "Set REQUIRE_BROWSER=1 to make this a failure."
    )
    print(f"\n{reason}\n")
    for item in browser_tests:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
    calls from the test; they are still made one at a time, so allow them here only (the
    deployment checks rightly reject this variable anywhere else)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # Without these, Chromium keeps calling Google's hosts, which this machine refuses.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="package")
def site_server(django_db_setup, django_db_blocker):
    """The site as `DJANGO_INSECURE_HTTP=1 make serve` runs it: production settings, but plain
    HTTP on localhost (no HTTPS redirect, HSTS or secure-only cookies) and no bot timer. The
    server's middleware reads these settings when it starts, so they are set before it does."""
    from pytest_django.live_server_helper import LiveServer

    policy = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {
            k: v
            for k, v in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
            if k != "upgrade-insecure-requests"
        },
    }
    plain_http = override_settings(
        # The form's bot timer (a form sent within seconds of loading is not stored) has tests
        # of its own; a browser test that waited it out would wait 3.5 s a form.
        APPOINTMENT_MIN_FILL_SECONDS=0,
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        SECURE_HSTS_SECONDS=0,
        CONTENT_SECURITY_POLICY=policy,
    )
    plain_http.enable()
    with django_db_blocker.unblock():
        server = LiveServer("localhost")
    # Pages name the site's own address in their absolute links (canonical, hreflang).
    own_address = override_settings(SITE_URL=server.url)
    own_address.enable()
    yield server
    server.stop()
    own_address.disable()
    plain_http.disable()


@pytest.fixture
def site(site_server, transactional_db):
    """The base URL of a live site with the clinic's real content loaded."""
    report = sync_content(SITE_CONTENT)
    assert not report.errors
    return site_server.url


@pytest.fixture
def phone(new_context):
    """A page on a phone-sized screen (pytest-playwright screenshots it if the test fails)."""
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


@pytest.fixture
def screenshot(request):
    """Save a named screenshot of a page for people to look at (test-results/screenshots/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def staff_roles(transactional_db):
    """The roles, as `migrate` leaves them. Browser tests run in transactions that are flushed
    afterwards, which empties the groups table (Django's serialized rollback cannot restore it
    here: with Playwright's event loop running, the ORM uses another connection object)."""
    from staff.roles import sync_roles

    sync_roles()


def staff_device(username="frontdesk", role="Front desk", **names):
    """A staff member in `role` (the roles must exist: the staff_roles fixture) with a confirmed
    authenticator, which sign_in_with_code signs in with."""
    from django.contrib.auth.models import Group, User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(username, password=STAFF_PASSWORD, is_staff=True, **names)
    user.groups.add(Group.objects.get(name=role))
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in_with_code(page, site, device):
    """Sign in to the admin as the owner of TOTP `device`: password, then the current code."""
    from django_otp.oath import TOTP
    from playwright.sync_api import expect

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    page.goto(site + "/admin/")
    page.get_by_label("Username").fill(device.user.get_username())
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    page.get_by_label("6-digit code from your authenticator app").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Sign in").click()
