# Proxima — the two commands: `make demo` and `make test`. Everything else is their plumbing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app crm
STAMP := $(VENV)/.installed-stamp
HTMX := crm/static/vendor/htmx.min.js
SIZE ?= small
SEED ?= 1
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= $(TEST_DATABASE_URL)

.PHONY: demo test install assets browser translations messages db seed scores run bench clean help

help:
	@echo "make demo   set up, migrate, seed demo data and serve Proxima on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the tests (SQLite, then PostgreSQL when TEST_DATABASE_URL is reachable)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

$(HTMX): package.json
	npm install --no-audit --no-fund --loglevel=error
	node scripts/copy-assets.mjs
	@touch $@

assets: $(HTMX)

# The browser tests (tests/e2e) drive Debian's Chromium, never a downloaded one. CI installs
# it when missing; elsewhere the tests install it themselves when run as root, or skip.
browser:
	@if [ -n "$$CI" ] && [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d crm/translations -f >/dev/null

# Re-extract the French msgids and merge them into the catalogues (then translate the new ones).
messages: $(STAMP)
	@mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d crm/translations --no-fuzzy-matching --ignore-obsolete

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed demo --size $(SIZE) --seed $(SEED) --if-empty

# The nightly batch, for the demo: score with the published models, store what to propose to
# everyone and the candidates of every open offer, count the agency overviews' figures; the first time, train them (about 40 s on the small demo). The
# publishing gate may refuse a model: the pages then rank by the rules alone and say so.
scores: seed
	@$(FLASK) recommender score --quiet --out instance/priority_scores.csv 2>/dev/null || { \
	  echo "Training the recommender (first run)…"; \
	  $(FLASK) recommender train --quiet | tail -n 6 || true; \
	  $(FLASK) recommender score --quiet --out instance/priority_scores.csv 2>/dev/null || \
	  echo "No job-seeker priority model published (refused by the quality gate above): the priority lists rank by the rules."; }
	@$(FLASK) recommender recommend --quiet --out instance/recommendations.csv || true
	@$(FLASK) overviews refresh --quiet || true

run: install assets translations
	$(FLASK) run --host $(HOST) --port $(PORT)

demo: install assets translations seed scores
	@$(FLASK) seed accounts
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install assets translations browser
	$(BIN)/python -m pytest
	@if [ -n "$(PG_TEST_URL)" ]; then \
	  if $(BIN)/python scripts/db_reachable.py "$(PG_TEST_URL)"; then \
	    echo "--- again on PostgreSQL ($(PG_TEST_URL))"; \
	    TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest; \
	  else echo "--- PostgreSQL at $(PG_TEST_URL) not reachable: PostgreSQL run skipped"; fi; \
	fi

# Page server times on the database DATABASE_URL points at (seed it with SIZE=large first).
bench: install translations
	$(BIN)/python -m benchmarks.web

clean:
	rm -rf $(VENV) node_modules crm/static/vendor instance .pytest_cache
