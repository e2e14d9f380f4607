# `make run`: the app on http://127.0.0.1:8000 (SQLite, eager Celery, demo data).
# `make test`: lint (ruff, import contracts, mypy), migration check and the whole suite. With
# CI=true it runs against PostgreSQL and Redis and turns every skipped service test into a
# failure.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

ifeq ($(CI),true)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kam
export KAM_TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
endif

.PHONY: run test lint messages

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Open http://127.0.0.1:8000 and log in with one of the users above."
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=kam.settings.test \
		$(BIN)/python manage.py makemigrations --check --dry-run

test: $(STAMP) lint
ifeq ($(CI),true)
	bash .ci/services
endif
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest

# Regenerate the German catalogue after changing translatable text; needs GNU gettext.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l de --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l de --ignore=.venv
