"""Test settings: production settings (DEBUG off, HTTPS-only, shared cache) with two changes
that only make tests faster or possible, so that what we test is what runs."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-012345")

from clinic_site.settings import *  # noqa: E402,F403

# Hashing passwords slowly is the point in production and wasted time in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The hashed-name manifest is built by collectstatic, which `make serve` runs and
# tests/clinic_site/test_serve.py covers; other tests find files where they lie.
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Production's default database cache would tie every test to the database; local memory is
# cleared before each test (tests/conftest.py). With REDIS_URL set, tests use Redis as production.
if not REDIS_URL:  # noqa: F405
    CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405

# Read the content version on every request: each test starts from an empty shared cache.
PAGE_CACHE_VERSION_CHECK_SECONDS = 0

# SQLite: a test database in a file, as production has. Django's default in-memory test
# database is shared-cache SQLite, where parallel writers fail at once ("database table is
# locked") instead of waiting their turn as they do in WAL mode.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405

# The site's public address, as the test client asks for it (canonical links, sitemap, feeds).
SITE_URL = "https://testserver"
