"""`make serve` for the tests and the benchmarks (bench/): the production
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

ROOT = Path(__file__).resolve().parents[2]


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


def wait_for_workers(log, workers, timeout=120):
    """Until every gunicorn worker has imported the site (gunicorn.conf.py logs "Worker ready"):
    each imports it itself, which on a busy machine takes seconds."""
    workers = int(workers or os.cpu_count() * 2 + 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text().count("Worker ready") >= workers:
            return
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
            wait_for_workers(Path(tmp) / "gunicorn.log", env.get("WEB_CONCURRENCY"))
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


DEPLOY = ROOT / "deploy"
NGINX = "/usr/sbin/nginx"


def _replace(text, replacements, name):
    """Each replacement, which must be found: a test that no longer matches the file it renders
    fails here rather than testing something else."""
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"{name} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def self_signed_certificate(folder):
    """A throw-away certificate for 127.0.0.1, for the site file's HTTPS server."""
    cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def nginx_in_front(bases, static_root, workers=1):
    """Yield the URLs of deploy/nginx/clinic.conf and clinic-proxy.conf, as they are, in front
    of these servers (base URLs): {"plain": the tests' plain-HTTP server, which includes the
    same clinic-proxy.conf as the HTTPS one, "https": the site file's HTTPS server (a
    self-signed certificate), "http": its port-80 server}. Only ports, paths and the
    certificate differ from production. "folder": the folder of the rendered files and of
    nginx's logs (clinic.access.log, error.log)."""
    tmp = Path(tempfile.mkdtemp(prefix="nginx-"))
    tmp.chmod(0o755)  # nginx's workers may run as another user
    ports = {name: free_port() for name in ("plain", "http", "https")}
    cert, key = self_signed_certificate(tmp)
    proxy = _replace(
        (DEPLOY / "nginx/clinic-proxy.conf").read_text(),
        {"alias /srv/clinic/staticfiles/;": f"alias {static_root}/;"},
        "clinic-proxy.conf",
    )
    (tmp / "clinic-proxy.conf").write_text(proxy)
    site = _replace(
        (DEPLOY / "nginx/clinic.conf").read_text(),
        {
            "    server 127.0.0.1:8000;\n": "".join(
                f"    server {base.removeprefix('http://')};\n" for base in bases
            ),
            "/var/cache/nginx/clinic ": f"{tmp}/cache ",
            "/var/log/nginx/": f"{tmp}/",
            "listen 80;": f"listen 127.0.0.1:{ports['http']};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{ports['https']} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "/etc/letsencrypt/live/clinic.example.org/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/clinic.example.org/privkey.pem": str(key),
            "/etc/nginx/snippets/clinic-proxy.conf": str(tmp / "clinic-proxy.conf"),
        },
        "clinic.conf",
    )
    (tmp / "clinic.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes {workers};\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  access_log off;\n  client_body_temp_path {tmp}/body;\n"
        f"  proxy_temp_path {tmp}/proxy;\n  fastcgi_temp_path {tmp}/fastcgi;\n"
        f"  uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n"
        f"  include {tmp}/clinic.conf;\n"
        "  # The tests' door: plain HTTP, with the production server's own proxy rules.\n"
        f"  server {{\n    listen 127.0.0.1:{ports['plain']};\n"
        f"    access_log {tmp}/clinic.access.log clinic;\n"
        f"    include {tmp}/clinic-proxy.conf;\n  }}\n"
        "}\n"
    )
    check = subprocess.run(
        [NGINX, "-t", "-q", "-p", tmp, "-c", tmp / "nginx.conf"], capture_output=True, text=True
    )
    if check.returncode:
        raise AssertionError(f"nginx -t refused the configuration:\n{check.stderr}")
    nginx = subprocess.Popen(
        [NGINX, "-p", tmp, "-c", tmp / "nginx.conf"], stderr=subprocess.DEVNULL
    )
    try:
        for port in ports.values():
            wait_for_port(port)
        yield {name: f"{'https' if name == 'https' else 'http'}://127.0.0.1:{port}"
               for name, port in ports.items()} | {"folder": tmp}  # fmt: skip
    finally:
        nginx.terminate()
        nginx.wait(10)
