"""How long the patient waits for the thank-you page when the mail server accepts connections
and then never answers (the worst case: each SMTP step waits out EMAIL_TIMEOUT).

    .venv/bin/python bench/post_silent_mail.py [--requests 20]

Runs the production configuration under gunicorn (tests/support/servers.py) with EMAIL_TIMEOUT
at its default (10 s) and EMAIL_URL pointing at a listener that accepts and stays silent. No task
worker runs, so whatever the request itself sends is all the patient waits for. Requests are
sent one after another, each from its own visitor (its own form and CSRF cookie).
"""

import argparse
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support.forms import load_form, submit
from tests.support.servers import production_server


def silent_mail_server():
    """A listener that accepts every connection and never says a word. Returns its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held = []

    def accept():
        while True:
            held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    extra = {
        "EMAIL_URL": f"smtp://127.0.0.1:{silent_mail_server()}",
        "APPOINTMENT_NOTIFY_EMAILS": "front-desk@clinic.example",
        "APPOINTMENT_RATE_LIMIT": "1000000",
        "WEB_CONCURRENCY": "2",
    }
    with production_server(**extra) as (base, env, _manage):
        port = int(base.rsplit(":", 1)[1])
        forms = [load_form(port, n) for n in range(args.requests)]
        time.sleep(3.5)  # as long as a person takes, at least
        results = [submit(port, *form) for form in forms]

    statuses = sorted({status for status, _, _ in results})
    latencies = sorted(t * 1000 for _, _, t in results)
    print(f"Database: {env['DATABASE_URL'].split(':')[0]}; EMAIL_TIMEOUT 10 s; silent mail server")
    print(
        f"{args.requests} POSTs one after another: median {statistics.median(latencies):.0f} ms, "
        f"max {latencies[-1]:.0f} ms; statuses {statuses}"
    )


if __name__ == "__main__":
    main()
