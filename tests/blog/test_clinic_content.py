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
    for line in ('href="tel:988"', 'href="sms:988"', 'href="sms:838255"', "741741",
                 'href="tel:911"'):  # fmt: skip
        assert line in crisis, line
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
    assert "at least two oral antidepressants" in text
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


# --- Corrections: each corrected sentence stands next to its citation ------------------------
# A psychiatric pharmacist read every clinical sentence against the Spravato prescribing
# information (../shared/reviews/clinical-claims-2026-12.md); issue 20 lists what was wrong.

LABEL = "dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=d81a6a79-a74a-44b7-822c-0dfa3036eaed"
UNLOCKING = "/blog/spravato-and-therapy-for-treatment-resistant-depression/"
SPRAVATO = "/services/spravato/"

# (page, the sentence as it reads now, the source its footnote must name: a section of the
# label on DailyMed, or another source's address)
# fmt: off
CORRECTIONS = [
    # Mechanism: the label says it is unknown (was "neural growth", "enhancing neural
    # pathways", "neurochemical imbalances").
    (ESKETAMINE, "the prescribing information states that the mechanism of its antidepressant "
     "effect is unknown", "§12.1"),
    (UNLOCKING, "the prescribing information states that the mechanism of its antidepressant "
     "effect is unknown", "§12.1"),
    (SPRAVATO, "esketamine acts on the brain's glutamate system; how that relieves depression is "
     "not known", "§12.1"),
    # Suicidal thoughts: not shown, and no substitute for hospitalization (was "its potential in
    # crisis situations").
    (ESKETAMINE, "the effectiveness of esketamine in preventing suicide or in reducing suicidal "
     "ideation or behavior has not been demonstrated, and that its use does not replace "
     "hospitalization when it is clinically needed", "§1 "),
    (UNLOCKING, "its effectiveness in preventing suicide or in reducing suicidal ideation or "
     "behavior has not been demonstrated", "§1 "),
    (ESKETAMINE, "for depressive symptoms in adults with major depressive disorder (MDD) with "
     "acute suicidal ideation or behavior", "§1 "),
    # Monotherapy since January 2025: the approval itself, not a search page.
    (ESKETAMINE, "the FDA approved it as monotherapy for adults with treatment-resistant "
     "depression in January 2025", "jnj.com/media-center/press-releases/spravato-esketamine"),
    ("/services/evaluation/", "the FDA approved Spravato as monotherapy for adults with "
     "treatment-resistant depression in January 2025", "§1 "),
    # Onset: judged after the four-week induction (was "often within 24 hours", "within hours
    # or days").
    (ESKETAMINE, "Whether esketamine is helping you is judged at the end of the four-week "
     "induction phase", "§2 "),
    (ESKETAMINE, "17% of people taking esketamine with a new oral antidepressant had responded by "
     "day 2, against 9%", "doi.org/10.4088/JCP.20m13800"),
    (UNLOCKING, "whether it is helping is judged at the end of those four weeks", "§2 "),
    (SPRAVATO, "Whether it is helping you is judged after the first four weeks of treatment",
     "§2 "),
    # The visit: observation alone is at least two hours and until stable, with blood pressure
    # before, at about 40 minutes and as needed, and up to three devices five minutes apart
    # (was "lasts about two hours", "two blood-pressure checks").
    (ESKETAMINE, "Your blood pressure is checked before the dose, again about 40 minutes after "
     "it, and then as needed", "§2 "),
    (ESKETAMINE, "You use one to three spray devices, five minutes apart", "§2 "),
    (ESKETAMINE, "you are monitored for at least two hours, and you leave only when your "
     "clinician judges you clinically stable", "§2 "),
    (SPRAVATO, "until your clinician judges you clinically stable. Your blood pressure is checked "
     "again about 40 minutes after the dose, and then as needed", "§2 "),
    (SPRAVATO, "one to three spray devices, five minutes apart", "§2 "),
    (SPRAVATO, "Plan for more than two hours at each visit", "§2 "),
    (SPRAVATO, "Expect blood-pressure checks: before the dose, about 40 minutes after it, and "
     "then as needed", "§2 "),
    (UNLOCKING, "monitored for at least two hours, until your clinician judges you clinically "
     "stable", "§2 "),
    # Maintenance: weekly in weeks 5 to 8 first (was "often to once a week or every two weeks").
    (ESKETAMINE, "once a week in weeks 5 to 8, then once a week or every two weeks", "§2 "),
    (SPRAVATO, "From week 9: once a week or every two weeks, depending on how you respond", "§2 "),
    # TRD: two oral antidepressants of adequate dose and duration in the current episode (was
    # "at least two different antidepressants", "two medication options").
    (ESKETAMINE, "at least two oral antidepressants, each taken at an adequate dose for an "
     "adequate time, in the current episode", "§14"),
    (UNLOCKING, "at least two oral antidepressants, each taken at an adequate dose for an "
     "adequate time, in the current episode", "§14"),
    (SPRAVATO, "at least two oral antidepressants, each taken at an adequate dose for an adequate "
     "time, in the current episode", "§14"),
    ("/services/evaluation/", "at least two oral antidepressants, each taken at an adequate dose "
     "for an adequate time, in the current episode", "§14"),
    ("/about/", "at least two antidepressants, each taken at an adequate dose for an adequate "
     "time, in the current episode", "§14"),
    # Contraindications, with the allergy the page left out.
    (SPRAVATO, "an abnormal connection between arteries and veins (arteriovenous malformation), a "
     "past bleed in the brain, or an allergy to esketamine or ketamine", "§4 "),
    # The study as it was run (was "compared to placebo").
    (ESKETAMINE, "started a new oral antidepressant together with either esketamine or a placebo "
     "nasal spray", "doi.org/10.1176/appi.ajp.2019.19020172"),
    (ESKETAMINE, "at 4 hours and at about 24 hours, but not at the end of four weeks",
     "doi.org/10.1176/appi.ajp.2018.17060720"),
    # Ketamine is not FDA-approved for depression (FDA, 10 October 2023).
    (ESKETAMINE, "Ketamine itself is not approved by the U.S. Food and Drug Administration (FDA) "
     "for depression", "fda.gov/drugs/human-drug-compounding/fda-warns-patients"),
    (UNLOCKING, "ketamine is not FDA-approved for depression or any other psychiatric disorder",
     "fda.gov/drugs/human-drug-compounding/fda-warns-patients"),
    (SPRAVATO, "Ketamine itself is not FDA-approved for depression",
     "fda.gov/drugs/human-drug-compounding/fda-warns-patients"),
    # TMS: the 2008 clearance in its own words, and the 2014 widening.
    ("/services/tms/", "in adult patients who have failed to achieve satisfactory improvement "
     "from one prior antidepressant medication at or above the minimal effective dose and "
     "duration in the current episode", "cfpmn/pmn.cfm?ID=K083538"),
    ("/services/tms/", "who have failed to receive satisfactory improvement from prior "
     "antidepressant medication in the current episode", "cfpmn/pmn.cfm?ID=K133408"),
    ("/services/tms/", "Before treatment, tell your clinician about any metal or implanted "
     "medical device in your body, especially in or near your head", "mayoclinic.org"),
]
# fmt: on


