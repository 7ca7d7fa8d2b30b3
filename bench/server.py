"""`make serve` for the benchmarks and tests/clinic_site/test_serve.py: the production
configuration under gunicorn, after bin/release, on a scratch database in a temp folder (or
DATABASE_URL, which must then be a scratch database)."""

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


def wait_for_port(port):
    """Until something listens on this loopback port (10 s at most)."""
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)


@contextmanager
def production_server(own_database=False, **extra_env):
    """Yield (base URL, environment, manage command) while gunicorn serves the site. Its log
    is gunicorn.log in the environment's DJANGO_VAR_DIR. own_database: a scratch SQLite file even
    when DATABASE_URL is set."""
    tmp = tempfile.mkdtemp(prefix="serve-")
    port = free_port()
    sqlite = f"sqlite:///{tmp}/bench.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic_site.settings",
        "DJANGO_DEBUG": "",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-bench-only",
        "DJANGO_INSECURE_HTTP": "1",
        "DJANGO_VAR_DIR": tmp,
        "DJANGO_STATIC_ROOT": f"{tmp}/static",
        "DATABASE_URL": sqlite if own_database else os.environ.get("DATABASE_URL", sqlite),
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PYTHON": sys.executable,
        **extra_env,
    }
    subprocess.run([ROOT / "bin/release"], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(f"{tmp}/gunicorn.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "clinic_site.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port)
            yield f"http://127.0.0.1:{port}", env, [sys.executable, "manage.py"]
        finally:
            server.terminate()
            server.wait(10)


@contextmanager
def haproxy_in_front(bases, extra_config=""):
    """Yield the URL of haproxy balancing over these servers (base URLs), configured as the
    scale-out test and a plain deployment configure it: HTTP mode, round robin, nothing
    rewritten."""
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="haproxy-"))
    config = tmp / "haproxy.cfg"
    config.write_text(
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n"
        "  timeout server 60s\n"
        f"frontend site\n  bind 127.0.0.1:{port}\n  default_backend app\n{extra_config}"
        "backend app\n  balance roundrobin\n"
        + "".join(
            f"  server app{n} {base.removeprefix('http://')}\n" for n, base in enumerate(bases)
        )
    )
    haproxy = subprocess.Popen(
        ["/usr/sbin/haproxy", "-db", "-f", config], stdout=subprocess.DEVNULL
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        haproxy.terminate()
        haproxy.wait(10)
