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

# Mutation testing (mutmut 3; modules and their tests: [tool.mutmut] in pyproject.toml).
# Slow, so not part of `make test`; prints the survivors and the killed share.
mutation: install
	$(PY) -m pip install --quiet -e '.[dev,mutation]'
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 || true
	$(PY) scripts/mutation_score.py