def blocks(page_html):
    """The text of each paragraph or list item, with its footnote links, whitespace collapsed."""
    # From the first paragraph (an article's stands apart, before the request button) on.
    body = re.split(r'<div class="article-(?:lead|body)"', page_html, maxsplit=1)[1]
    chunks = re.split(r"</(?:p|li)>", body)
    return [
        (" ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", chunk)).split()), chunk)
        for chunk in chunks
    ]


@pytest.mark.parametrize(("url", "now", "source"), CORRECTIONS)
def test_each_corrected_sentence_stands_next_to_its_citation(
    client, site_content, url, now, source
):
    page_html = client.get(url).content.decode()
    [cites] = [chunk for text, chunk in blocks(page_html) if now in text]
    notes = []
    for footnote in re.findall(r'href="#(fn:[\w-]+)"', cites):
        notes.append(page_html.split(f'<li id="{footnote}">', 1)[1].split("</li>", 1)[0])
    if source.startswith("§"):  # a section of the label, on DailyMed
        assert any(LABEL in note and source in note for note in notes), notes
    else:
        assert any(source in note for note in notes), notes


# What the pages said before the pharmacist's review, and in-list editor's notes: none of it
# may come back, in any file (a correction describes what changed without repeating it).
OLD_WORDING = [
    "potential in crisis situations",
    "neural growth",
    "enhancing neural pathways",
    "neurochemical imbalance",
    "improved brain connectivity",
    "new synaptic connections",
    "restore communication pathways",
    "often within 24 hours",
    "within hours or days",
    "lasts about two hours",
    "about two hours with us",
    "about two hours, most of it resting",
    "two blood-pressure checks",
    "often to once a week or every two weeks",
    "like a fog lifted",
    "more financially accessible",
    "at least two different antidepressant",
    "two medication options",
    "had not responded to antidepressant medication",
    "breathing problems, misuse",
    "remarkable efficacy",
    "synergistic",
    "deeper and more relaxed exploration",
    "supports improvement that lasts",
    "support lasting improvement",
    "significantly reduced depressive symptoms compared to placebo",
    "Editor's note",
    "search.cfm?labeltype=all&query=spravato",  # a search page instead of the label itself
]


