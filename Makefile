# `make run` and `make test` do all the set-up on a fresh machine: virtualenv, install, go.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# `make run` listens on this machine only; `make run ADDRESS=0.0.0.0` serves every network
# interface (configure sign-in first: without it anyone who can reach the port is ops).
ADDRESS ?= 127.0.0.1

.PHONY: run test lint bench soak seed worker retry-links send-emails expire-pending notifications clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

## Start the console on the embedded defaults (SQLite with demo data, Jitsi, outbox, demo payment),
## on http://localhost:$(PORT) only (ADDRESS, above).
run: $(VENV)/.installed
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

## Install what the tests need, check the code with ruff (a finding fails the run before any test),
## start (or reuse) the local PostgreSQL when it can, and run the tests.
## What could not run (no PostgreSQL, no Chromium) is listed at the end, one line per reason.
## CALLEXPERT_TEST_PG_DSN, when set, names the PostgreSQL to use and nothing is started.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	CALLEXPERT_TEST_PG_DSN="$${CALLEXPERT_TEST_PG_DSN:-$$(bash tests/pg.sh --if-possible)}" $(BIN)/python -m pytest -q

## The soak: bookings, reschedules and cancels under injected Calendar faults with two workers, one
## killed again and again, for SOAK_SECONDS (2 minutes; e.g. `make soak SOAK_SECONDS=600`); then it
## checks that the calendar and the bookings agree, prints the counts, and exits 1 if they do not.
SOAK_SECONDS ?= 120
soak: $(VENV)/.installed-dev
	$(BIN)/python -m tests.soak --seconds $(SOAK_SECONDS)

## Check the code with ruff (configured in pyproject.toml) and nothing else; `make test` runs it first.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

## Measure every page, links at Google's shape against the seed's loop, a backlog at Google's quota from two
## processes, throughput, a fresh start in Chromium, each against its floor; exit 1 on a missed goal; write
## bench-results/bench.json and the docs' tables. Needs the test tools (the Calendar stand-in, Playwright).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench --write-docs

seed: $(VENV)/.installed
	$(BIN)/python -m lib seed-demo

## Run the background worker (links, reminders, emails, expiry, payment checks, completion,
## attendance, calendar changes and the daily reconciliation with Google) until Ctrl-C.
worker: $(VENV)/.installed
	$(BIN)/python -m lib worker

retry-links: $(VENV)/.installed
	$(BIN)/python -m lib retry-links

send-emails: $(VENV)/.installed
	$(BIN)/python -m lib send-emails

## Free the slots of bookings still awaiting payment after pending_expiry_minutes (run from cron).
expire-pending: $(VENV)/.installed
	$(BIN)/python -m lib expire-pending

## Serve the Midtrans notification endpoint on notifications_host:notifications_port (docs/midtrans.md).
notifications: $(VENV)/.installed
	$(BIN)/python -m lib serve-notifications

clean:
	rm -rf $(VENV) data .pytest_cache test-artifacts
