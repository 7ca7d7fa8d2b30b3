import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from .clinic import get_clinic
from .http import error_page, page_language

logger = logging.getLogger(__name__)


def robots_txt(request):
    # Not the admin: anyone reads this file, and the admin's path is not theirs to know. The
    # admin says noindex on its own responses (clinic_site.middleware.admin_noindex).
    thanks = []
    for code, _name in settings.LANGUAGES:  # the thank-you page at each language's address
        with translation.override(code):
            thanks.append(f"Disallow: {reverse('appointments:thanks')}")
    lines = [
        "User-agent: *",
        *thanks,
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


# What the apps add to the probe (register_health_check): a name and a function that returns
# "ok" or a word for what is wrong. Anything but "ok" makes the answer "degraded", still 200:
# such a host serves pages as well as any other, so no load balancer should take it out.
HEALTH_CHECKS = {}


def register_health_check(name, check):
    HEALTH_CHECKS[name] = check


@never_cache
def healthz(request):
    """For load balancers, answered by clinic_site.middleware.health_check on HEALTH_PATH.
    503 only when the database is down: this host cannot take a request. With the shared cache
    down, pages are served uncached and the form still works, so 200, marked degraded; so too
    when a registered check says something is wrong (the e-mail worker, say)."""
    database = _answers("database", _query_database)
    cache_ok = _answers("cache", lambda: cache.get("health-probe"))
    checks = {name: _ask(name, check) for name, check in HEALTH_CHECKS.items()} if database else {}
    healthy = database and cache_ok and set(checks.values()) <= {"ok"}
    status = "ok" if healthy else "degraded" if database else "unavailable"
    return JsonResponse(
        {"status": status, "database": database, "cache": cache_ok, **checks},
        status=200 if database else 503,
    )


def _ask(name, check):
    try:
        return check()
    except Exception:
        logger.exception("Health check: %s could not be checked", name)
        return "unknown"


def _query_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _answers(name, probe):
    try:
        probe()
    except Exception:
        logger.exception("Health check: %s unavailable", name)
        return False
    return True


def bad_request(request, exception=None):
    return error_page(
        request, 400, _("We could not understand that request"), _("Please go back and try again.")
    )


def permission_denied(request, exception=None):
    return error_page(
        request, 403, _("You cannot open this page"), _("You do not have access to this page.")
    )


def csrf_failure(request, reason=""):
    # The reason stays out of the page; it names Django internals, not anything a visitor can fix.
    return error_page(
        request,
        403,
        _("Your form has expired"),
        _(
            "For your security, forms expire. Please go back, reload the page and send it again. "
            "Your browser must allow cookies from this site."
        ),
    )


def page_not_found(request, exception=None):
    return error_page(
        request,
        404,
        _("We cannot find that page"),
        _("The page may have moved. Try the home page or the links below."),
    )


def server_error(request):
    # Rendered without the request's context processors, the session or the database, so this
    # page works when the database is down or when the failure was in a context processor.
    # After a POST, what was sent may have been stored before the failure (a form's commit
    # can succeed and a later step fail): the page says so, and asks for a call rather than
    # a second copy.
    context = {
        "clinic": get_clinic(),
        "status": 500,
        "request": request,
        "posted": request.method == "POST",
    }
    with translation.override(page_language(request)):
        html = loader.render_to_string("500.html", context)
    return HttpResponse(html, status=500)
