"""A Spanish-speaking patient finds the site in Spanish under /es/: the same pages, the site's
own words translated, the crisis lines in Spanish, and the clinic's texts honestly marked as
English until a clinician reviews a translation."""

import re

import pytest

from clinic_site.clinic import get_clinic

pytestmark = pytest.mark.django_db

ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"


@pytest.fixture(autouse=True)
def _content(site_content):
    return site_content


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_spanish_home_page_speaks_spanish(client):
    html = html_of(client, "/es/")
    assert '<html lang="es">' in html
    assert "Ayuda para la depresión que no ha respondido al tratamiento" in html
    nav = html.split('class="container site-nav"', 1)[1].split("</nav>", 1)[0]
    for label, href in [
        ("Inicio", "/es/"),
        ("Servicios", "/es/services/"),
        ("Contacto", "/es/contact/"),
    ]:
        assert f'href="{href}"' in nav and label in nav, label
    # The promise comes from clinic.toml's [es] table, not in English.
    assert "en un plazo de un día hábil" in html
    assert "one business day" not in html


def test_the_spanish_navigation_marks_the_section_not_the_home_page(client):
    html = html_of(client, "/es/services/spravato/")
    assert 'href="/es/services/" aria-current="true">Servicios' in html
    assert 'href="/es/">Inicio</a>' in html  # not current: it is every page's prefix
    assert 'href="/es/" aria-current="page">Inicio' in html_of(client, "/es/")


def test_the_crisis_lines_in_spanish_name_988_and_911_and_how_to_reach_spanish_counselors(client):
    for url in ("/es/", "/es/services/", "/es/about/"):
        html = html_of(client, url)
        assert "¿Está en crisis? Pida ayuda ahora" in html
        assert html.count('href="tel:911"') == 1
        assert "marque 2" in html and "AYUDA" in html
        # The Crisis Text Line in Spanish is its own keyword, AYUDA, not the English HOME.
        assert 'Envíe AYUDA por mensaje de texto al <a href="sms:741741">' in html
        assert "HOME" not in html
    english = html_of(client, "/about/")
    assert "In crisis? Get help now" in english and 'Text HOME to <a href="sms:741741">' in english


def test_an_article_in_spanish_says_plainly_that_its_text_is_in_english(client):
    html = html_of(client, "/es" + ARTICLE)
    assert '<html lang="es">' in html
    assert "Por ahora, este texto solo está disponible en inglés." in html
    # No link to "the English page": its text is the one below (the header's switch remains).
    note = re.search(r'<p class="language-note">.*?</p>', html)[0]
    assert "<a " not in note
    # The English text is marked, so a screen reader reads it with an English voice.
    assert re.search(r'<div class="article-body" lang="en">', html)
    assert re.search(r'<h1 lang="en">', html)
    assert "Solicitar una evaluación" in html
    assert "min de lectura" in html
    assert "de diciembre de 2025" in html  # the date in Spanish
    english = html_of(client, ARTICLE)
    assert "solo está disponible en inglés" not in english
    assert '<div class="article-body">' in english


def test_every_page_links_to_itself_in_the_other_language(client):
    for english in ("/", "/services/spravato/", "/blog/", ARTICLE, "/contact/", "/privacy/"):
        spanish = "/es" + english
        html = html_of(client, english)
        assert (
            f'class="language-switch" href="{spanish}" hreflang="es" lang="es">Español</a>' in html
        )
        assert f'<link rel="alternate" hreflang="es" href="https://testserver{spanish}">' in html
        assert (
            f'<link rel="alternate" hreflang="x-default" href="https://testserver{english}">'
            in html
        )
        back = html_of(client, spanish)
        assert (
            f'class="language-switch" href="{english}" hreflang="en" lang="en">English</a>' in back
        )
        assert f'<link rel="canonical" href="https://testserver{spanish}">' in back


def test_switching_language_on_the_form_keeps_the_treatment_chosen(client):
    html = html_of(client, "/contact/?service=tms")
    assert 'class="language-switch" href="/es/contact/?service=tms"' in html
    back = html_of(client, "/es/contact/?service=tms")
    assert 'class="language-switch" href="/contact/?service=tms"' in back
    # Each treatment its own link, and none where none was chosen.
    assert 'href="/es/contact/?service=spravato"' in html_of(client, "/contact/?service=spravato")
    assert 'class="language-switch" href="/es/contact/"' in html_of(client, "/contact/")
    assert 'class="language-switch" href="/es/contact/"' in html_of(client, "/contact/?service=x")


def test_the_language_is_the_urls_not_the_browsers(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in html
    html = client.get("/es/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in html


def test_spanish_pages_are_cached_like_english_ones_and_keep_their_language(
    client, django_assert_num_queries
):
    for url in ("/es/services/", "/services/", "/es" + ARTICLE, "/es/blog/"):
        client.get(url)
    with django_assert_num_queries(0):  # the second visits come from the page cache
        assert '<html lang="es">' in html_of(client, "/es/services/")
        assert '<html lang="en">' in html_of(client, "/services/")
        assert '<html lang="es">' in html_of(client, "/es" + ARTICLE)
        assert '<html lang="es">' in html_of(client, "/es/blog/")
        cached = client.get("/es/services/")
    assert cached["Content-Language"] == "es"


def test_an_unknown_spanish_address_gets_the_spanish_404_page(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "No encontramos esa página" in html
    assert 'href="/es/">Ir a la página de inicio</a>' in html


def test_a_request_refused_at_the_door_is_explained_in_the_pages_language(client, settings):
    response = client.post(
        "/es/contact/",
        data="x" * (settings.PUBLIC_MAX_BODY_BYTES + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "Su solicitud es demasiado larga para enviarla" in response.content.decode()


def test_searching_in_spanish_keeps_the_page_spanish(client):
    html = html_of(client, "/es/blog/?q=spravato")
    assert '<html lang="es">' in html
    assert re.search(r"\d+ artículos? encontrados? para “spravato”", html)
    assert "Buscar artículos" in html
    # The English search, after the Spanish one, is still English.
    english = html_of(client, "/blog/?q=spravato")
    assert re.search(r"\d+ articles? found for “spravato”", english)
    assert "Buscar" not in english


def test_the_sitemap_lists_both_languages(client):
    xml = client.get("/sitemap.xml").content.decode()
    for path in ("/", "/services/spravato/", ARTICLE, "/contact/"):
        assert f"<loc>https://testserver{path}</loc>" in xml
        assert f"<loc>https://testserver/es{path}</loc>" in xml
    assert 'hreflang="es" href="https://testserver/es/services/spravato/"' in xml


def test_the_clinics_facts_speak_each_language():
    assert get_clinic("en").reply_within == "one business day"
    assert get_clinic("es").reply_within == "un día hábil"
    assert get_clinic("es").phone == get_clinic("en").phone
