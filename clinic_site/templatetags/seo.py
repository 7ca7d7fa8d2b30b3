import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def jsonld(data):
    """Structured data for search engines. A data block, not a script, so the CSP allows it;
    <, > and & are escaped so no value can close the element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        _json_script_escapes
    )
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
