# The project's commands. `make test` and `make demo` work on a clean clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint images demo clean

# The virtual environment, reinstalled when the package's metadata changes.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: $(STAMP) node_modules/.package-lock.json
	$(BIN)/ruff check remoteappmanager tests bench
	$(BIN)/ruff format --check remoteappmanager tests bench
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

# configurable-http-proxy, which the JupyterHub of the tests starts (package-lock.json).
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

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
	rm -rf $(VENV) build *.egg-info
