"""`make serve` for the benchmarks: the production configuration under gunicorn, on a scratch
database in a temp folder (or DATABASE_URL, which must then be a scratch database)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def production_server(**extra_env):
    """Yield (base URL, environment, manage command) while gunicorn serves the site."""
    tmp = tempfile.mkdtemp(prefix="bench-")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic_site.settings",
        "DJANGO_DEBUG": "",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-bench-only",
        "DJANGO_INSECURE_HTTP": "1",
        "DJANGO_VAR_DIR": tmp,
        "DJANGO_STATIC_ROOT": f"{tmp}/static",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
        "PORT": str(port),
        **extra_env,
    }
    manage = [sys.executable, "manage.py"]
    # The steps of `make serve`.
    for command in (
        ["migrate", "-v0"],
        ["createcachetable"],
        ["sync_content"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(f"{tmp}/gunicorn.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "clinic_site.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", env, manage
        finally:
            server.terminate()
            server.wait(10)
