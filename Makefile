# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Each installs only what changed since the last time, so the second run is fast.

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
# The lock files carry each file's hash: a package that differs from the one we locked fails.
PIP_LOCKED := $(PIP) --require-hashes --no-deps

export PORT

.PHONY: run release serve test test-fast test-random test-py313 lint bench mutation lock messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies, exactly as locked.
$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(PIP_LOCKED) -r requirements.lock
	touch $@

# The Spanish translations, compiled from locale/*/LC_MESSAGES/*.po by msgfmt (GNU gettext):
# django.po for the templates and code, djangojs.po for static/js (served by the JavaScript
# catalogue). bin/need installs it on Debian as root, and otherwise says what to install
# (macOS: brew install gettext).
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

locale/%.mo: locale/%.po
	@bin/need msgfmt gettext
	msgfmt --check -o $@ $<

# Runtime plus test and lint tools.
$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(PIP_LOCKED) -r requirements-dev.lock
	touch $@

## make run: the site in development (DEBUG on, SQLite in var/) at http://127.0.0.1:$(PORT)
run: export DJANGO_DEBUG = 1
run: $(VENV)/.runtime $(MESSAGES)
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	-$(MANAGE) sync_content
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# A broken content file is reported (and `sync_content` exits non-zero) but does not stop the
# site: what was published before stays up. Hence the leading '-'.

## make release: migrate, load content/ and collect static files for production (bin/release)
release: export DJANGO_DEBUG =
release: $(VENV)/.runtime $(MESSAGES)
	PYTHON=$(BIN)/python bin/release

## make serve: the production configuration under gunicorn (needs DJANGO_SECRET_KEY;
## DJANGO_INSECURE_HTTP=1 to try it on plain http://127.0.0.1; one box: the e-mail worker runs
## beside gunicorn, is started again if it ever exits (bin/worker), and stops with gunicorn)
serve: export DJANGO_DEBUG =
serve: release
	PYTHON=$(BIN)/python bin/worker & trap 'kill $$!' EXIT; \
		$(BIN)/gunicorn --config gunicorn.conf.py clinic_site.wsgi

# The checkers the browser tests run (axe-core, the Nu HTML Checker), as locked.
# --ignore-scripts: vnu-jar's postinstall only fetches a Java runtime from GitHub when none is
# installed; the tests run the system `java` (17) on the jar directly.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## make test: the whole test suite (DATABASE_URL=postgres://... to run it on PostgreSQL)
test: $(VENV)/.dev node_modules/.installed $(MESSAGES)
	$(BIN)/pytest

## make test-fast: the inner loop, without the browser and the production-server tests (CI
## runs the whole suite: make test)
test-fast: $(VENV)/.dev $(MESSAGES)
	$(BIN)/pytest -m "not browser and not serve"

## make test-random: as test-fast, in a shuffled order (pytest-randomly), to catch a test that
## passes only after another; it prints the seed, and SEED=<n> repeats that order
test-random: $(VENV)/.dev $(MESSAGES)
	$(BIN)/pytest -p randomly $(if $(SEED),--randomly-seed=$(SEED)) -m "not browser and not serve"

# Python 3.13, the next supported version: pyenv's, or PY313=/path/to/python3.13.
PY313 ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13)))

## make test-py313: the suite but the browser tests, on Python 3.13 (its own .venv-py313/,
## from the same lock files)
test-py313: $(MESSAGES)
	@test -x "$(PY313)" || { echo "Python 3.13 not found: pyenv install 3.13, or set PY313=/path/to/python3.13" >&2; exit 1; }
	$(MAKE) --no-print-directory VENV=.venv-py313 PYTHON=$(PY313) .venv-py313/.dev
	.venv-py313/bin/pytest -m "not browser"

bench/node_modules/.installed: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The PostgreSQL + Redis run of bench/throughput.py: scratch ones (migrated, written, flushed).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
export BENCH_DATABASE_URL BENCH_REDIS_URL

## make bench: Lighthouse, the triage list at 100,000 rows, the form's POST throughput, the
## e-mail workers' drain rate (PostgreSQL), the public pages' requests a second, a cached
## article through nginx, the content sync, and search and memory at 10 to 5,000 articles, on
## both configurations (results in bench/RESULTS.md; not part of `make test`)
bench: $(VENV)/.dev bench/node_modules/.installed
	@bin/need wrk wrk
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/edge_cache.py
	$(BIN)/python bench/growth_content.py --write
	$(BIN)/python bench/growth.py
	$(BIN)/python bench/admin_changelist.py
	$(BIN)/python bench/reply_report.py
	$(BIN)/python bench/post_throughput.py
	$(BIN)/python bench/email_drain.py
	$(BIN)/python bench/lighthouse.py

# mutmut and what it needs, on top of the test tools (not installed by `make test`).
$(VENV)/.mutation: requirements-mutation.lock $(VENV)/.dev
	$(PIP_LOCKED) -r requirements-mutation.lock
	touch $@

## make mutation: mutation testing of the crisis matcher, the rate limit, the e-mail sender and
## two-step sign-in, each against its own tests (bin/mutation; about 40 minutes; not part of
## `make test`): run it before changing one of them
mutation: $(VENV)/.mutation $(MESSAGES)
	$(BIN)/python bin/mutation

## make lint: style, migrations (each new one safe to run while the previous release serves:
## bin/lint-migrations) and the production deployment checks, as CI runs them
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(MANAGE) makemigrations --check --dry-run
	$(BIN)/python bin/lint-migrations
	DJANGO_DEBUG= DJANGO_SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-enough-value-for-the-check \
		APPOINTMENT_NOTIFY_EMAILS=front-desk@example.org RATE_LIMIT_TRUSTED_PROXIES=1 \
		DJANGO_ALLOWED_HOSTS=clinic.example SITE_URL=https://clinic.example \
		$(MANAGE) check --deploy --fail-level WARNING

## make messages: after changing the site's words, bring locale/es/LC_MESSAGES/django.po up to
## date, then translate what is new (tests/clinic_site/test_translations.py lists it)
messages: $(VENV)/.dev
	DJANGO_DEBUG=1 $(MANAGE) makemessages --locale es --no-location --no-obsolete \
		--ignore '.venv/*' --ignore 'node_modules/*' --ignore 'bench/*' --ignore 'tests/*' \
		--ignore 'staticfiles/*' --ignore 'var/*'
	DJANGO_DEBUG=1 $(MANAGE) makemessages --domain djangojs --locale es --no-location \
		--no-obsolete --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'bench/*' \
		--ignore 'tests/*' --ignore 'staticfiles/*' --ignore 'var/*' --ignore 'test-results/*'

## make lock: re-pin requirements*.lock after editing pyproject.toml
# Resolved for Python 3.11, with the hash of every file of each pinned version (the wheels for
# 3.12 and 3.13 too), so the same files install on 3.13: `make test-py313` does.
lock: $(VENV)/.dev
	$(PIP) uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --generate-hashes \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --generate-hashes --extra dev \
		-c requirements.lock -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --generate-hashes --extra dev \
		--extra mutation -c requirements-dev.lock -o requirements-mutation.lock

clean:
	rm -rf $(VENV) .venv-py313 staticfiles node_modules bench/node_modules
