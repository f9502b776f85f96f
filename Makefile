# The few targets CI and people call unchanged. `make serve` and `make test` work on a
# fresh machine with only Python 3.11 and the package registries.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test bench schema lint

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

serve: install
	$(BIN)/fingraph serve

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

schema: install
	$(BIN)/fingraph schema export

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy gateway schema services
