"""What every page shares: skip link, header and footer with the clinic's facts."""

import re

import pytest

from clinic_site.clinic import get_clinic, load_clinic


@pytest.fixture
def home_html(client, db):
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_page_starts_with_a_skip_link_to_the_main_content(home_html):
    body = home_html.split("<body>", 1)[1]
    assert body.lstrip().startswith('<a class="skip-link" href="#main">')
    assert '<main id="main"' in home_html


def test_header_and_footer_show_the_clinic_name_phone_and_address(home_html):
    clinic = get_clinic()
    assert clinic.name == "Treasure Coast Psychiatry"
    assert home_html.count(f'href="tel:{clinic.phone_e164}"') >= 2
    assert "2030 SE Ocean Blvd" in home_html
    assert "Stuart, FL 34996" in home_html


def test_crisis_lines_show_once_in_the_content_or_the_footer(home_html, client, site_content):
    main, footer = home_html.split('<footer class="site-footer">', 1)
    assert 'href="tel:988"' in main and 'href="tel:988"' not in footer
    privacy = client.get("/privacy/").content.decode()
    main, footer = privacy.split('<footer class="site-footer">', 1)
    assert 'href="tel:988"' not in main
    assert 'href="tel:988"' in footer and "741741" in footer and 'href="tel:911"' in footer
    assert 'href="sms:988"' in footer and 'href="sms:838255"' in footer


def test_head_loads_styles_fonts_and_icons_only_from_this_site(home_html):
    head = home_html.split("</head>")[0]
    for url in re.findall(r'(?:href|src)="([^"]+)"', head):
        assert url.startswith("/") or url.startswith("https://testserver/"), url


def test_clinic_facts_come_from_one_file(tmp_path, settings, client, db):
    other = tmp_path / "clinic.toml"
    other.write_text(
        'name = "Example Clinic"\nshort_name = "Example"\nphone = "(555) 010-0000"\n'
        'phone_e164 = "+15550100000"\nstreet = "1 Main St"\ncity = "Town"\nregion = "NY"\n'
        'postal_code = "10001"\ncountry = "US"\nreply_within = "two days"\n'
    )
    assert load_clinic(other).name == "Example Clinic"
    settings.CLINIC_FILE = other
    html = client.get("/").content.decode()
    assert "Example Clinic" in html
    assert "tel:+15550100000" in html
