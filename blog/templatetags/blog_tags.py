from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clinic_site.clinic import Service

register = template.Library()


@register.inclusion_tag("blog/_hero.html")
def hero_picture(hero, sizes="(min-width: 48rem) 42rem, 100vw", lazy=False):
    """A <picture> with WebP and JPEG srcsets; width and height reserve its space."""
    if not hero:
        return {"hero": None}

    def srcset(fmt):
        return ", ".join(f"{static(s['path'])} {s['width']}w" for s in hero["sources"][fmt])

    jpegs = hero["sources"]["jpeg"]
    return {
        "hero": hero,
        "webp_srcset": srcset("webp"),
        "jpeg_srcset": srcset("jpeg"),
        "src": static(jpegs[-1]["path"]),
        "sizes": sizes,
        "lazy": lazy,
    }


@register.filter
def keep_service(body_html, service):
    """The Markdown's links to the form ("our Contact page") preselect the page's service, as
    the buttons do. The HTML was sanitised at sync time and `service` is one of our slugs."""
    if service:
        url = reverse("appointments:contact")
        body_html = body_html.replace(f'href="{url}"', f'href="{url}?service={service}"')
    return mark_safe(body_html)  # noqa: S308


@register.filter
def lead_and_rest(body_html):
    """(the first paragraph, the rest) of an article's HTML, so that a page can put something
    (the request button and the crisis lines) between them; ("", all of it) when the text does
    not open with a paragraph. Sanitised HTML has no paragraph inside a paragraph, so the first
    "</p>" closes the first one."""
    if not body_html.lstrip().startswith("<p>"):
        return "", body_html
    end = body_html.index("</p>") + len("</p>")
    return mark_safe(body_html[:end]), mark_safe(body_html[end:])  # noqa: S308


# The services' names for the cards that link to their pages, in the page's language: a service
# page's text is English until a clinician reviews a translation, but its name need not wait.
SERVICE_NAMES = {
    Service.SPRAVATO: _("Spravato (esketamine)"),
    Service.TMS: _("TMS therapy"),
    Service.EVALUATION: _("Evaluation and medication management"),
    Service.THERAPY: _("Therapy alongside treatment"),
}


@register.filter
def card_title(page, short=False):
    """A service page's title on a card: its own (`short`: its nav_title) on English pages,
    the service's translated name on the others."""
    if get_language() != "en" and page.service in SERVICE_NAMES:
        return SERVICE_NAMES[page.service]
    return (short and page.nav_title) or page.title
