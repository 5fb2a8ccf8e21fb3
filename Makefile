# Two commands on a fresh machine: `make run` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint bench mutation

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m bot run $(if $(CONFIG),--config $(CONFIG),)

demo: install
	$(PY) -m bot demo

test: install
	bash scripts/start-services.sh
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check bot integrations fakes tests bench
	$(VENV)/bin/ruff format --check bot integrations fakes tests bench
	$(VENV)/bin/mypy

bench: install
	$(PY) -m bench all

# mutmut 3 on each module with its own tests (minutes; not part of `make test`).
# MODULES=feed make mutation runs only some; see scripts/mutation.py for the list.
mutation: install
	$(PY) scripts/mutation.py $(MODULES)
