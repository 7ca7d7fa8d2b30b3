import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache

from blog.models import Article, Page

from .cache import public_page
from .clinic import get_clinic
from .seo import clinic_jsonld

logger = logging.getLogger(__name__)


@public_page
def home(request):
    return render(
        request,
        "pages/home.html",
        {
            "services": Page.objects.published().filter(section=Page.Section.SERVICES),
            "latest": Article.objects.published().cards()[:3],
            "jsonld": clinic_jsonld(request),
        },
    )


@public_page
def services(request):
    return render(
        request,
        "pages/services.html",
        {"services": Page.objects.published().filter(section=Page.Section.SERVICES)},
    )


@public_page
def service(request, slug):
    return _page(request, slug, Page.Section.SERVICES)


@public_page
def page(request, slug):
    return _page(request, slug, Page.Section.CLINIC)


def _page(request, slug, section):
    page = get_object_or_404(Page.objects.published(), slug=slug, section=section)
    related = []
    if page.related_slugs:
        found = Article.objects.cards_by_slug(page.related_slugs)
        related = [found[s] for s in page.related_slugs if s in found]
    return render(request, "pages/page.html", {"page": page, "related": related})


def robots_txt(request):
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
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


def _error_page(request, status, title, message):
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    return _error_page(
        request, 400, "We could not understand that request", "Please go back and try again."
    )


def permission_denied(request, exception=None):
    return _error_page(
        request, 403, "You cannot open this page", "You do not have access to this page."
    )


def csrf_failure(request, reason=""):
    # The reason stays out of the page; it names Django internals, not anything a visitor can fix.
    return _error_page(
        request,
        403,
        "Your form has expired",
        "For your security, forms expire. Please go back, reload the page and send it again. "
        "Your browser must allow cookies from this site.",
    )


def page_not_found(request, exception=None):
    return _error_page(
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
