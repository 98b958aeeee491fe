# certguide: `make run` serves the site on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# The first interpreter that is Python 3.12 or newer (Django 6 needs it).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help install install-dev install-checker messages makemessages run test lint format migrations-check check clean

help:
	@echo "make run    install, migrate SQLite and serve http://127.0.0.1:$(PORT)/"
	@echo "make test   install the dev requirements and run the whole suite"
	@echo "make lint   ruff check and format check"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "certguide needs Python 3.12 or newer and found none on PATH (python3.13, python3.12, python3)."; \
		echo "Install one (pyenv install 3.13) or run: make PYTHON=/path/to/python3.13 ..."; \
		exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed messages

install-dev: $(VENV)/.installed-dev messages

# The translation catalogues: each locale/<lang>/LC_MESSAGES/*.po compiles to its .mo
# with Babel (a Python package in requirements.txt), so a fresh machine needs no gettext.
# Fuzzy entries are left out, as Django's compilemessages does.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

messages: $(MO_FILES)

locale/%.mo: locale/%.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile --domain=$(basename $(notdir $<)) -i $< -o $@

# Re-extract the marked strings into the catalogues (needs GNU gettext: apt-get install gettext).
makemessages: install-dev
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages --all --no-obsolete --ignore='.venv/*' --ignore='node_modules/*' --ignore='tests/*' --ignore='bench/*'

# The Nu HTML Checker (vnu.jar, from package.json) for the HTML validity test, which
# runs it with Java 17+. Without npm the test is skipped and says why.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the HTML validity test will be skipped"; fi

install-checker: node_modules/.installed

run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev install-checker
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	git ls-files -z '*.py' | xargs -0 $(BIN)/django-upgrade --target-version 6.1 --check

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install-dev
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

check: lint migrations-check test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
