"""Every public page, found by following links from the home page, checked in Chromium:
no accessibility violations (axe-core), valid HTML (Nu HTML Checker), nothing loaded from
another host, the basics search engines and screen readers need, and no broken links."""

import json
import subprocess
import tempfile
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Not pages: files, feeds, the staff admin, and the thank-you page (it needs a request first).
SKIP_PREFIXES = ("/static/", "/blog/feed/", "/admin/", "/contact/thanks/")


def crawl(page, base):
    """Visit every same-site page reachable from the home page. Returns {path: result}."""
    host = urlsplit(base).netloc
    foreign, results = [], {}
    page.on(
        "request",
        lambda request: (
            urlsplit(request.url).netloc not in (host, "")
            and not request.url.startswith("data:")
            and foreign.append(request.url)
        ),
    )
    queue, seen = deque(["/"]), {"/"}
    while queue:
        path = queue.popleft()
        response = page.goto(base + path)
        page.wait_for_load_state("load")
        page.add_script_tag(path=str(AXE))
        axe = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
        )
        results[path] = {
            "status": response.status,
            "headers": response.all_headers(),
            "html": response.text(),
            "axe": axe,
            "basics": page.evaluate(
                """() => ({
                title: document.title.trim(),
                description: document.querySelector('meta[name=description]')?.content || '',
                h1: document.querySelectorAll('h1').length,
                lang: document.documentElement.lang,
                canonical: document.querySelector('link[rel=canonical]')?.href || '',
            })"""
            ),
        }
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urldefrag(urljoin(base + path, href))[0]
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.netloc != host:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target.startswith(SKIP_PREFIXES) or target in seen:
                continue
            seen.add(target)
            queue.append(target)
    return results, foreign


def nu_html_errors(pages):
    """Run the Nu HTML Checker once over every page; return {path: [error messages]}."""
    folder = Path(tempfile.mkdtemp(prefix="vnu-"))
    names = {}
    for n, (path, html) in enumerate(pages.items()):
        file = folder / f"page{n}.html"
        file.write_text(html)
        names[file.name] = path
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, folder.glob("*.html")),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    errors = {}
    for message in json.loads(result.stderr)["messages"]:
        if message.get("type") == "error":
            path = names.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
            errors.setdefault(path, []).append(
                f"line {message.get('lastLine')}: {message['message']} "
                f"[{message.get('extract', '').strip()[:80]}]"
            )
    return errors


@pytest.fixture(scope="module")
def crawled(site_server, django_db_blocker, browser):
    from blog.content import sync_content
    from tests.conftest import SITE_CONTENT

    with django_db_blocker.unblock():
        sync_content(SITE_CONTENT)
        # The site's CSP (rightly) refuses the injected axe-core script; the checker may pass.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        try:
            yield crawl(page, site_server.url)
        finally:
            context.close()


def test_the_crawl_finds_every_kind_of_public_page(crawled):
    results, _ = crawled
    for expected in ("/", "/services/", "/services/spravato/", "/blog/", "/contact/",
                     "/about/", "/privacy/", "/accessibility/", "/blog/tags/therapy/",
                     "/blog/esketamine-therapy-for-treatment-resistant-depression/"):  # fmt: skip
        assert expected in results
    assert len(results) >= 20


def test_no_broken_internal_links(crawled):
    results, _ = crawled
    broken = {path: r["status"] for path, r in results.items() if r["status"] != 200}
    assert broken == {}


def test_no_accessibility_violations_of_any_impact(crawled):
    results, _ = crawled
    violations = {path: r["axe"] for path, r in results.items() if r["axe"]}
    assert violations == {}, json.dumps(violations, indent=2)


def test_every_page_is_valid_html(crawled):
    results, _ = crawled
    errors = nu_html_errors({path: r["html"] for path, r in results.items()})
    assert errors == {}, json.dumps(errors, indent=2)


def test_nothing_is_requested_from_another_host(crawled):
    _, foreign = crawled
    assert foreign == []


def test_every_page_has_title_description_one_h1_lang_and_canonical(crawled):
    results, _ = crawled
    problems = {}
    for path, result in results.items():
        basics = result["basics"]
        missing = [
            name
            for name, ok in (
                ("title", bool(basics["title"])),
                ("meta description", len(basics["description"]) >= 30),
                ("exactly one h1", basics["h1"] == 1),
                ("lang", basics["lang"] == "en"),
                ("canonical", basics["canonical"].startswith("http")),
            )
            if not ok
        ]
        if missing:
            problems[path] = missing
    assert problems == {}


@pytest.mark.parametrize("path", ["/", "/contact/", "/services/spravato/", "/blog/"])
def test_pages_fit_a_320_pixel_screen(site, new_context, path):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(site + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_every_page_carries_the_security_headers(crawled):
    """Production settings (here over plain HTTP, so HSTS is checked through the test client in
    tests/clinic_site/test_security.py and through gunicorn in test_serve.py)."""
    results, _ = crawled
    for path, result in results.items():
        headers = result["headers"]
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "default-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp or headers.get("x-frame-options") == "DENY"
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert headers["cross-origin-opener-policy"] == "same-origin", path
        assert "camera=()" in headers["permissions-policy"], path
