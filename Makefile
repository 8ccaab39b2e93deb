# HocVu — set-up, run and test. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
APP_STAMP := $(VENV)/.app-installed
DEV_STAMP := $(VENV)/.dev-installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))
# PostgreSQL for the second test run: TEST_DATABASE_URL, or the local server when it answers.
LOCAL_PG := postgresql+psycopg://postgres@127.0.0.1:5432/hocvu_test

.PHONY: install install-dev run test lint bench translations clean

install: $(APP_STAMP) $(CATALOGS)

$(APP_STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install-dev: install $(DEV_STAMP)

$(DEV_STAMP): requirements-dev.txt requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po $(APP_STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

run: install
	HOCVU_ENV=development $(FLASK) db upgrade
	HOCVU_ENV=development $(FLASK) demo seed
	HOCVU_ENV=development $(FLASK) content import content/
	HOCVU_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/pytest
	@url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python scripts/pg_answers.py "$(LOCAL_PG)"; then url="$(LOCAL_PG)"; fi; \
	if [ -n "$$url" ]; then \
	  echo "== the same tests on PostgreSQL =="; TEST_DATABASE_URL="$$url" $(BIN)/pytest; \
	else \
	  echo "SKIPPED: no PostgreSQL (set TEST_DATABASE_URL or start a server on 127.0.0.1:5432); ran on SQLite only"; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-dev
	$(BIN)/python -m bench

# Re-extract messages after changing UI text, then translate the new entries.
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k gettext --no-location -o /tmp/hocvu-messages.pot .
	$(BIN)/pybabel update -i /tmp/hocvu-messages.pot -d app/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
