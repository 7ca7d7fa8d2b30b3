from functools import lru_cache

from django.urls import get_script_prefix, reverse

from .clinic import get_clinic

# (label, URL name, URL arguments). A link is "current" when the page is it, or lies under it.
NAV = [
    ("Home", "home", ()),
    ("Services", "services", ()),
    ("Articles", "blog:list", ()),
    ("About", "page", ("about",)),
    ("Contact", "appointments:contact", ()),
]
FOOTER_LINKS = [
    ("About the clinic", "page", ("about",)),
    ("Contact and requests", "appointments:contact", ()),
    ("Privacy notice", "page", ("privacy",)),
    ("Accessibility", "page", ("accessibility",)),
]


@lru_cache(maxsize=64)
def _reverse(name, args, prefix):
    # The same few URLs on every page: worked out once per process (and script prefix).
    return reverse(name, args=args)


def _links(request, entries):
    links = []
    prefix = get_script_prefix()
    for label, name, args in entries:
        url = _reverse(name, args, prefix)
        path = getattr(request, "path", "")
        # aria-current: "page" on the page itself, "true" on a page inside its section.
        current = "page" if path == url else "true" if url != "/" and path.startswith(url) else ""
        links.append({"label": label, "url": url, "current": current, "name": name})
    return links


def clinic(request):
    return {
        "clinic": get_clinic(),
        "nav_items": _links(request, NAV),
        "footer_links": _links(request, FOOTER_LINKS),
    }
