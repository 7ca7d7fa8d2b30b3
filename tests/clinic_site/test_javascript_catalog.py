"""The words the site's JavaScript says come from Django's JavaScript catalogue, in the page's
language: a first-party script (the CSP allows only this site's scripts), the same for everyone
and cacheable."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_spanish_form_loads_the_spanish_catalogue_before_its_script(client):
    html = client.get("/es/contact/").content.decode()
    catalogue = html.index('<script src="/es/jsi18n/" defer></script>')
    assert catalogue < html.index("js/site.js")
    assert '<script src="/jsi18n/" defer>' in client.get("/contact/").content.decode()


def test_the_catalogue_says_sending_in_spanish_and_may_be_kept(client, settings):
    settings.DEBUG = False
    response = client.get("/es/jsi18n/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert '"Sending\\u2026": "Enviando\\u2026"' in response.content.decode()
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    assert "Enviando" not in client.get("/jsi18n/").content.decode()
