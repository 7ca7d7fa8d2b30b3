"""Production as a clinic deploys it, in miniature, on loopback: the nginx example (deploy/nginx,
its public-page cache included) in front of two gunicorn instances, two e-mail workers, cron's
retry beside them, PostgreSQL and Redis, and an SMTP sink. 200 patients send the form at once;
one worker is killed (SIGKILL) in the middle of a send. Every request is stored, and every
e-mail arrives exactly once.

PostgreSQL and Redis only (the production path): set DATABASE_URL and REDIS_URL. It uses a
database of its own, DATABASE_URL's name + "_scale" (or SCALE_DATABASE_URL), dropped and made
anew, and SCALE_REDIS_URL if set.
"""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.forms import load_form, submit
from tests.support.servers import NGINX, ROOT, free_port, nginx_in_front, production_server

DATABASE_URL = os.environ.get("DATABASE_URL", "")
PATIENTS = 200
KILL_AFTER = 60  # e-mails delivered before one worker is killed mid-send

pytestmark = [
    pytest.mark.serve,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres") or not os.environ.get("REDIS_URL"),
        reason="the scale-out test runs the production path: PostgreSQL and Redis "
        "(set DATABASE_URL=postgres://... and REDIS_URL)",
    ),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed"),
]


class Sink:
    """An SMTP server that records each message, and holds one send open (at its RCPT) until the
    test has killed the worker that made it: a send cut off mid-way, that never arrived."""

    def __init__(self):
        self.messages = []
        self.held_peer = None
        self.killed = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.held_peer is None and len(self.messages) >= KILL_AFTER:
            self.held_peer = session.peer
            while not self.killed.is_set():
                await asyncio.sleep(0.05)
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        subject = next(
            line for line in envelope.content.decode().splitlines() if line.startswith("Subject:")
        )
        self.messages.append((tuple(envelope.rcpt_tos), subject))
        return "250 OK"


def owner_of_connection(local_port, pids):
    """Which of these processes holds the TCP connection from this local port (via /proc)."""
    inodes = {
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if int(line.split()[1].split(":")[1], 16) == local_port
    }
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:  # the process has ended, or is not ours to read
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in sockets:
                    return pid
            except OSError:
                continue
    return None


@pytest.fixture
def scale_database():
    import psycopg

    url = os.environ.get("SCALE_DATABASE_URL") or DATABASE_URL.rsplit("/", 1)[0] + "/{}".format(
        DATABASE_URL.rsplit("/", 1)[1].split("?")[0] + "_scale"
    )
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url


def test_two_app_servers_two_workers_and_cron_send_every_email_exactly_once(scale_database):
    import psycopg

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        "DATABASE_URL": scale_database,
        "REDIS_URL": os.environ.get("SCALE_REDIS_URL", os.environ["REDIS_URL"]),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": "5",
        "APPOINTMENT_NOTIFY_EMAILS": "front-desk@clinic.example",
        # One machine plays every patient.
        "APPOINTMENT_RATE_LIMIT": "1000000",
        # A killed worker's claim is taken over after 6 s rather than 5 minutes.
        "APPOINTMENT_SEND_LEASE_SECONDS": "6",
        "WEB_CONCURRENCY": "2",
    }
    tmp = Path(tempfile.mkdtemp(prefix="scale-"))
    processes = []
    try:
        with ExitStack() as stack:
            # Two hosts release at once: one migrates, the other waits for the lock.
            releases = [
                subprocess.Popen(
                    [ROOT / "bin/release"],
                    env={
                        **os.environ,
                        **env,
                        "DJANGO_DEBUG": "",
                        "DJANGO_SECRET_KEY": "scale-test-secret-key-scale-test-secret-key-0123",
                        "DJANGO_STATIC_ROOT": str(tmp / f"static{n}"),
                        "DJANGO_VAR_DIR": str(tmp),
                        "PYTHON": sys.executable,
                    },
                    stdout=subprocess.DEVNULL,
                )
                for n in range(2)
            ]
            assert [release.wait(300) for release in releases] == [0, 0]

            servers = [stack.enter_context(production_server(**env)) for _ in range(2)]
            app_env, manage = servers[0][1], servers[0][2]
            for _ in range(2):
                log = open(tmp / f"worker{len(processes)}.log", "w")  # noqa: SIM115
                stack.callback(log.close)
                processes.append(
                    subprocess.Popen(
                        [*manage, "email_worker", "--idle", "0.2"],
                        cwd=ROOT,
                        env=app_env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            # The load balancer: the nginx example (deploy/nginx) as it is, on test ports.
            nginx = stack.enter_context(
                nginx_in_front([base for base, _, _ in servers], app_env["DJANGO_STATIC_ROOT"])
            )
            port = int(nginx["plain"].rsplit(":", 1)[1])

            with ThreadPoolExecutor(32) as pool:
                forms = list(pool.map(lambda n: load_form(port, n), range(PATIENTS)))
            time.sleep(3.5)  # as long as a person takes, at least

            done = threading.Event()
            killed = []

            def cron():
                while not done.is_set():
                    subprocess.run(
                        [*manage, "send_pending_notifications"],
                        cwd=ROOT,
                        env=app_env,
                        capture_output=True,
                    )
                    time.sleep(1)

            def kill_the_sender():
                """SIGKILL the process whose send the sink holds, while it waits on the reply:
                usually a worker; under load sometimes a cron run that took over a due retry."""
                while sink.held_peer is None and not done.is_set():
                    time.sleep(0.02)
                if sink.held_peer:
                    candidates = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()]
                    victim = owner_of_connection(sink.held_peer[1], candidates)
                    if victim:
                        os.kill(victim, signal.SIGKILL)
                        killed.append(victim)
                sink.killed.set()

            helpers = [threading.Thread(target=cron), threading.Thread(target=kill_the_sender)]
            for thread in helpers:
                thread.start()
            deadline = time.monotonic() + 120
            try:
                with ThreadPoolExecutor(32) as pool:
                    results = list(pool.map(lambda form: submit(port, *form), forms))
                while len(sink.messages) < 2 * PATIENTS and time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(8)  # past the lease: a second copy, if any, would come now
            finally:
                done.set()
                for thread in helpers:
                    thread.join()
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        smtp.stop()

    assert killed, "no sender was caught mid-send"
    assert {status for status, _, _ in results} == {302}
    with psycopg.connect(scale_database) as db:
        stored = db.execute("SELECT count(*) FROM appointments_appointmentrequest").fetchone()[0]
    assert stored == PATIENTS
    copies = Counter(sink.messages)
    assert [m for m, n in copies.items() if n > 1] == []
    assert len(sink.messages) == 2 * PATIENTS
    staff = [m for m in sink.messages if m[0] == ("front-desk@clinic.example",)]
    assert len(staff) == PATIENTS
