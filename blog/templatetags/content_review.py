"""The admin index's "Content review due" card: the published articles and pages whose medical
review is missing or over a year old (models.review_due), in one list, each a link to its page
in the admin, for whoever has blog.review_content (the clinical lead)."""

from django import template
from django.urls import reverse

from clinic_site.times import local_date

from ..models import Article, Page, review_due

register = template.Library()


def reviews_due():
    """What the card lists: never reviewed first, then the oldest review."""
    due = []
    for model, kind in ((Article, "Article"), (Page, "Page")):
        for item in model.objects.filter(review_due(), is_published=True).only(
            "pk", "title", "reviewed_on", "reviewer", "source_path"
        ):
            due.append(
                {
                    "kind": kind,
                    "title": item.title,
                    "url": reverse(f"admin:blog_{model._meta.model_name}_change", args=[item.pk]),
                    "reviewed_on": item.reviewed_on,
                    "last_review": (
                        f"last reviewed {local_date(item.reviewed_on)}"
                        + (f" by {item.reviewer}" if item.reviewer else "")
                        if item.reviewed_on
                        else "never reviewed"
                    ),
                    "source_path": item.source_path,
                }
            )
    due.sort(key=lambda i: (i["reviewed_on"] is not None, i["reviewed_on"] or 0, i["title"]))
    return due


@register.inclusion_tag("blog/_content_review_card.html", takes_context=True)
def content_review_card(context):
    if not context["request"].user.has_perm("blog.review_content"):
        return {"show": False}
    return {"show": True, "due": reviews_due()}
