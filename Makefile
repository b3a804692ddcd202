# The two set-up commands of the README. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BANTIN_HOME ?= $(CURDIR)/var

RUNNERS ?= 3

.PHONY: run run-pg test lint format bench bench-quick clean system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: initialise the embedded SQLite database, apply the bundled example
## campaigns on outbox channels, make the first admin and the DEMO accounts (passwords
## printed once), then start the scheduler and the web desk together (Ctrl-C stops both);
## files appear in $(BANTIN_HOME)/outbox.
run: $(STAMP)
	$(BIN)/bantin init
	$(BIN)/bantin demo setup
	$(BIN)/bantin user bootstrap
	@echo "desk: http://127.0.0.1:8080/ - log in as admin or a DEMO account with a password printed above"
	@echo "(lost it? $(BIN)/bantin user reset-password admin)"
	$(BIN)/bantin run & runner=$$!; trap 'kill $$runner' EXIT INT TERM; $(BIN)/bantin serve

## make run-pg: the same on a local PostgreSQL in $(BANTIN_HOME)/pg (unix socket only) with
## RUNNERS scheduler processes (default 3) and the web desk; Ctrl-C stops all and the
## server (scripts/run-pg.sh; docs/scaling.md).
run-pg: $(STAMP)
	RUNNERS=$(RUNNERS) BIN=$(BIN) scripts/run-pg.sh

## make test: the whole suite (what .ci/run calls): system packages the tests use
## (espeak-ng, weasyprint's Pango, a WordPress), lint, format, types, tests.
test: $(STAMP) system-deps
	$(BIN)/ruff check bantin tests benchmarks scripts
	$(BIN)/ruff format --check bantin tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest

system-deps:
	scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check bantin tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bantin tests benchmarks
	$(BIN)/ruff check --fix bantin tests benchmarks

## make bench: every benchmark (benchmarks/all.py) in one process tree, 3 runs each; the
## table goes to the terminal, the figures to benchmarks/results/ (latest.json compares).
## Not part of `make test`. The 1,000,000-row database is built once into benchmarks/.cache/.
bench: $(STAMP)
	$(BIN)/python benchmarks/all.py

## make bench-quick: the same harness on small sizes, one run each (a smoke run).
bench-quick: $(STAMP)
	$(BIN)/python benchmarks/all.py --quick --runs 1

clean:
	rm -rf $(VENV) var build *.egg-info
