# The two quick-start commands are `make run` and `make test`; both install what they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
# Where `make run` listens: this machine only, unless told otherwise (`make run ADDRESS=0.0.0.0`; see Deployment in
# the README: local mode makes everyone who can reach the port an admin).
ADDRESS ?= 127.0.0.1
# Let Python cache compiled modules (and pytest its rewritten tests): collection takes a third less time.
unexport PYTHONDONTWRITEBYTECODE
TEST_WORKERS ?= auto

.PHONY: install run test lint format bench loadtest clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/readiness db upgrade
	$(BIN)/readiness demo --if-empty
	$(BIN)/streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT)

# Lint first; then every test but the browser ones, in parallel (pytest-xdist, one worker per core);
# then the browser (e2e) tests, serially: they share one Chromium and one app server per database.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not e2e"
	$(BIN)/pytest -m e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

# Many concurrent sessions over Streamlit's websocket protocol (bench/loadtest.py): 25, 50 and 100 by default;
# `make loadtest LOADTEST_ARGS=--quick` for a short trial.
LOADTEST_ARGS ?=
loadtest: install
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis bench-results
