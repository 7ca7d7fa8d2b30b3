"""Every way to reach help now, in both languages: on every page (the full box and the compact
one), on the thank-you page (it includes the same box) and in the patient's acknowledgement
e-mail. Each line says only what its service states (the sources are named in
templates/includes/crisis.html)."""

import html as html_lib
import re

import pytest
from django.core import mail

from appointments.notify import queue_emails, send_due
from tests.appointments.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _content(site_content):
    return site_content


def crisis_box(client, url):
    """The page's one crisis box: its markup and its text."""
    page = client.get(url).content.decode()
    assert len(re.findall(r'class="crisis[ "]', page)) == 1, url
    box = re.split(r'class="crisis[ "]', page, maxsplit=1)[1].split("</ul>", 1)[0]
    return box, " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", box)).split())


# The full box (the footer of /about/) and the compact one (the top of the form), each language.
FULL, COMPACT = "/about/", "/contact/"


@pytest.mark.parametrize("url", [FULL, COMPACT])
def test_an_english_page_gives_988_by_call_and_text_the_veterans_line_the_text_line_and_911(
    client, url
):
    box, text = crisis_box(client, url)
    # 988 by call, and by text: a phone opens its messages with 988 filled in.
    assert 'href="tel:988"' in box and 'href="sms:988"' in box
    # Veterans: 988 then 1, or text 838255.
    assert "press 1" in text and 'href="sms:838255"' in box
    # The Crisis Text Line's English keyword.
    assert "HOME to 741741" in text and 'href="sms:741741"' in box
    assert 'href="tel:911"' in box


@pytest.mark.parametrize("url", [FULL, COMPACT])
def test_a_spanish_page_gives_each_line_as_its_service_states_it_in_spanish(client, url):
    box, text = crisis_box(client, "/es" + url)
    # 988: press 2 for Spanish when calling; text AYUDA to reach Spanish-speaking counselors.
    assert 'href="tel:988"' in box and "marque 2" in text
    assert 'href="sms:988"' in box and "AYUDA" in text
    # Veterans Crisis Line: 988 then 1, or text 838255.
    assert "marque 1" in text and 'href="sms:838255"' in box
    # The Crisis Text Line in Spanish: AYUDA to 741741 (its 2021 post, 2023 release), not HOME.
    assert re.search(r"Envíe AYUDA (por mensaje de texto )?al (texto 988 o al )?741741", text), text
    assert "HOME" not in text
    assert 'href="tel:911"' in box


def test_each_number_link_has_its_own_name_for_a_screen_reader(client):
    """Two links both read "988" but one calls and one texts: the texting one says so."""
    for url in (FULL, COMPACT, "/es" + FULL, "/es" + COMPACT):
        box, _ = crisis_box(client, url)
        names = [
            " ".join(re.sub(r"<[^>]+>", " ", inner).split())
            for inner in re.findall(r"<a [^>]*>(.*?)</a>", box)
        ]
        assert len(names) == len(set(names)), (url, names)


def acknowledgement(language):
    request = make_request(language=language, email="ann@example.org")
    queue_emails(request)
    send_due()
    [patient] = [message for message in mail.outbox if message.to == ["ann@example.org"]]
    return patient.body


def test_the_english_acknowledgement_lists_every_crisis_line(settings):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    body = acknowledgement("en")
    lines = body.split("If you are in crisis, do not wait for our call:\n", 1)[1].split("\n\n")[0]
    assert lines.splitlines() == [
        "- call or text 988 (Suicide & Crisis Lifeline), any time;",
        "- veterans and service members: call 988 and press 1, or text 838255 "
        "(Veterans Crisis Line);",
        "- text HOME to 741741 (Crisis Text Line);",
        "- call 911 or go to the nearest emergency room.",
    ]


def test_the_spanish_acknowledgement_lists_every_crisis_line_in_spanish(settings):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    body = acknowledgement("es")
    lines = body.split("Si está en crisis, no espere nuestra llamada:\n", 1)[1].split("\n\n")[0]
    assert "marque 2 o escriba AYUDA" in lines
    assert "llame al 988 y marque 1, o envíe un mensaje de texto al 838255" in lines
    assert "envíe AYUDA por mensaje de texto al 741741" in lines
    assert "llame al 911" in lines
    assert "HOME" not in body
