"""A database that drops its connections loses no request and sends no e-mail twice (issue 21,
findings 2 and 3).

The production path on loopback: gunicorn (behind haproxy), the e-mail worker, an SMTP sink,
PostgreSQL whose connections are terminated (`pg_terminate_backend`) as an outage or a failover
would. PostgreSQL only: set DATABASE_URL. Each test uses a database of its own, DATABASE_URL's
name + "_fault", dropped and made anew.
"""

import os
import re
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from email import message_from_bytes
from http.client import HTTPConnection
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.forms import load_form
from tests.support.servers import ROOT, free_port, haproxy_in_front, production_server

DATABASE_URL = os.environ.get("DATABASE_URL", "")
STAFF = "front-desk@clinic.example"
# What a patient reads when a failure may have followed the commit of their request.
NO_DUPLICATE = "Please do not send it again"
# The worker as production runs it.
WORKER = ["email_worker"]

pytestmark = [
    pytest.mark.serve,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="cutting the site's connections needs PostgreSQL (set DATABASE_URL=postgres://...)",
    ),
]


class Sink:
    """An SMTP server that records each message; `on_data` runs before a message is accepted."""

    def __init__(self, on_data=None):
        self.messages = []
        self.on_data = on_data

    async def handle_DATA(self, server, session, envelope):
        if self.on_data:
            self.on_data(len(self.messages))
        message = message_from_bytes(envelope.content)
        self.messages.append((tuple(envelope.rcpt_tos), message["Subject"]))
        return "250 OK"


@pytest.fixture
def fault_database():
    import psycopg

    base, name = DATABASE_URL.split("?")[0].rsplit("/", 1)
    name += "_fault"
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def terminate_connections(url):
    """Cut every connection to that database, as an outage or a failover does."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


def stored_requests(url):
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(
            "SELECT last_name, email, reference FROM appointments_appointmentrequest"
        ).fetchall()


@pytest.fixture
def site(fault_database):
    """Start (sink) → (base URL, environment, manage command, start_worker)."""

    def start(stack, sink):
        smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
        smtp.start()
        stack.callback(smtp.stop)
        env = {
            "DATABASE_URL": fault_database,
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "5",
            "APPOINTMENT_NOTIFY_EMAILS": STAFF,
            "APPOINTMENT_RATE_LIMIT": "1000000",  # one machine plays every patient
            # A claim left behind is taken over after 4 s rather than 5 minutes: a second copy,
            # if any, would come within the test.
            "APPOINTMENT_SEND_LEASE_SECONDS": "4",
            "APPOINTMENT_RETRY_SECONDS": "1",
            "WEB_CONCURRENCY": "2",
        }
        base, app_env, manage = stack.enter_context(production_server(**env))
        log = open(Path(app_env["DJANGO_VAR_DIR"]) / "worker.log", "w")  # noqa: SIM115
        stack.callback(log.close)
        worker = subprocess.Popen(
            [*manage, *WORKER], cwd=ROOT, env=app_env, stdout=log, stderr=subprocess.STDOUT
        )

        def stop_worker():
            worker.terminate()
            worker.wait(15)

        stack.callback(stop_worker)
        return base, app_env, manage, worker

    return start


def post(port, cookie, body, path="/contact/"):
    """POST a form as a browser does → (status, Location, Set-Cookie header, body)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        path,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        },
    )
    response = conn.getresponse()
    result = (
        response.status,
        response.getheader("Location") or "",
        [v for k, v in response.getheaders() if k.lower() == "set-cookie"],
        response.read().decode(),
    )
    conn.close()
    return result