@pytest.mark.parametrize("old", OLD_WORDING)
def test_the_old_wording_appears_nowhere_in_the_content(old):
    for path in SITE_CONTENT.rglob("*"):
        if path.is_file() and path.suffix in {".md", ".toml"}:
            assert old.lower() not in path.read_text().lower(), path


SAFETY_PAGES = [ESKETAMINE, UNLOCKING, SPRAVATO]


@pytest.mark.parametrize("url", SAFETY_PAGES)
def test_spravato_texts_carry_the_important_safety_information(client, site_content, url):
    page_html = client.get(url).content.decode()
    assert page_html.count('id="important-safety-information"') == 1
    assert 'href="#important-safety-information"' in page_html  # in "On this page"
    box = page_html.split('<div class="callout callout--safety">', 1)[1].split("</div>", 1)[0]
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", box)).split())
    # The boxed warning, each of its parts in plain words (PI boxed warning).
    for part in ("(sedation)", "(dissociation)", "(respiratory depression)", "Abuse and misuse",
                 "Suicidal thoughts and behaviors", "at least two hours after each dose",
                 "clinically stable"):  # fmt: skip
        assert part in text, part
    assert "Schedule III controlled substance" in text
    assert "certified in the Spravato REMS" in text and "never given to you to take home" in text
    # Contraindications (PI §4) and pregnancy (PI §8.1).
    for part in ("aneurysm", "arteriovenous malformation", "bleeding in the brain",
                 "allergy to esketamine, ketamine"):  # fmt: skip
        assert part in text, part
    assert "not recommended during pregnancy" in text
    # The Medication Guide, and the sections the box is written from.
    assert "Medication Guide" in text and f'href="https://{LABEL}"' in box
    for section in ("boxed warning", "§4", "§8.1"):
        assert section in text, section
    # Before the invitation to get in touch, not after it.
    assert page_html.index("callout--safety") < page_html.index('class="callout" aria-labelledby')


CORRECTED = [ESKETAMINE, UNLOCKING, SPRAVATO, "/services/tms/", "/services/evaluation/",
             "/services/therapy/", "/about/"]  # fmt: skip


@pytest.mark.parametrize("url", CORRECTED)
def test_a_corrected_text_ends_with_its_corrections_box_not_notes_in_its_lists(
    client, site_content, url
):
    page_html = client.get(url).content.decode()
    body = page_html.split('<div class="article-body"', 1)[1].split('<div class="footnote"', 1)[0]
    assert "Editor's note" not in body
    box = body.split('<div class="callout callout--corrections">', 1)[1]
    assert '<h2 id="corrections">Corrections</h2>' in box
    assert "6 December 2026" in box
    # The box comes last: no section of the text after it.
    assert "<h2" not in box.split("</h2>", 1)[1]
    if url not in ("/services/tms/", "/services/therapy/"):  # they correct other sources
        assert "d81a6a79-a74a-44b7-822c-0dfa3036eaed" in box
        assert re.search(r"PI (boxed warning, )?§\d", box)


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
    "path",
    sorted([*SITE_CONTENT.glob("articles/*.md"), *SITE_CONTENT.glob("pages/*.md")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
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
