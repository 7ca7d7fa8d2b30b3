from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, reverse, translate_url
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .clinic import get_clinic

# (label, URL name, URL arguments). A link is "current" when the page is it, or lies under it.
NAV = [
    (_("Home"), "home", ()),
    (_("Services"), "services", ()),
    (_("Articles"), "blog:list", ()),
    (_("About"), "page", ("about",)),
    (_("Contact"), "appointments:contact", ()),
]
FOOTER_LINKS = [
    (_("About the clinic"), "page", ("about",)),
    (_("Contact and requests"), "appointments:contact", ()),
    (_("For clinicians: refer a patient"), "referrals:refer", ()),
    (_("Privacy notice"), "page", ("privacy",)),
    (_("Accessibility"), "page", ("accessibility",)),
]


@lru_cache(maxsize=64)
def _reverse(name, args, prefix, language):
    # The same few URLs on every page: worked out once per process (script prefix, language).
    return reverse(name, args=args)


def _links(request, entries):
    links = []
    prefix = get_script_prefix()
    language = get_language()
    for label, name, args in entries:
        url = _reverse(name, args, prefix, language)
        path = getattr(request, "path", "")
        # aria-current: "page" on the page itself, "true" on a page inside its section.
        current = (
            "page" if path == url else "true" if name != "home" and path.startswith(url) else ""
        )
        links.append({"label": label, "url": url, "current": current, "name": name})
    return links


def languages(request):
    """This page in each of the site's languages: the language switch and the hreflang links."""
    path = getattr(request, "path", "/")
    current = get_language()
    return [
        {"code": code, "name": name, "url": translate_url(path, code), "current": code == current}
        for code, name in settings.LANGUAGES
    ]


def clinic(request):
    return {
        "clinic": get_clinic(),
        "nav_items": _links(request, NAV),
        "footer_links": _links(request, FOOTER_LINKS),
        "languages": languages(request),
        # Absolute links (canonical, hreflang) name the site's own address, never the Host
        # header: a page is the same whichever address it was asked for (clinic_site/cache.py).
        "site_url": settings.SITE_URL,
        # The clinic's texts (content/) are English until a clinician reviews a translation:
        # pages in another language mark them lang="en".
        "content_in_english": get_language() != "en",
    }
