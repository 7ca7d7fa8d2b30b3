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

.PHONY: run release serve test test-fast lint bench lock messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies, exactly as locked.
$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(PIP_LOCKED) -r requirements.lock
	touch $@

# The Spanish translations, compiled from locale/*/LC_MESSAGES/django.po (msgfmt is GNU
# gettext, from Debian's packages: installed when missing).
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

/usr/bin/msgfmt:
	command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)

locale/%.mo: locale/%.po | /usr/bin/msgfmt
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
## DJANGO_INSECURE_HTTP=1 to try it on plain http://127.0.0.1; one box: the task worker that
## sends e-mails runs beside gunicorn and stops with it)
serve: export DJANGO_DEBUG =
serve: release
	$(MANAGE) db_worker & trap 'kill $$!' EXIT; $(BIN)/gunicorn --config gunicorn.conf.py clinic_site.wsgi

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

bench/node_modules/.installed: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# wrk, for the throughput benchmark: Debian's package, installed when missing.
/usr/bin/wrk:
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

# The PostgreSQL + Redis run of bench/throughput.py: scratch ones (migrated, written, flushed).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
export BENCH_DATABASE_URL BENCH_REDIS_URL

## make bench: Lighthouse, the triage list at 100,000 rows, the form's POST throughput, the
## public pages' requests a second, the content sync, and search and memory at 10 to 5,000
## articles, on both configurations (results in bench/RESULTS.md; not part of `make test`)
bench: $(VENV)/.dev bench/node_modules/.installed /usr/bin/wrk
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/growth_content.py --write
	$(BIN)/python bench/growth.py
	$(BIN)/python bench/admin_changelist.py
	$(BIN)/python bench/post_throughput.py
	$(BIN)/python bench/lighthouse.py

## make lint: style, migrations and the production deployment checks, as CI runs them
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(MANAGE) makemigrations --check --dry-run
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

## make lock: re-pin requirements*.lock after editing pyproject.toml
lock: $(VENV)/.dev
	$(PIP) uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --generate-hashes \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --generate-hashes --extra dev \
		-c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) staticfiles node_modules bench/node_modules
