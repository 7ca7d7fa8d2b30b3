""" "Could this treatment be right for me?" on the Spravato and TMS pages, and what each service
page says about bringing, cost and waiting: every criterion cites its source, nothing is sent
or stored, and what the clinic has not confirmed is "call us to ask"."""

import re

import pytest
from django.contrib.sessions.models import Session

from appointments.models import AppointmentRequest

pytestmark = pytest.mark.django_db

SERVICES = ["spravato", "tms", "evaluation", "therapy"]


def self_check(html):
    return html.split('id="self-check"', 1)[1].split("</div>", 1)[0]


def footnote(html, name):
    """The text of footnote `name` (python-markdown's id: fn:name)."""
    note = html.split(f'id="fn:{name}"', 1)[1].split("</li>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", note).split())


@pytest.mark.parametrize(
    ("question", "source", "section"),
    [
        ("18 or older", "pi-1", "§1 Indications and usage"),
        ("two or more antidepressants", "pi-14", "§14 Clinical studies"),
        ("pregnant", "pi-8", "§8.1 Pregnancy"),
        ("bleeding in the brain", "pi-4", "§4 Contraindications"),
        ("drive you home", "pi-2", "§2 Dosage and administration"),
    ],
)
def test_each_spravato_question_cites_the_labels_section(client, site_content, question, source,
                                                         section):  # fmt: skip
    html = client.get("/services/spravato/").content.decode()
    (item,) = [li for li in self_check(html).split("<li>")[1:] if question in li]
    assert f'href="#fn:{source}"' in item
    assert section in footnote(html, source)
    assert "d81a6a79-a74a-44b7-822c-0dfa3036eaed" in footnote(html, source)


@pytest.mark.parametrize(
    ("question", "source"),
    [("18 or older", "k133408"), ("antidepressant medicine", "k133408"),
     ("metal or an implanted device", "mayo"), ("pregnant", "mayo")],
)  # fmt: skip
def test_each_tms_question_cites_the_clearance_or_its_source(client, site_content, question,
                                                            source):  # fmt: skip
    html = client.get("/services/tms/").content.decode()
    (item,) = [li for li in self_check(html).split("<li>")[1:] if question in li]
    assert f'href="#fn:{source}"' in item


@pytest.mark.parametrize("service", ["spravato", "tms"])
def test_the_self_check_asks_nothing_of_the_server_and_ends_in_a_request(
    client, site_content, service
):
    response = client.get(f"/services/{service}/")
    check = self_check(response.content.decode())
    assert "not a diagnosis" in check
    # Nothing to fill in or send: no form, no field, no script; the answers stay with the reader.
    for tag in ("<form", "<input", "<select", "<button", "<script"):
        assert tag not in check
    assert f'href="/contact/?service={service}">Request an evaluation for' in check
    # ... and to what to bring, further down the same page.
    assert 'href="#before-your-evaluation">what to bring</a>' in check
    assert 'id="before-your-evaluation"' in response.content.decode()
    assert AppointmentRequest.objects.count() == 0 and Session.objects.count() == 0
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_page_says_what_to_bring_and_to_call_for_what_is_not_confirmed(
    client, site_content, service
):
    html = client.get(f"/services/{service}/").content.decode()
    box = html.split('id="before-evaluation-title"', 1)[1].split("</section>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", box).split())
    assert "antidepressants you have tried" in text and "insurance card" in text
    for unknown in ("Which insurance plans we accept: call us to ask.",
                    "The price without insurance: call us to ask.",
                    "How soon an evaluation can be booked: call us to ask."):  # fmt: skip
        assert unknown in text
    assert "$" not in text
    # The ride home is the label's rule for Spravato days, cited; no other page says it.
    assert ("drive you home" in text) == (service == "spravato")
    assert ("§2 Dosage and administration" in text) == (service == "spravato")
    # Before the call to action.
    assert html.index('id="before-evaluation-title"') < html.index('id="cta-title"')


# The facts as the clinic would set them in content/clinic.toml: the plans (a top-level key,
# before the [es] table), then the tables by service.
PLANS = 'insurers = ["Blue Plan", "Green Plan"]\n'
TABLES = """
[self_pay]
tms = "ask for our written estimate"
[evaluation_wait]
tms = "usually within two weeks"
[es.self_pay]
tms = "pida nuestro presupuesto por escrito"
[es.evaluation_wait]
tms = "normalmente en dos semanas"
"""


@pytest.fixture
def confirmed_facts(tmp_path, settings):
    clinic_file = tmp_path / "clinic.toml"
    real = (settings.BASE_DIR / "content" / "clinic.toml").read_text()
    clinic_file.write_text(real.replace("\n[es]\n", f"\n{PLANS}\n[es]\n", 1) + TABLES)
    settings.CLINIC_FILE = clinic_file


def test_what_the_clinic_confirms_is_shown_where_it_applies(client, site_content, confirmed_facts):
    tms = client.get("/services/tms/").content.decode()
    assert "Insurance plans we accept: Blue Plan, Green Plan." in tms
    assert "Without insurance: ask for our written estimate." in tms
    assert "How soon an evaluation can usually be booked: usually within two weeks." in tms
    spravato = client.get("/services/spravato/").content.decode()
    assert "Insurance plans we accept: Blue Plan, Green Plan." in spravato
    assert "The price without insurance: call us to ask." in spravato  # set for TMS only
    spanish = client.get("/es/services/tms/").content.decode()
    assert "pida nuestro presupuesto por escrito" in spanish
    assert "normalmente en dos semanas" in spanish
