"""Settings that start a site which then fails someone quietly. Registered as system checks
(clinic_site.apps), so `manage.py check --deploy`, and `migrate` in the release step, report
them; `make lint` fails on them."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.http.request import split_domain_port, validate_host


@register()
def staff_are_told_of_requests(app_configs, **kwargs):
    if settings.APPOINTMENT_NOTIFY_EMAILS:
        return []
    return [
        Warning(
            "APPOINTMENT_NOTIFY_EMAILS is empty: no one on staff is told that a patient has "
            "asked for an evaluation.",
            hint="Set APPOINTMENT_NOTIFY_EMAILS to the front desk's address(es), comma-separated.",
            id="clinic.W001",
        )
    ]


@register()
def client_address_behind_the_proxy(app_configs, **kwargs):
    # SECURE_PROXY_SSL_HEADER alone says nothing: settings set it everywhere. Trusting it in
    # HTTPS-only production, where gunicorn serves plain HTTP, means TLS ends at a proxy,
    # and then REMOTE_ADDR is the proxy's address for every visitor.
    behind_a_proxy = settings.SECURE_PROXY_SSL_HEADER and settings.SECURE_SSL_REDIRECT
    if not behind_a_proxy or settings.RATE_LIMIT_TRUSTED_PROXIES:
        return []
    return [
        Warning(
            "HTTPS ends at a proxy (SECURE_PROXY_SSL_HEADER is trusted) but "
            "RATE_LIMIT_TRUSTED_PROXIES is 0, so every visitor has the proxy's address: all "
            "patients share one contact-form allowance, and 5 wrong passwords lock a staff "
            "username for everyone.",
            hint="Set RATE_LIMIT_TRUSTED_PROXIES to the number of proxies in front of the site "
            "that append to X-Forwarded-For (1 for one nginx or haproxy). For a trial on "
            "plain HTTP without a proxy, set DJANGO_INSECURE_HTTP=1 instead.",
            id="clinic.W002",
        )
    ]


@register()
def secret_key_rotation(app_configs, **kwargs):
    # Django's own deploy check (security.W025) already flags short or weak fallbacks.
    if settings.SECRET_KEY not in settings.SECRET_KEY_FALLBACKS:
        return []
    return [
        Warning(
            "DJANGO_SECRET_KEY_FALLBACKS lists the current DJANGO_SECRET_KEY as a retired "
            "key: the rotation did not happen.",
            hint="Put the new key in DJANGO_SECRET_KEY and only retired keys in "
            "DJANGO_SECRET_KEY_FALLBACKS (docs/deployment.md: rotating the secret key).",
            id="clinic.W003",
        )
    ]


def _loopback(host):
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


@register(Tags.security, deploy=True)
def gunicorn_reachable_only_by_the_proxy(app_configs, **kwargs):
    # A client that reaches gunicorn directly, past the proxy, sends its own X-Forwarded-For,
    # and with the proxy trusted that is the address the site counts: the form's rate limit
    # and the sign-in lockout are gone (issue 21, finding 9).
    if not settings.RATE_LIMIT_TRUSTED_PROXIES or settings.GUNICORN_BEHIND_PROXY_ONLY:
        return []
    if _loopback(settings.GUNICORN_HOST):
        return []
    return [
        Warning(
            f"RATE_LIMIT_TRUSTED_PROXIES trusts X-Forwarded-For, and gunicorn listens on "
            f"{settings.GUNICORN_HOST} (HOST): anyone who reaches that address directly can "
            "claim any client address, and pass the contact form's limit and the sign-in "
            "lockout.",
            hint="Bind gunicorn to 127.0.0.1 with the proxy on the same host (HOST=127.0.0.1), "
            "or let a firewall admit only the proxy to HOST:PORT and then set "
            'GUNICORN_BEHIND_PROXY_ONLY=1 (docs/deployment.md, "Behind a proxy").',
            id="clinic.W004",
        )
    ]


@register()
def site_url_is_the_sites_own(app_configs, **kwargs):
    # Pages build every absolute link (canonical, hreflang, sitemap, feeds) from SITE_URL, not
    # from the Host header, so that one cached page serves every address (clinic_site/cache.py).
    site = urlsplit(settings.SITE_URL)
    domain, _port = split_domain_port(site.netloc)
    https_only = settings.SECURE_SSL_REDIRECT and site.scheme != "https"
    if validate_host(domain, settings.ALLOWED_HOSTS) and not https_only:
        return []
    return [
        Warning(
            f"SITE_URL ({settings.SITE_URL}) is not an address this site serves: every page's "
            "canonical and language links, the sitemap and the feeds point there.",
            hint="Set SITE_URL to the public address patients use, e.g. https://example.org "
            "(its host in DJANGO_ALLOWED_HOSTS; https when the site redirects to HTTPS).",
            id="clinic.W005",
        )
    ]
