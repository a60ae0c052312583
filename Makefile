# The project's two commands are `make demo` and `make test`; both create .venv and install first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_WORKERS ?= 3

.PHONY: install demo test test-both-backends bench soak ui validate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/crm-pipelines demo

test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

# Every scenario on SQLite and on PostgreSQL (`make test` runs each on one of them).
test-both-backends:
	CRM_PIPELINES_TEST_BOTH_BACKENDS=1 $(MAKE) test

bench: install
	$(BIN)/python -m bench

soak: install
	$(BIN)/python -m soak --cycles 20

ui: install
	test -d .data/demo || $(BIN)/crm-pipelines demo
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/crm-pipelines ui --demo

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

clean:
	rm -rf .data
