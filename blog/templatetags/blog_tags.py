from django import template
from django.templatetags.static import static

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
