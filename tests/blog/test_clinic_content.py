"""Tests that pin the clinic's content: the wording of the articles and pages in content/.

They fail when a file in content/ is edited, on purpose: a change to what the clinic tells
patients (REMS facts, the privacy notice, the accessibility statement, who wrote an article)
should be a deliberate one. Tests of how the site behaves use made-up files (the `content`
fixture) and live next to the code they test; these use the real files (`site_content`).
"""

import html as html_lib
import re
import subprocess
from datetime import UTC, datetime

import frontmatter
import pytest
from django.utils import timezone

from blog.models import Article, Page
from clinic_site.clinic import get_clinic
from tests.conftest import SITE_CONTENT

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
    assert "Weeks 5 to 8: once a week" in text
    assert "From week 9: once a week or every two weeks" in text
    assert "once a week and then once a week" not in text
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
    # The one reply promise (content/clinic.toml), not a second one of its own.
    assert f"We aim to reply within {get_clinic().reply_within}" in text


# --- Corrections: each corrected claim stays next to its citation ---------------------------

LABEL = "dailymed.nlm.nih.gov"  # the FDA prescribing information, as the Spravato page cites it
UNLOCKING = "/blog/spravato-and-therapy-for-treatment-resistant-depression/"

# (page, what it says now, the seed's claim that the label does not support)
CORRECTIONS = [
    (
        UNLOCKING,
        "its effectiveness in preventing suicide or in reducing suicidal ideation or behavior "
        "has not been demonstrated",
        "The most pronounced effect is the rapid reduction in the frequency and severity of "
        "suicidal ideation",
    ),
    (
        ESKETAMINE,
        "for depressive symptoms in adults with major depressive disorder (MDD) with acute "
        "suicidal ideation or behavior",
        "depressive symptoms related to major depressive disorder (MDD)",
    ),
    (
        ESKETAMINE,
        "the FDA approved it as monotherapy for adults with treatment-resistant depression in "
        "January 2025",
        "It complements traditional antidepressants rather than replacing them",
    ),
    (
        ESKETAMINE,
        "the effectiveness of esketamine in preventing suicide or in reducing suicidal ideation "
        "or behavior has not been demonstrated",
        None,
    ),
    (
        "/services/evaluation/",
        "the FDA approved Spravato as monotherapy for adults with treatment-resistant depression "
        "in January 2025",
        "complement traditional antidepressants rather than replacing them",
    ),
    (
        "/services/spravato/",
        "From week 9: once a week or every two weeks, depending on how you respond",
        "usually once a week and then once a week or every two weeks",
    ),
]


def blocks(page_html):
    """The text of each paragraph or list item, with its footnote links, whitespace collapsed."""
    body = page_html.split('<div class="article-body">', 1)[1]
    chunks = re.split(r"</(?:p|li)>", body)
    return [
        (" ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", chunk)).split()), chunk)
        for chunk in chunks
    ]


@pytest.mark.parametrize(("url", "now", "before"), CORRECTIONS)
def test_each_correction_stands_next_to_its_citation(client, site_content, url, now, before):
    page_html = client.get(url).content.decode()
    [cites] = [chunk for text, chunk in blocks(page_html) if now in text]
    footnote = re.search(r'href="#(fn:[\w-]+)"', cites)[1]
    cited = page_html.split(f'<li id="{footnote}">', 1)[1].split("</li>", 1)[0]
    assert LABEL in cited
    for text, _ in blocks(page_html):
        if before and before in text:
            # The seed's words survive only where the editor's note quotes them.
            assert text.startswith("Editor's note"), text


# --- Dates: none that the files and their history do not give -------------------------------


def file_history(path):
    """Every date the file changed: its commits (when in a git checkout) and its mtime."""
    log = subprocess.run(
        ["git", "log", "--format=%ct", "--", path.name],  # noqa: S607
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    moments = [int(commit) for commit in log] + [path.stat().st_mtime]
    return {
        timezone.localtime(datetime.fromtimestamp(t, tz=UTC)).date().isoformat() for t in moments
    }


def stated_dates(page_html):
    """Dates the page states about itself: in its header, its meta tags and its JSON-LD."""
    header = page_html.split('<header class="page-header">', 1)[1].split("</header>", 1)[0]
    dates = set(re.findall(r'<time datetime="([\d-]+)"', header))
    dates |= set(re.findall(r'<meta property="article:\w+_time" content="([\d-]+)"', page_html))
    dates |= set(re.findall(r'"date(?:Published|Modified)":\s*"([\d-]+)"', page_html))
    return dates


@pytest.mark.parametrize(
    "path", sorted(SITE_CONTENT.glob("*/*.md")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_no_page_states_a_date_its_file_does_not_give(client, site_content, path):
    meta = frontmatter.load(path).metadata
    given = {str(meta[key]) for key in ("published", "updated", "reviewed_on") if key in meta}
    model = Article if path.parent.name == "articles" else Page
    obj = model.objects.get(source_path=f"{path.parent.name}/{path.name}")
    page_html = client.get(obj.get_absolute_url()).content.decode()
    assert stated_dates(page_html) <= given | file_history(path)
    if "published" not in meta:
        assert "Published <time" not in page_html


# --- Clinic facts: one reply promise, no made-up office hours ------------------------------

PUBLIC = ["/", "/contact/", "/services/spravato/", "/about/", "/accessibility/", "/privacy/"]


@pytest.mark.parametrize("url", PUBLIC)
def test_every_page_makes_the_one_reply_promise_and_claims_no_hours(client, site_content, url):
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get(url).content.decode()).split())
    promise = get_clinic().reply_within
    for stated in re.findall(r"within (\w+ business days?)", text):
        assert stated == promise
    assert "9 am" not in text and "5 pm" not in text and "Monday to Friday" not in text
    assert "for our office hours" in text  # the hours are not known: call for them


def test_the_forms_time_choices_do_not_promise_hours(client):
    html = client.get("/contact/").content.decode()
    labels = re.findall(r'<label for="id_best_time_\d" [^>]*>\s*([^<]+?)\s*</label>', html)
    assert labels == ["Morning", "Afternoon", "Any time"]
    assert "9 am" not in html and "noon to 5" not in html
