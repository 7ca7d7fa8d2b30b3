"""The thank-you page promises only what is true for the contact method the patient chose: how
we will reach them, and a confirmation e-mail only to an address they gave (issue 20)."""

import pytest

from .conftest import send

pytestmark = pytest.mark.django_db


def steps(client, path="/contact/thanks/"):
    html = client.get(path).content.decode()
    return html.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]


def test_a_call_without_an_email_address_promises_a_call_and_no_email(client, submit):
    submit(contact_method="phone", email="")
    text = steps(client)
    assert "will call you at <strong>(772) 555-0123</strong> within one business day" in text
    assert "confirmation" not in text and "email" not in text.lower()


def test_a_text_without_an_email_address_promises_a_text_message_and_no_email(client, submit):
    submit(contact_method="text", email="")
    text = steps(client)
    assert "will send a text message to <strong>(772) 555-0123</strong>" in text
    assert "confirmation" not in text and "email" not in text.lower()


def test_email_contact_promises_an_email_and_the_confirmation_to_that_address(client, submit):
    submit(contact_method="email", phone="")
    text = steps(client)
    assert "will email you at <strong>ann@example.org</strong>" in text
    assert "We will send a short confirmation with your reference to <strong>ann@" in text
    assert "call you" not in text


def test_a_call_with_an_email_address_also_promises_the_confirmation_there(client, submit):
    submit(contact_method="phone")
    text = steps(client)
    assert "will call you at <strong>(772) 555-0123</strong>" in text
    assert "confirmation with your reference to <strong>ann@example.org</strong>" in text


def test_no_confirmation_is_promised_when_the_clinic_sends_none(client, submit, settings):
    settings.APPOINTMENT_ACKNOWLEDGE_PATIENT = False
    submit(contact_method="email", phone="")
    assert "confirmation" not in steps(client)


@pytest.mark.parametrize(
    ("method", "changes", "promise"),
    [
        ("phone", {"email": ""}, "le llamará al <strong>(772) 555-0123</strong>"),
        (
            "text",
            {"email": ""},
            "le enviará un mensaje de texto al <strong>(772) 555-0123</strong>",
        ),
        ("email", {"phone": ""}, "le escribirá a <strong>ann@example.org</strong>"),
    ],
)
def test_the_same_promises_in_spanish(client, form_data, method, changes, promise):
    send(client, {**form_data, "contact_method": method, **changes}, path="/es/contact/")
    text = steps(client, "/es/contact/thanks/")
    assert promise in text
    assert ("confirmación" in text) == (method == "email")
