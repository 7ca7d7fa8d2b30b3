"""gunicorn settings for `make serve` and production. Each can be overridden by environment."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A slow client cannot hold a worker forever; a stuck request is killed and logged.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take the site down. A cached page
# takes well under a millisecond, so at 1,000 a worker they all restarted every few seconds,
# together (bench/RESULTS.md); the jitter spreads the restarts out.
max_requests = 20000
max_requests_jitter = 5000
# No preload_app: each worker imports the site itself, so a reload (SIGHUP, `systemctl reload`)
# after a release starts workers on the new code. With the site preloaded in the master, the
# new workers were forked from the old code (tests/clinic_site/test_gunicorn.py). The cost is
# a second or so of imports when a worker starts, which max_requests above keeps rare.
preload_app = False


def post_worker_init(worker):
    # A worker is ready once it has imported the site: this line says so, so that an operator
    # (and tests/support/servers.py) can tell when a start or a reload has finished.
    worker.log.info("Worker ready (pid: %s)", worker.pid)


# gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default, so a second
# instance on the host takes over the first one's. None unless GUNICORN_CONTROL_SOCKET names a
# path of this instance's own (deploy/systemd/clinic-gunicorn@.service does).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# Access log: method and path only (%(U)s has no query string) -- a query string or a form body
# may hold what a patient typed. No client address or referer either: an IP beside
# "POST /contact/" already says who asked for psychiatric care.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# What gunicorn takes from that proxy: the scheme (X-Forwarded-Proto, which Django reads too) and
# nothing else. By default it also maps SCRIPT_NAME and PATH_INFO headers into the request, and
# haproxy passes a client's headers on as they came: one request with `SCRIPT_NAME: //evil.example`
# made every link on the page point elsewhere (tests/clinic_site/test_cache_poisoning.py).
forwarder_headers = ""
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
