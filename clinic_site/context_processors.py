from django.urls import reverse

from .clinic import get_clinic

# (label, URL name). A link is "current" when the page is it, or lies under it.
NAV = [
    ("Home", "home"),
]
FOOTER_LINKS = []


def _links(request, entries):
    links = []
    for label, name in entries:
        url = reverse(name)
        current = request.path == url or (url != "/" and request.path.startswith(url))
        links.append({"label": label, "url": url, "current": current})
    return links


def clinic(request):
    return {
        "clinic": get_clinic(),
        "nav_items": _links(request, NAV),
        "footer_links": _links(request, FOOTER_LINKS),
    }
