from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe

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
