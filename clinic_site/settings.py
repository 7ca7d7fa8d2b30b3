"""The one settings module. Everything that differs between a laptop and production comes from
environment variables; docs/deployment.md has the table. Defaults are safe for development, and
production (DJANGO_DEBUG unset) refuses to start without what it needs.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from clinic_site.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")


def _development_secret_key():
    """A key generated once per checkout and kept in var/ (git-ignored), so sessions survive
    restarts without a secret ever being committed."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production). "
            "For development, set DJANGO_DEBUG=1 and a key is generated in var/."
        )
    SECRET_KEY = _development_secret_key()
# Retired keys, newest first, still accepted for what they signed (sessions, form tokens)
# while the new key takes over: docs/deployment.md, "Rotating the secret key".
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic_site",
    "staff",
    "blog",
    "appointments",
]

MIDDLEWARE = [
    # The load balancer's probe (HEALTH_PATH), answered before anything below can redirect it
    # to HTTPS or refuse its Host.
    "clinic_site.middleware.health_check",
    # Compresses HTML; Django adds random padding against BREACH (docs: GZipMiddleware).
    "django.middleware.gzip.GZipMiddleware",
    # Answers a cached public page before anything below runs (clinic_site/cache.py).
    "clinic_site.cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Wraps everything below it, so every admin response carries its X-Robots-Tag.
    "clinic_site.middleware.admin_noindex",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads a request body (sessions do not, the CSRF check does).
    "clinic_site.middleware.body_limits",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Sets the language from the URL's /es/ prefix (English without one).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "staff.middleware.StaffSessionLimits",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

# Where load balancers probe: 200 while the database answers (the cache may be down), 503 not.
HEALTH_PATH = os.environ.get("HEALTH_PATH", "/healthz")

ROOT_URLCONF = "clinic_site.urls"
WSGI_APPLICATION = "clinic_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic_site.context_processors.clinic",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to one file: WAL lets readers run beside a writer,
    # IMMEDIATE takes the write lock at BEGIN (so a transaction never fails half-way on
    # "database is locked"), and the timeout makes a writer wait its turn instead of failing.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-notes
    # Connections persist (DATABASE_CONN_MAX_AGE), as on PostgreSQL: opening one runs the four
    # PRAGMAs below and closing the last one checkpoints the WAL, which together cost more than
    # rendering a search page (bench/RESULTS.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Cached pages must be shared by every gunicorn worker (and host), so the default is the
# database cache rather than per-process memory; Redis when REDIS_URL is set.

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "clinic",
            # A Redis that is down, or unreachable, fails a page's cache lookup in a second
            # or two instead of holding the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "KEY_PREFIX": "clinic",
        }
    }


# --- Auth and the staff admin ---------------------------------------------------------------

# Where the admin lives (a path without leading slash, ending in "/").
ADMIN_URL_PATH = os.environ.get("DJANGO_ADMIN_PATH", "admin/").strip("/") + "/"
LOGIN_URL = "/" + ADMIN_URL_PATH + "login/"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "staff.backends.ModelBackendOneQuery",
]
# Staff sign in with a password and a TOTP code; on unless turned off, and always on in
# production unless STAFF_REQUIRE_2FA=0 is set explicitly.
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Treasure Coast Psychiatry staff"
# After each wrong code the next try waits twice as long (1, 2, 4 … s), up to about 5 minutes:
# the real user is never kept out for long, and a guesser gets a few hundred tries a day against
# a million codes (tests/staff/test_throttle.py). The clinical lead can clear the wait.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
STAFF_OTP_MAX_WAIT_SECONDS = 300
# An enrolment code, issued in the admin for a new or lost phone, works once within this time.
STAFF_ENROLMENT_CODE_HOURS = 72
# 15 minutes idle (refreshed by each admin request), 12 hours at most after sign-in.
STAFF_SESSION_IDLE_SECONDS = 15 * 60
STAFF_SESSION_MAX_SECONDS = 12 * 60 * 60
SESSION_COOKIE_AGE = STAFF_SESSION_IDLE_SECONDS

# django-axes: the 6th failed sign-in within the cool-off window is refused for that username
# from that client, and for the rest of the window. The clinical lead lifts a lockout in the
# admin ("Sign-in lockouts", "Unlock") or anyone with a shell: `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The clinic's page with the wait in words, and the clinic's own admin page for lockouts
# (staff/admin.py) in place of the library's three.
AXES_LOCKOUT_CALLABLE = "staff.views.locked_out"
AXES_ENABLE_ADMIN = False
AXES_CLIENT_IP_CALLABLE = "clinic_site.http.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        # OWASP ASVS L1 (v4.0.3, 2.1.1): at least 12 characters.
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------

