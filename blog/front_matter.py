"""The front matter of a content file, checked by one form per kind of file.

The limits (lengths, choices, defaults) come from the models, so a file that passes here also
fits the database. Messages are written to follow "path: field 'x': ", as sync_content prints them.
"""

import re
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError

from clinic_site.clinic import CONTENT_SERVICES

from .models import Article, Page

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KNOWN_SERVICES = ", ".join(CONTENT_SERVICES)


class TextField(forms.CharField):
    """A YAML string, stripped; a number or a list is an error, not silently turned to text."""

    def __init__(self, model, name, **kwargs):
        super().__init__(
            max_length=model._meta.get_field(name).max_length,
            error_messages={
                "required": "is required",
                "max_length": "is %(show_value)d characters; the limit is %(limit_value)d",
            },
            **kwargs,
        )

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError("must be text")
        return super().to_python(value)


class DateField(forms.Field):
    """YYYY-MM-DD: YAML gives a date already, or a string we read strictly."""

    default_error_messages = {"required": "is required (YYYY-MM-DD)"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class StrictBooleanField(forms.Field):
    """YAML's true or false. A string ("false") is an error: read as text, it would be true."""

    def to_python(self, value):
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ValidationError("must be true or false, without quotes")
        return value


class WordListField(forms.Field):
    """A list of words; one word alone may be written without the brackets."""

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValidationError("must be a list of words")
        return [v.strip() for v in value]


class ServicesField(WordListField):
    def validate(self, value):
        super().validate(value)
        for service in value:
            if service not in CONTENT_SERVICES:
                raise ValidationError(f"unknown service {service!r}; use one of: {KNOWN_SERVICES}")


class FrontMatter(forms.Form):
    """What every content file may say about itself."""

    title = TextField(Article, "title")
    slug = forms.CharField(strip=False)
    summary = TextField(Article, "summary")
    reviewed_by = TextField(Article, "reviewer", required=False)
    reviewed_on = DateField(required=False)
    updated = DateField(required=False)
    draft = StrictBooleanField(required=False)

    def __init__(self, meta, *, default_slug):
        super().__init__({"slug": default_slug, **meta})
        self.meta = meta

    def clean_slug(self):
        slug = self.data["slug"]
        limit = Article._meta.get_field("slug").max_length
        if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > limit:
            raise ValidationError(
                f"{slug!r} must be lowercase words joined by hyphens ({limit} at most)"
            )
        return slug

    def clean(self):
        data = super().clean()
        if (
            data.get("reviewed_on")
            and not data.get("reviewed_by")
            and "reviewed_by" not in self.errors
        ):
            self.add_error("reviewed_by", "is required when 'reviewed_on' is given")
        return data

    def first_error(self):
        """(field, message) of the first field, in the order above, that is wrong."""
        unknown = sorted(set(self.meta) - set(self.fields))
        if unknown:
            return unknown[0], f"is not a known field ({', '.join(sorted(self.fields))})"
        for name in self.fields:
            if name in self.errors:
                return name, self.errors[name][0]
        return None

    # Front matter names that differ from the model's, and fields the model does not store.
    renamed = {"reviewed_by": "reviewer", "updated": "updated_on"}
    not_stored = {"draft"}

    def model_fields(self):
        """The cleaned front matter, named as the model's fields."""
        data = self.cleaned_data
        fields = {self.renamed.get(k, k): v for k, v in data.items() if k not in self.not_stored}
        fields["is_published"] = not data["draft"]
        return fields


class ArticleFrontMatter(FrontMatter):
    # When the date an article was first published is not known, leave it out: the article
    # then shows the date its file last changed, labelled "Updated" (content.py).
    published = DateField(required=False)
    author = TextField(Article, "author")
    tags = WordListField(required=False)
    services = ServicesField(required=False)
    image = forms.CharField(required=False)
    image_alt = forms.CharField(required=False)

    renamed = {**FrontMatter.renamed, "published": "published_on"}
    not_stored = {*FrontMatter.not_stored, "tags", "image", "image_alt"}

    def clean(self):
        data = super().clean()
        if data.get("image") and not data.get("image_alt"):
            self.add_error("image_alt", "is required with an image: describe it")
        elif data.get("image_alt") and not data.get("image"):
            self.add_error("image", "is missing but 'image_alt' is given")
        return data


class PageFrontMatter(FrontMatter):
    section = forms.ChoiceField(
        choices=Page.Section.choices,
        required=False,
        error_messages={"invalid_choice": f"must be one of: {', '.join(Page.Section.values)}"},
    )
    service = forms.ChoiceField(
        choices=[(s, s) for s in CONTENT_SERVICES],
        required=False,
        error_messages={
            "invalid_choice": f"unknown service %(value)r; use one of: {KNOWN_SERVICES}"
        },
    )
    order = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=32767,  # PositiveSmallIntegerField's ceiling on every database
        error_messages={
            "invalid": "must be a whole number",
            "min_value": "must be a whole number",
            "max_value": "must be a whole number up to %(limit_value)s",
        },
    )
    nav_title = TextField(Page, "nav_title", required=False)

    def clean_section(self):
        return self.cleaned_data["section"] or Page._meta.get_field("section").default

    def clean_order(self):
        order = self.cleaned_data["order"]
        return Page._meta.get_field("order").default if order is None else order

    def clean(self):
        data = super().clean()
        if data.get("section") == Page.Section.SERVICES:
            if not data.get("service") and "service" not in self.errors:
                self.add_error("service", "is required for a service page")
        else:
            data["service"] = ""
        return data
