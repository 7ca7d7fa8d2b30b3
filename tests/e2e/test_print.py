"""Articles and service pages print as readable text: no navigation, the crisis lines kept."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "path", ["/blog/esketamine-therapy-for-treatment-resistant-depression/", "/services/spravato/"]
)
def test_printed_page_keeps_the_text_and_drops_the_navigation(site, page, path):
    page.goto(site + path)
    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main").is_visible()
    assert not page.locator(".skip-link").is_visible()
    assert page.locator(".article-body").is_visible()
    assert page.get_by_role("heading", level=1).is_visible()
    crisis = page.locator(".crisis").first
    assert crisis.is_visible()
    assert "988" in crisis.inner_text() and "911" in crisis.inner_text()
    # Printed links say where they go.
    after = page.evaluate(
        'getComputedStyle(document.querySelector(\'.article-body a[href^="/"], '
        ".article-body a[href^=\"http\"]'), '::after').content"
    )
    assert "attr(href)" in after or after.startswith('" (')