def get(port, path, cookies=()):
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = "; ".join(c.split(";")[0] for c in cookies)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    result = response.status, response.read().decode()
    conn.close()
    return result


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_the_worker_survives_a_dropped_connection_and_sends_each_email_once(site, fault_database):
    """Finding 2: the database's connections are cut while the worker waits on the mail server.
    It reconnects, records the send the mail server accepted (so nothing goes out again), and
    goes on to the next request."""
    cut = []

    def cut_the_first_send(count):
        if not cut:
            cut.append(count)
            terminate_connections(fault_database)

    sink = Sink(on_data=cut_the_first_send)
    with ExitStack() as stack:
        base, _env, _manage, worker = site(stack, sink)
        port = int(base.rsplit(":", 1)[1])
        forms = [load_form(port, n) for n in range(2)]
        time.sleep(3.5)  # as long as a person takes, at least
        assert post(port, *forms[0])[0] == 302
        assert wait_for(lambda: len(sink.messages) >= 2, 30), sink.messages
        assert cut

        # The worker lives on and sends the next request's e-mails.
        assert post(port, *forms[1])[0] == 302
        assert wait_for(lambda: len(sink.messages) >= 4, 30), sink.messages
        time.sleep(6)  # past the lease: a send left unrecorded would go out again now
        alive = worker.poll() is None

    assert alive, "the worker exited"
    assert [m for m, n in Counter(sink.messages).items() if n > 1] == []
    assert len(sink.messages) == 4


def post_and_read_the_answer(port, form):
    """A patient sends the form and reads what comes back: the thank-you page, or an error."""
    status, location, cookies, body = post(port, *form)
    if status == 302 and location.endswith("/contact/thanks/"):
        status, body = get(port, location, cookies)
    return status, body


def test_connections_cut_every_150_ms_lose_no_request_and_send_each_email_once(
    site, fault_database
):
    """Finding 3 and the fault test of issue 21: 50 patients send the form, and the worker
    sends their e-mails, while every connection to the database is cut every 0.15 s."""
    patients = 50
    sink = Sink()
    done = threading.Event()

    def cut_connections():
        while not done.is_set():
            terminate_connections(fault_database)
            time.sleep(0.15)

    with ExitStack() as stack:
        base, _env, _manage, worker = site(stack, sink)
        front = stack.enter_context(haproxy_in_front([base]))
        port = int(front.rsplit(":", 1)[1])
        with ThreadPoolExecutor(8) as pool:
            forms = list(pool.map(lambda n: load_form(port, n), range(patients)))
        time.sleep(3.5)  # as long as a person takes, at least
        cutter = threading.Thread(target=cut_connections)
        cutter.start()
        try:
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda f: post_and_read_the_answer(port, f), forms))
            rows = stored_requests(fault_database)
            # The connections are still cut while the worker sends.
            sent = wait_for(lambda: len(sink.messages) >= 2 * len(rows), 90)
        finally:
            done.set()
            cutter.join()
        assert sent, (len(sink.messages), len(rows))
        time.sleep(6)  # past the lease: a second copy, if any, would come now
        alive = worker.poll() is None

    thanked = [n for n, (status, body) in enumerate(answers) if status == 200]
    for status, body in answers:
        # The thank-you page with its reference, or a page that says the request may have
        # arrived and must not be sent again (never "try again").
        if status == 200:
            assert re.search(r'class="reference">[0-9A-Z]{4}-[0-9A-Z]{4}<', body), body[:2000]
        else:
            assert NO_DUPLICATE in body, (status, body[:2000])
    # Every request stored once; every patient who was thanked has theirs stored.
    by_address = Counter(email for _, email, _ in rows)
    assert [a for a, n in by_address.items() if n > 1] == []
    assert {f"visitor{n}@example.org" for n in thanked} <= set(by_address)
    # Every stored request's two e-mails, each exactly once, and nothing else.
    assert [m for m, n in Counter(sink.messages).items() if n > 1] == []
    assert sorted(to[0] for to, _ in sink.messages if to != (STAFF,)) == sorted(by_address)
    staff_subjects = [subject for to, subject in sink.messages if to == (STAFF,)]
    assert sorted(s.rsplit(" ", 1)[1] for s in staff_subjects) == sorted(r for *_, r in rows)
    assert alive, "the worker exited"
