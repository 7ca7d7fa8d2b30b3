import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache

from .clinic import get_clinic
from .http import error_page

logger = logging.getLogger(__name__)


def robots_txt(request):
    # Not the admin: anyone reads this file, and the admin's path is not theirs to know. The
    # admin says noindex on its own responses (clinic_site.middleware.admin_noindex).
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('appointments:thanks')}",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unavailable")
        return JsonResponse({"status": "unavailable", "database": False}, status=503)
    return JsonResponse({"status": "ok", "database": True})


def bad_request(request, exception=None):
    return error_page(
        request, 400, "We could not understand that request", "Please go back and try again."
    )


def permission_denied(request, exception=None):
    return error_page(
        request, 403, "You cannot open this page", "You do not have access to this page."
    )


def csrf_failure(request, reason=""):
    # The reason stays out of the page; it names Django internals, not anything a visitor can fix.
    return error_page(
        request,
        403,
        "Your form has expired",
        "For your security, forms expire. Please go back, reload the page and send it again. "
        "Your browser must allow cookies from this site.",
    )


def page_not_found(request, exception=None):
    return error_page(
        request,
        404,
        "We cannot find that page",
        "The page may have moved. Try the home page or the links below.",
    )


def server_error(request):
    # Rendered without the request's context processors, the session or the database, so this
    # page works when the database is down or when the failure was in a context processor.
    html = loader.render_to_string(
        "500.html", {"clinic": get_clinic(), "status": 500, "request": request}
    )
    return HttpResponse(html, status=500)
