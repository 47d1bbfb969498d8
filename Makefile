# Everything a newcomer needs: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/kepuri
# The suite runs on both cores (pytest-xdist; each worker has its own test database):
# 4 minutes on SQLite and 7 on PostgreSQL instead of 8 and 13. TEST_WORKERS=0 runs it serially.
TEST_WORKERS ?= 2
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help run test test-postgres test-ops lint format serve backup restore install migrate messages demo browsers nginx clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-15s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install pinned dependencies

messages: $(STAMP) ## Compile translations (locale/zh_Hans; the compiled .mo is committed too)
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else echo "msgfmt not found: using the committed locale/zh_Hans .mo"; fi

migrate: $(STAMP) ## Apply database migrations
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py createcachetable

demo: migrate messages ## Load the demo data (idempotent)
	$(PY) manage.py seed_demo

run: demo ## Install, migrate, load demo data and serve on http://127.0.0.1:8000 (SQLite)
	$(PY) manage.py runserver 127.0.0.1:8000

browsers: ## Install Debian's Chromium and a CJK font for the browser tests (needs root)
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then \
		echo "chromium: present"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null && echo "chromium: installed"; \
	else \
		echo "chromium: missing and cannot be installed here; browser tests will skip"; \
	fi

nginx: ## Install Debian's nginx for the live check of deploy/nginx (needs root)
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then \
		echo "nginx: present"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl >/dev/null && echo "nginx: installed"; \
	else \
		echo "nginx: missing and cannot be installed here; its live check will skip"; \
	fi

test: $(STAMP) messages ## Run the whole test suite on SQLite
	@[ -x /usr/bin/chromium ] || $(MAKE) --no-print-directory browsers || true
	$(BIN)/pytest -n $(TEST_WORKERS)

test-postgres: $(STAMP) messages ## Run the whole test suite on PostgreSQL (PG_URL)
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(TEST_WORKERS)

# OPS_LOAD_SECONDS (default 60) shortens the load locally; figures land in OPS_RESULTS_DIR.
test-ops: $(STAMP) messages ## Two gunicorn instances on PostgreSQL (PG_URL's server) and Redis: load, outages
	KEPURI_OPS=1 PG_URL=$(PG_URL) OPS_RESULTS_DIR=$${OPS_RESULTS_DIR:-bench/results} \
		$(BIN)/pytest -m ops -rP tests/ops

lint: $(STAMP) ## ruff check, ruff format --check, makemigrations --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

serve: $(STAMP) messages ## Serve with gunicorn, production settings, DEBUG off, on 127.0.0.1:8000 (no worker: background work in the request)
	@[ -f .secret_key ] || $(PY) -c "import secrets; print(secrets.token_urlsafe(64))" > .secret_key
	export DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(cat .secret_key) \
		ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-0} \
		BACKGROUND_TASKS=$${BACKGROUND_TASKS:-immediate}; \
	$(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py createcachetable && \
	$(PY) manage.py collectstatic --no-input -v 0 && \
	$(BIN)/gunicorn config.wsgi:application --config config/gunicorn.py

# Both use the site's own settings and DATABASE_URL / MEDIA_ROOT (docs/backup.md). No
# $(STAMP): a production virtualenv has no stamp, and a backup must never install packages.
backup: ## Back up the database and media into BACKUP_DIR (default ./backups)
	$(PY) manage.py backup

restore: ## Restore BACKUP=backups/kepuri-… into an empty database (FORCE=1 replaces)
	@[ -n "$(BACKUP)" ] || { echo "usage: make restore BACKUP=backups/kepuri-YYYYmmdd-HHMMSS [FORCE=1]" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(filter 1 yes true,$(FORCE)),--force)

clean: ## Remove the virtualenv, caches and collected static files
	rm -rf $(VENV) .pytest_cache .ruff_cache static_collected
