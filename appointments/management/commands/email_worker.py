import signal
import threading

from django.core.management.base import BaseCommand

from appointments.notify import run_worker


class Command(BaseCommand):
    help = (
        "The e-mail worker: sends the staff e-mail and the patient's acknowledgement of each"
        " request as they come due, until stopped (SIGTERM or Ctrl-C lets it finish the e-mails"
        " in hand). Run one or more, under a supervisor that starts it again if it ever exits"
        " (systemd's Restart=always; `make serve` runs bin/worker, a restart loop)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--idle",
            type=float,
            default=1.0,
            help="seconds between looks at an outbox with nothing due (default 1)",
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        run_worker(stop, idle_seconds=options["idle"])
