"""Structured data (schema.org JSON-LD) for the clinic itself."""

from django.conf import settings

from .clinic import get_clinic


def _opening_hours(clinic):
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": list(hours.days),
            "opens": hours.opens.strftime("%H:%M"),
            "closes": hours.closes.strftime("%H:%M"),
        }
        for hours in clinic.hours
    ]


def clinic_jsonld():
    clinic = get_clinic()
    return {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": clinic.name,
        "url": settings.SITE_URL + "/",
        "telephone": clinic.phone_e164,
        "medicalSpecialty": "Psychiatric",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.street,
            "addressLocality": clinic.city,
            "addressRegion": clinic.region,
            "postalCode": clinic.postal_code,
            "addressCountry": clinic.country,
        },
        **({"openingHoursSpecification": _opening_hours(clinic)} if clinic.hours else {}),
        **({"hasMap": clinic.map_url} if clinic.map_url else {}),
    }
