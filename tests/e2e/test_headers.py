"""The security headers on HTML responses, from the live server under production settings.

The server runs plain HTTP (see site_server in conftest.py), so it sends no HSTS header:
tests/clinic_site/test_security.py checks HSTS through the test client over HTTPS, and
tests/clinic_site/test_serve.py through gunicorn. test_crawl.py applies the same checks to
every page the crawl finds."""

import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.support.checkers import security_header_problems

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:  # 404 and other answers are pages too
        return error.code, error.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/services/spravato/", 200),
        ("/blog/", 200),
        (ARTICLE, 200),
        ("/blog/?q=spravato", 200),
        ("/contact/", 200),
        ("/privacy/", 200),
        ("/no-such-page/", 404),
        ("/" + settings.ADMIN_URL_PATH + "login/", 200),
    ],
)
def test_html_responses_carry_the_security_headers(site, path, status):
    answered, headers = fetch(site + path)
    assert answered == status
    assert headers.get_content_type() == "text/html"
    assert security_header_problems(headers) == []
