# `make run`: the app on http://127.0.0.1:8000 (SQLite, eager Celery, demo data); `make run
# PORT=8080` serves it on another port.
# `make test`: lint (ruff, import contracts, mypy), migration check and the whole suite. With
# CI=true it runs against PostgreSQL and Redis and turns every skipped service test into a
# failure.
# `make lock`: regenerate requirements.lock (every installed version) after changing the
# dependencies in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A new stamp, so a new install, whenever the dependencies or their locked versions change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
LOCK_VENV := .venv-lock
PORT ?= 8000

ifeq ($(CI),true)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kam
export KAM_TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
endif

.PHONY: run test lint messages lock

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Open http://127.0.0.1:$(PORT) and log in with one of the users above."
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=kam.settings.test \
		$(BIN)/python manage.py makemigrations --check --dry-run
# Django's deployment checks on the production settings; any warning fails. The secret is
# a placeholder that only lets the settings load: nothing is signed with it.
	env -u DATABASE_URL -u CACHE_URL -u CELERY_BROKER_URL \
		DJANGO_SETTINGS_MODULE=kam.settings.production \
		DJANGO_SECRET_KEY=make-lint-placeholder-not-a-secret-0123456789abcdefghijklm \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

test: $(STAMP) lint
ifeq ($(CI),true)
	bash .ci/services
endif
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest

# Regenerate the German catalogue after changing translatable text; needs GNU gettext.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l de --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l de --ignore=.venv

# Every transitive version, from a clean environment built from pyproject.toml alone (so
# nothing installed by hand slips in); the comment block at the top of the file is kept.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e ".[dev]"
	sed '/^[^#]/,$$d' requirements.lock > requirements.lock.new
	$(LOCK_VENV)/bin/python -m pip freeze --exclude-editable >> requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf $(LOCK_VENV)
