"""The Contact page (and the referral form, the same machinery) is kept as a shell: each
first-time visitor gets it without the form being rendered again, with a CSRF token and a form
token of their own."""

import re

from django.test import Client

from .conftest import urlencoded


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]+)"', html)[1]


def test_each_visitor_gets_the_contact_form_with_tokens_of_their_own(
    site_content, settings, monkeypatch, request_form
):
    path, form_data = request_form.path, request_form.data
    import appointments.views
    from appointments.models import AppointmentRequest

    rendered = []
    real_render = appointments.views.render
    monkeypatch.setattr(
        appointments.views, "render", lambda *a, **k: rendered.append(1) or real_render(*a, **k)
    )
    settings.APPOINTMENT_MIN_FILL_SECONDS = 0
    visitors = [
        Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver", enforce_csrf_checks=True)
        for _ in range(3)
    ]
    pages = [visitor.get(path) for visitor in visitors]
    assert len(rendered) == 1  # the later visitors got the kept page
    htmls = [page.content.decode() for page in pages]
    for field in ["csrfmiddlewaretoken", "form_token"]:
        assert len({hidden(html, field) for html in htmls}) == 3, field
    assert len({visitor.cookies["csrftoken"].value for visitor in visitors}) == 3
    for page in pages:
        assert "no-store" in page["Cache-Control"]
        assert "Content-Security-Policy" in page
        assert "Cookie" in page["Vary"]
    # A visitor served from the kept page can send the form.
    html = htmls[2]
    response = visitors[2].post(
        path,
        urlencoded(
            {
                **form_data,
                "csrfmiddlewaretoken": hidden(html, "csrfmiddlewaretoken"),
                "form_token": hidden(html, "form_token"),
            }
        ),
        content_type="application/x-www-form-urlencoded",
        HTTP_REFERER=f"https://testserver{path}",
    )
    assert response.status_code == 302
    assert AppointmentRequest.objects.count() == 1


def test_the_contact_form_keeps_the_service_a_visitor_came_from(site_content):
    for _ in range(2):
        html = Client(HTTP_X_FORWARDED_PROTO="https").get("/contact/?service=tms").content
        assert re.search(rb'<option value="tms"[^>]*selected', html)
    html = Client(HTTP_X_FORWARDED_PROTO="https").get("/contact/").content
    assert not re.search(rb'<option value="tms"[^>]*selected', html)
