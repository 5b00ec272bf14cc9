# Two commands for a new user: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint check-migrations ci clean serve collectstatic

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11 or newer.")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

# Development server with SQLite, reference data, and demo data on first run.
run: $(VENV)/.installed-run
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=true $(BIN)/python manage.py seed_reference
	@DJANGO_DEBUG=true $(BIN)/python manage.py seed_demo --if-empty --password-file .demo-password
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production server: gunicorn (config/gunicorn.conf.py) with static files served by whitenoise, DEBUG
# off, against DATABASE_URL. Needs DATABASE_URL, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; migrations
# run as DATABASE_OWNER_URL when it is set (the owner role, docs/DEPLOY.md, which also lists the
# GUNICORN_* knobs). On a server, systemd runs these steps instead (deploy/systemd/).
serve: $(VENV)/.installed-run
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL (postgres://...); see docs/DEPLOY.md." >&2; exit 1; }
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --no-input --verbosity 1
	DJANGO_DEBUG=false DATABASE_URL="$${DATABASE_OWNER_URL:-$$DATABASE_URL}" $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=false exec $(BIN)/gunicorn -c config/gunicorn.conf.py

# Hashed, compressed copies of the static files in STATIC_ROOT (staticfiles/), for whitenoise to serve.
collectstatic: $(VENV)/.installed-run
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --no-input --verbosity 1

# The whole suite: SQLite by default, PostgreSQL when DATABASE_URL is set.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

# Static security analysis: bandit, medium severity and above ([tool.bandit] in pyproject.toml).
.PHONY: bandit
bandit: $(VENV)/.installed-dev
	$(BIN)/bandit -q -r casework policies config -ll -c pyproject.toml

check-migrations: $(VENV)/.installed-dev
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) db.sqlite3 .demo-password .pytest_cache .ruff_cache
