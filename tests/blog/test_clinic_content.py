"""Tests that pin the clinic's content: the wording of the articles and pages in content/.

They fail when a file in content/ is edited, on purpose: a change to what the clinic tells
patients (REMS facts, the privacy notice, the accessibility statement, who wrote an article)
should be a deliberate one. Tests of how the site behaves use made-up files (the `content`
fixture) and live next to the code they test; these use the real files (`site_content`).
"""

import re

import pytest

pytestmark = pytest.mark.django_db

ESKETAMINE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"


def test_article_page_has_everything_a_reader_needs(client, site_content):
    response = client.get(ESKETAMINE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<article") == 1
    assert "<h1>The Breakthrough Impact of Esketamine Therapy" in html
    assert "By Dylan Chase" in html
    assert '<time datetime="2025-12-11">December 11, 2025</time>' in html
    assert re.search(r"\d+ min read", html)
    assert 'aria-labelledby="toc-title"' in html  # long article: a table of contents
    assert 'href="#what-is-esketamine"' in html
    assert "Medical disclaimer" in html and "not medical advice" in html
    crisis = html.split('class="crisis crisis--compact"', 1)[1].split("</aside>", 1)[0]
    assert 'href="tel:988"' in crisis and "741741" in crisis and 'href="tel:911"' in crisis
    assert 'href="/contact/?service=spravato">Request an evaluation</a>' in html


def test_spravato_page_states_the_rems_facts_and_cites_them(client, site_content):
    html = client.get("/services/spravato/").content.decode()
    text = re.sub(r"<[^>]+>", "", html)
    assert "certified" in text and "REMS" in text
    assert "at least two hours" in text
    assert "blood pressure is checked" in text
    assert "twice a week for the first four weeks" in text
    assert "until the next" in text and "arrange a ride" in text
    assert "dissociation" in text and "dizziness" in text
    assert "at least two different antidepressants" in text
    assert "https://www.spravatorems.com/" in html
    assert "dailymed.nlm.nih.gov" in html
    assert 'href="/contact/?service=spravato">Request an evaluation' in html
    assert "/blog/esketamine-therapy-for-treatment-resistant-depression/" in html


def test_spravato_page_plans_the_visit_from_its_cited_sources_only(client, site_content):
    html = client.get("/services/spravato/").content.decode()
    plan = html.split('id="plan-your-visit"', 1)[1].split('id="questions-patients-ask"', 1)[0]
    text = re.sub(r"<[^>]+>", "", plan)
    for fact in ("ride home", "at least two hours", "blood-pressure checks", "What to bring"):
        assert fact in text
    # Every point cites the label, the REMS or our article, except the coverage check.
    assert plan.count('class="footnote-ref"') >= 7
    faq = html.split('id="questions-patients-ask"', 1)[1].split('class="footnote"', 1)[0]
    assert faq.count("<h3") == 5
    assert 'href="/contact/?service=spravato">Contact page</a>' in faq
    # No invented prices or insurance plans.
    assert "$" not in text + faq and "Medicare" not in faq and "copay" not in faq.lower()


def test_privacy_notice_covers_what_why_who_how_long_and_trackers(client, site_content):
    text = re.sub(r"<[^>]+>", "", client.get("/privacy/").content.decode())
    for heading in ("What the request form collects, and why", "Who sees it",
                    "How long we keep it", "no analytics"):  # fmt: skip
        assert heading in text


def test_accessibility_statement_names_the_target_and_how_to_report(client, site_content):
    text = re.sub(r"<[^>]+>", "", client.get("/accessibility/").content.decode())
    assert "WCAG) 2.2, level AA" in text
    assert "Tell us about a problem" in text
