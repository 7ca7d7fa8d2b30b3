"""The clinic's own pages, written in content/pages/: the home page, the services and the
clinic pages (about, privacy, accessibility)."""

from django.shortcuts import get_object_or_404, render

from clinic_site.cache import public_page
from clinic_site.clinic import get_clinic
from clinic_site.seo import clinic_jsonld

from .models import Article, Page


@public_page
def home(request):
    return render(
        request,
        "pages/home.html",
        {
            "services": Page.objects.published().filter(section=Page.Section.SERVICES),
            "latest": Article.objects.published().cards()[:3],
            "jsonld": clinic_jsonld(),
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
    # Every link to the form from a service page preselects that service.
    context = {"page": page, "related": related, "contact_service": page.service}
    if page.service:
        # The clinic's own facts for this service, when it has given them (content/clinic.toml).
        clinic = get_clinic()
        context["self_pay"] = clinic.self_pay.get(page.service, "")
        context["evaluation_wait"] = clinic.evaluation_wait.get(page.service, "")
    return render(request, "pages/page.html", context)