# English at /, Spanish under /es/ (clinic_site/urls.py). The language is in the URL only, so a
# page and its cache entry never depend on a cookie or on Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
# The site's own words; `make` compiles them (compilemessages) before the site or the tests run.
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["clinic_site.formats"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Hero images made from content/ at sync time; collected like any other static file.
GENERATED_IMAGES_DIR = Path(os.environ.get("DJANGO_GENERATED_DIR", VAR_DIR / "generated"))
GENERATED_IMAGES_DIR.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static", ("content", GENERATED_IMAGES_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names (cacheable forever) and pre-compressed brotli/gzip copies.
        "BACKEND": "clinic_site.storage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Files served at the site root (favicon.ico), outside /static/.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# --- Email ----------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587, configures SMTP in one line.

EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))  # seconds; never wait forever
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Treasure Coast Psychiatry <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _email_settings_from_url(url):
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"smtp", "smtp+tls", "smtp+ssl", "smtps"}:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not smtp, smtp+tls or smtp+ssl")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if scheme in {"smtp+ssl", "smtps"} else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls",
        "EMAIL_USE_SSL": scheme in {"smtp+ssl", "smtps"},
    }


if os.environ.get("EMAIL_URL"):
    globals().update(_email_settings_from_url(os.environ["EMAIL_URL"]))
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Otherwise Django's default: SMTP to a mail relay on localhost:25.

# --- Security -------------------------------------------------------------------------------
# Production is HTTPS-only. TLS ends at a proxy, which says so in X-Forwarded-Proto.
# DJANGO_INSECURE_HTTP=1 turns the HTTPS-only settings off to try `make serve` on plain
# http://127.0.0.1 -- never in a real deployment.

HTTPS_ONLY = not DEBUG and not env_bool("DJANGO_INSECURE_HTTP")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = 63072000 if HTTPS_ONLY else 0  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "clinic_site.views.csrf_failure"

# No inline script or style anywhere; JSON-LD data blocks are not scripts and need no allowance.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if HTTPS_ONLY:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# Features the site never uses are switched off for it and anything it might embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "clinic_site.middleware.permissions_policy",
)

# --- Logging and error reports ---------------------------------------------------------------
# Logs carry no request bodies, query strings or row values quoted by the database
# (clinic_site.logging); times are UTC with the zone named. DJANGO_LOG_FORMAT=json writes one
# JSON object a line. With DJANGO_ADMINS set, errors are e-mailed to those addresses, without
# patient data (clinic_site.error_reports).

ADMINS = [(address, address) for address in env_list("DJANGO_ADMINS")]
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be plain or json")
LOGGING = logging_config(
    level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"), fmt=LOG_FORMAT, mail_admins=bool(ADMINS)
)

# --- Third-party apps -----------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "clinic_pack"
CRISPY_TEMPLATE_PACK = "clinic_pack"

# --- The clinic -----------------------------------------------------------------------------

# Name, address, phone and hours live in this file (edit it, or point CLINIC_FILE elsewhere).
CLINIC_FILE = Path(os.environ.get("CLINIC_FILE", BASE_DIR / "content" / "clinic.toml"))
CONTENT_DIR = Path(os.environ.get("CONTENT_DIR", BASE_DIR / "content"))
# Public pages are cached this long (seconds) in the shared cache and in browsers; a content
# sync drops the shared copies at once.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
# Each process asks the shared cache for the content version at most this often, so a sync on
# one host shows on the others within this many seconds (at once on the host that ran it).
PAGE_CACHE_VERSION_CHECK_SECONDS = float(os.environ.get("PAGE_CACHE_VERSION_CHECK_SECONDS", "1"))
# Pages each process also keeps in its own memory, in front of the shared cache.
PAGE_CACHE_LOCAL_PAGES = int(os.environ.get("PAGE_CACHE_LOCAL_PAGES", "200"))
# What cached pages are keyed by: the blog's content version, new after every content sync.
PAGE_CACHE_CONTENT_VERSION = "blog.version.current"
if DEBUG:
    # An edited content file shows on the next page load, without a restart.
    MIDDLEWARE.append("blog.middleware.ContentReloadMiddleware")
