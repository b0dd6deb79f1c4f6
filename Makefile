# The project's commands. `make test` and `make demo` work on a clean clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := node_modules/.package-lock.json
DASHBOARD := remoteappmanager/static/dashboard/index.html
FRONTEND_SOURCES := $(shell find frontend -type f)

.PHONY: test lint images frontend demo clean

# The virtual environment, reinstalled when the package's metadata changes.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: $(STAMP) $(DASHBOARD)
	$(BIN)/ruff check remoteappmanager tests bench
	$(BIN)/ruff format --check remoteappmanager tests bench
	$(BIN)/mypy
	npm test --silent
	$(BIN)/pytest $(PYTEST_ARGS)

# Node tools from package-lock.json: Vite, vitest, Vue, and configurable-http-proxy
# (which the JupyterHub of the tests and of the demo starts).
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The dashboards, built by Vite into the package's static files.
$(DASHBOARD): $(NODE_STAMP) $(FRONTEND_SOURCES)
	npm run --silent build

frontend: $(DASHBOARD)

# The demo application images (seconds; Docker's build cache makes reruns instant).
images:
	images/build

lint: $(STAMP)
	$(BIN)/ruff check --fix remoteappmanager tests bench
	$(BIN)/ruff format remoteappmanager tests bench

demo:
	@echo "make demo is not there yet: the one-command demo arrives with issue 7." >&2
	@echo "Until then, see README.md for what works today." >&2
	@exit 1

clean:
	rm -rf $(VENV) build *.egg-info node_modules remoteappmanager/static/dashboard
