# Two commands on a fresh machine: `make run` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint bench mutation lock

# Exactly the locked versions (hashes checked), then the project itself without resolving.
$(STAMP): pyproject.toml requirements-dev.lock
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "statusbot needs python3 3.11 or newer; found $$(python3 --version)" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/statusbot run $(if $(CONFIG),--config $(CONFIG),)

# From the checkout: the demo's fake status page (fakes/) is not part of the package.
demo: install
	$(PY) -m bot demo

# Four workers on two cores: most of the suite waits on real bot processes and sockets.
test: install
	bash scripts/start-services.sh
	$(PY) -m pytest -q -n 4

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

# Re-pin after changing dependencies in pyproject.toml; commit both lock files. The runtime
# lock (the Docker image's) has the postgres extra: one image serves SQLite and PostgreSQL.
UV := $(VENV)/bin/uv
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" -q
lock: install
	$(PY) -m pip install --quiet uv
	$(UV) pip compile pyproject.toml --extra postgres $(LOCK_FLAGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --extra postgres --extra dev $(LOCK_FLAGS) -o requirements-dev.lock
