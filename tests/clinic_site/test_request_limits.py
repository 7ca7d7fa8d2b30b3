"""A request body is refused by its declared size and type before anything reads it, and the
staff admin keeps out of search engines without robots.txt naming where it lives."""

import io

import pytest
from django.core.files import uploadedfile
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

THIRTY_MB = 30 * 1024 * 1024
BOUNDARY = "----clinic-test-boundary"


class HugeUpload(io.RawIOBase):
    """A 30 MB multipart body, made as it is read, that counts how much was read of it."""

    def __init__(self):
        head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.parts = [head, tail]
        self.filler = THIRTY_MB - len(head) - len(tail)
        self.read_bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = THIRTY_MB if size is None or size < 0 else size
        if self.parts[0]:
            chunk, self.parts[0] = self.parts[0][:size], self.parts[0][size:]
        elif self.filler:
            chunk = b"x" * min(size, self.filler)
            self.filler -= len(chunk)
        else:
            chunk, self.parts[1] = self.parts[1][:size], self.parts[1][size:]
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def post_huge(path, tmp_path, monkeypatch):
    spooled = []
    original = uploadedfile.tempfile.NamedTemporaryFile

    def spool(*args, **kwargs):
        spooled.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(uploadedfile.tempfile, "NamedTemporaryFile", spool)
    body = HugeUpload()
    # As a script sends it: with the CSRF check on, which reads request.POST once the
    # Referer and the CSRF cookie pass (anyone can get a cookie and send a matching Referer).
    browser = Client(
        enforce_csrf_checks=True,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_HOST="testserver",
        HTTP_REFERER=f"https://testserver{path}",
    )
    browser.get("/contact/")
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        response = browser.generic(
            "POST",
            path,
            b"",  # the body is `body`, read from as the request is parsed
            CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
            CONTENT_LENGTH=str(THIRTY_MB),
            **{"wsgi.input": body},
        )
    return response, body, spooled


@pytest.mark.parametrize("path", ["/contact/", "/refer/", "/admin/login/", "/blog/"])
def test_thirty_megabytes_are_refused_before_any_of_it_is_read(path, tmp_path, monkeypatch):
    response, body, spooled = post_huge(path, tmp_path, monkeypatch)
    assert response.status_code == 413
    assert "too long" in response.content.decode()
    assert body.read_bytes == 0
    assert spooled == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["/contact/", "/refer/"])
def test_a_body_without_a_length_is_refused(client, path):
    response = client.generic(
        "POST",
        path,
        b"first_name=Ann",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 400


def test_the_admin_is_kept_out_of_search_engines_on_every_response(client, make_staff, signed_in):
    assert "admin" not in client.get("/robots.txt").content.decode()
    anonymous = client.get(reverse("admin:index"))
    assert anonymous.status_code == 302
    assert anonymous["X-Robots-Tag"] == "noindex, nofollow"
    assert client.get(reverse("admin:login"))["X-Robots-Tag"] == "noindex, nofollow"
    staff = signed_in(make_staff())
    page = staff.get(reverse("admin:appointments_appointmentrequest_changelist"))
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert "X-Robots-Tag" not in client.get("/contact/")