# The public address of the site (scheme and host): absolute links on pages (canonical,
# hreflang, sitemap, feeds) and in e-mails use it, whatever Host a request was sent with.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Appointment requests -------------------------------------------------------------------

# Staff addresses told (without patient details) that a request has arrived.
APPOINTMENT_NOTIFY_EMAILS = env_list(
    "APPOINTMENT_NOTIFY_EMAILS", "front-desk@localhost" if DEBUG else ""
)
# Send the sender a short acknowledgement (the reference and next steps, nothing they typed):
# the patient, or for a referral the referring clinician.
APPOINTMENT_ACKNOWLEDGE_PATIENT = env_bool("APPOINTMENT_ACKNOWLEDGE_PATIENT", True)
# E-mails wait in an outbox (appointments/notify.py) for the worker, `manage.py email_worker`.
# In development (DEBUG) each request's e-mails are sent right after its commit, in the same
# process, so `make run` needs no worker; APPOINTMENT_SEND_IMMEDIATELY=0 or =1 overrides that.
APPOINTMENT_SEND_IMMEDIATELY = env_bool("APPOINTMENT_SEND_IMMEDIATELY", DEBUG)
# A failed e-mail is tried again after 1, 2, 4, ... times this many seconds, at most this many
# times in all; then it is shown to staff on the admin index as not sent.
APPOINTMENT_RETRY_SECONDS = int(os.environ.get("APPOINTMENT_RETRY_SECONDS", "60"))
APPOINTMENT_MAX_SEND_ATTEMPTS = int(os.environ.get("APPOINTMENT_MAX_SEND_ATTEMPTS", "8"))
# A sender claims an e-mail before sending it; a claim older than this (a worker killed
# mid-send) is taken over by the next sender. Longer than any send can take (EMAIL_TIMEOUT).
APPOINTMENT_SEND_LEASE_SECONDS = int(
    os.environ.get("APPOINTMENT_SEND_LEASE_SECONDS", str(max(300, 6 * EMAIL_TIMEOUT)))
)
# An e-mail still unsent this many minutes after its request makes /healthz say "degraded"
# and shows on the admin index.
APPOINTMENT_SEND_STALE_MINUTES = int(os.environ.get("APPOINTMENT_SEND_STALE_MINUTES", "15"))
# Faster than this (seconds from page load to submit) is a bot.
APPOINTMENT_MIN_FILL_SECONDS = float(os.environ.get("APPOINTMENT_MIN_FILL_SECONDS", "3"))
# Requests accepted per client per window, counted in the database (appointments.spam),
# where no cache can evict them.
APPOINTMENT_RATE_LIMIT = int(os.environ.get("APPOINTMENT_RATE_LIMIT", "5"))
APPOINTMENT_RATE_WINDOW_SECONDS = int(os.environ.get("APPOINTMENT_RATE_WINDOW_SECONDS", "3600"))
# How many proxies in front of the site append to X-Forwarded-For (0: use REMOTE_ADDR).
RATE_LIMIT_TRUSTED_PROXIES = int(os.environ.get("RATE_LIMIT_TRUSTED_PROXIES", "0"))
# Where gunicorn listens (gunicorn.conf.py reads the same variable). With proxies trusted, only
# the proxy may reach it: `check --deploy` warns (clinic.W004) unless it is loopback, or the
# operator says a firewall admits only the proxy.
GUNICORN_HOST = os.environ.get("HOST", "127.0.0.1")
GUNICORN_BEHIND_PROXY_ONLY = env_bool("GUNICORN_BEHIND_PROXY_ONLY")
# An open request older than this many business days is marked overdue in the admin.
APPOINTMENT_OVERDUE_BUSINESS_DAYS = int(os.environ.get("APPOINTMENT_OVERDUE_BUSINESS_DAYS", "1"))
# Closed, declined and spam requests are purged after this many days (privacy notice says so).
APPOINTMENT_RETENTION_DAYS = int(os.environ.get("APPOINTMENT_RETENTION_DAYS", "365"))
PHONE_DEFAULT_REGION = "US"
# The largest request body the public site takes (the admin takes DATA_UPLOAD_MAX_MEMORY_SIZE):
# the contact form filled in to its limits, percent-encoded, is well under this.
PUBLIC_MAX_BODY_BYTES = 64 * 1024
