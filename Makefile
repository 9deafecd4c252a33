# Rekisteri: `make run` sets everything up on SQLite and serves the demo;
# `make test` runs the whole suite (on PostgreSQL too when DATABASE_URL is set).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint typecheck migrations-check check messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/rekisteri keys generate --if-missing
	$(BIN)/rekisteri migrate --no-input
	$(BIN)/rekisteri demo
	$(BIN)/rekisteri serve --worker --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy rekisteri bench

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

check: lint typecheck migrations-check test

# Needs GNU gettext; the compiled catalogues are committed so that nobody else does.
messages: $(STAMP)
	cd rekisteri && ../$(BIN)/python ../manage.py makemessages -l fi -l sv --no-location --no-obsolete \
		-i "tests/*" -i "*/tests/*" -i "testing/*"
	cd rekisteri && ../$(BIN)/python ../manage.py compilemessages -l fi -l sv

bench: $(STAMP)
	$(BIN)/python -m bench customer_search --customers 100000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
