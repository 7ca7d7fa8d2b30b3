"""Structured data (schema.org JSON-LD) for articles."""

from django.conf import settings
from django.templatetags.static import static

from clinic_site.clinic import get_clinic


def _person_or_clinic(name, clinic):
    if name == clinic.name:
        return {"@type": "MedicalClinic", "name": clinic.name}
    return {"@type": "Person", "name": name}


def article_jsonld(article):
    clinic = get_clinic()
    url = settings.SITE_URL + article.get_absolute_url()
    data = {
        "@context": "https://schema.org",
        "@type": ["BlogPosting", "MedicalWebPage"],
        "headline": article.title,
        "description": article.summary,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": "en-US",
        "author": _person_or_clinic(article.author, clinic),
        "publisher": {
            "@type": "MedicalClinic",
            "name": clinic.name,
            "url": settings.SITE_URL + "/",
        },
        "dateModified": article.modified_on.isoformat(),
        "wordCount": article.word_count,
        "keywords": [tag.name for tag in article.tags.all()],
    }
    if not article.dated_by_file:
        data["datePublished"] = article.published_on.isoformat()
    if article.reviewer:
        data["reviewedBy"] = _person_or_clinic(article.reviewer, clinic)
    if article.reviewed_on:
        data["lastReviewed"] = article.reviewed_on.isoformat()
    if article.hero:
        largest = article.hero["sources"]["jpeg"][-1]["path"]
        data["image"] = settings.SITE_URL + static(largest)
    return data
