"""The Contact form over HTTP, as a browser without JavaScript sends it: the page for its CSRF
cookie and form token, then the POST."""

import http.client
import re
import time
from urllib.parse import urlencode


def letters(n):
    """n as letters (0 → A, 25 → Z, 26 → AA): names hold no digits, each visitor is told
    apart, and 4,000 visitors' names stay short (a name has at most 100 characters)."""
    word = ""
    n += 1
    while n:
        n, digit = divmod(n - 1, 26)
        word = chr(ord("A") + digit) + word
    return word


def load_form(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/contact/")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    fields = {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1],
        "form_token": re.search(r'name="form_token" value="([^"]+)"', html)[1],
        "first_name": "Bench",
        "last_name": f"Visitor {letters(n)}",
        "email": f"visitor{n}@example.org",
        "phone": "(772) 555-0123",
        "contact_method": "phone",
        "best_time": "any",
        "service": "spravato",
        "patient_type": "new",
        "consent_contact": "on",
        "website": "",
    }
    conn.close()
    return cookie, urlencode(fields)


def submit(port, cookie, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request(
        "POST",
        "/contact/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, response.getheader("Location"), time.perf_counter() - started
