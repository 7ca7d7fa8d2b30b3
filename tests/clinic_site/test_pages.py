"""The clinic's own pages: what a prospective patient finds, and what every page shares."""

import json
import re

import pytest

from clinic_site.clinic import get_clinic

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/services/",
    "/services/spravato/",
    "/services/tms/",
    "/services/evaluation/",
    "/services/therapy/",
    "/about/",
    "/privacy/",
    "/accessibility/",
    "/contact/",
    "/blog/",
    "/blog/esketamine-therapy-for-treatment-resistant-depression/",
]


@pytest.fixture(autouse=True)
def _content(site_content):
    return site_content


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_every_page_has_crisis_resources_nav_and_clinic_facts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    clinic = get_clinic()
    footer = html.split('<footer class="site-footer">', 1)[1]
    # Once a page: in the content where the page puts them, or else in the footer; every line
    # in it (tests/clinic_site/test_crisis_lines.py reads them).
    assert len(re.findall(r'class="crisis[ "]', html)) == 1
    crisis = re.split(r'class="crisis[ "]', html, maxsplit=1)[1].split("</ul>", 1)[0]
    for resource in ('href="tel:988"', 'href="sms:988"', 'href="sms:838255"', "HOME to",
                     'href="sms:741741"', 'href="tel:911"'):  # fmt: skip
        assert resource in crisis, resource
    assert clinic.street in footer and clinic.phone in footer
    assert f'href="{clinic.tel_href}"' in footer
    assert "for our office hours" in footer  # not known yet: no made-up hours
    assert 'href="/privacy/"' in footer and 'href="/accessibility/"' in footer
    assert '<nav class="container site-nav" aria-label="Main">' in html
    assert html.count("<h1") == 1
    assert re.search(r'<meta name="description" content="[^"]{30,}">', html)
    assert f'<link rel="canonical" href="https://testserver{url}">' in html


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/", "Home"),
        ("/services/", "Services"),
        ("/services/tms/", "Services"),
        ("/blog/", "Articles"),
        ("/about/", "About"),
        ("/contact/", "Contact"),
    ],
)
def test_nav_marks_where_the_visitor_is(client, url, current):
    nav = client.get(url).content.decode().split('aria-label="Main"', 1)[1].split("</nav>")[0]
    marked = re.findall(r'aria-current="(?:page|true)">([^<]+)<', nav)
    assert marked == [current]


def test_home_page_explains_the_clinic_at_a_glance(client):
    html = client.get("/").content.decode()
    assert "Treatment-resistant depression (TRD)" in html
    for service in ("/services/spravato/", "/services/tms/", "/services/evaluation/",
                    "/services/therapy/"):  # fmt: skip
        assert f'href="{service}"' in html
    assert "Latest articles" in html
    assert 'class="button" href="/contact/">Request an evaluation' in html
    assert "We call you back within one business day" in html
    main = html.split("<main", 1)[1].split("</main>")[0]
    assert 'class="crisis"' in main


def test_home_page_describes_the_clinic_to_search_engines(client):
    html = client.get("/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    clinic = get_clinic()
    assert data["@type"] == "MedicalClinic"
    assert data["name"] == clinic.name
    assert data["medicalSpecialty"] == "Psychiatric"
    assert data["telephone"] == clinic.phone_e164
    assert data["address"]["streetAddress"] == clinic.street
    assert data["address"]["postalCode"] == clinic.postal_code
    # The hours are not known yet (content/clinic.toml): none are claimed.
    assert "openingHoursSpecification" not in data


@pytest.mark.parametrize("service", ["spravato", "tms", "evaluation", "therapy"])
def test_each_service_page_links_to_the_form_with_its_service(client, service):
    html = client.get(f"/services/{service}/").content.decode()
    assert f'href="/contact/?service={service}">Request an evaluation' in html
    assert 'class="footnote"' in html  # every clinical statement is cited
    assert "not medical advice" in html


def test_unknown_page_is_a_404(client):
    assert client.get("/services/acupuncture/").status_code == 404
    assert client.get("/privacy-policy/").status_code == 404


@pytest.mark.parametrize(
    ("url", "service"),
    [
        ("/blog/esketamine-therapy-for-treatment-resistant-depression/", "spravato"),
        ("/services/spravato/", "spravato"),
        ("/services/tms/", "tms"),
    ],
)
def test_every_link_to_the_form_from_a_treatment_page_keeps_the_treatment(client, url, service):
    html = client.get(url).content.decode()
    links = re.findall(r'href="(/contact/[^"]*)"', html)
    # The button under the title, the one at the end, the header's and the footer's Contact.
    assert len(links) >= 4
    assert set(links) == {f"/contact/?service={service}"}
    header = html.split("</header>", 1)[0]
    assert f'href="/contact/?service={service}"' in header
    # The first request button comes before the body of the text (an article: after its first
    # paragraph, so that the text starts on a phone's first screen).
    assert html.index(f'class="button" href="/contact/?service={service}"') < html.index(
        'class="article-body"'
    )


def test_the_markdown_contact_link_in_an_article_keeps_its_service(client):
    html = client.get("/blog/esketamine-therapy-for-treatment-resistant-depression/").content
    body = html.decode().split('class="article-body"', 1)[1].split('class="footnote"', 1)[0]
    assert 'href="/contact/?service=spravato">Contact page</a>' in body


def test_other_pages_link_to_the_form_without_a_service(client):
    html = client.get("/about/").content.decode()
    assert set(re.findall(r'href="(/contact/[^"]*)"', html)) == {"/contact/"}
