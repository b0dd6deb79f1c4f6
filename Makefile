# The project's commands. `make test` and `make demo` work on a clean clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

NODE_STAMP := node_modules/.package-lock.json
DASHBOARD := remoteappmanager/static/dashboard/index.html
FRONTEND_SOURCES := $(shell find frontend -type f)

.PHONY: test lint docs images frontend demo clean-demo clean

# The virtual environment, reinstalled when the package's metadata changes.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: $(STAMP) $(DASHBOARD)
	$(BIN)/ruff check remoteappmanager tests bench deploy
	$(BIN)/ruff format --check remoteappmanager tests bench deploy
	$(BIN)/mypy
	npm test --silent
	$(BIN)/pytest $(PYTEST_ARGS)

# Node tools from package-lock.json: Vite, vitest, Vue, and configurable-http-proxy
# (which the JupyterHub of the tests and of the demo starts).
$(NODE_STAMP): package-lock.json
	@command -v npm >/dev/null || { echo "make: Node.js 20.19 or newer (with npm) is needed: install it from your distribution or nodejs.org" >&2; exit 1; }
	@echo "==> installing the Node tools from package-lock.json (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error

# The dashboards, built by Vite into the package's static files.
$(DASHBOARD): $(NODE_STAMP) $(FRONTEND_SOURCES)
	npm run --silent build

frontend: $(DASHBOARD)

# The demo application images (seconds; Docker's build cache makes reruns instant).
images:
	images/build

.PHONY: app-images
# The real application images, a noVNC desktop, JupyterLab and third-party apps, on a
# Debian base made once by debootstrap: minutes the first time, seconds after
# (Docker's cache).
app-images:
	images/build desktop jupyterlab streamlit panel code-server

# The documentation site (MkDocs, from doc/ and the code), into build/site.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --config-file mkdocs.yml --site-dir build/site

lint: $(STAMP)
	$(BIN)/ruff check --fix remoteappmanager tests bench deploy
	$(BIN)/ruff format remoteappmanager tests bench deploy

# The demo: the package without its test tools, the dashboards, the proxy, then
# deploy/demo.py (Docker engine, demo images, demo users, JupyterHub on :8000).
$(DEMO_STAMP): pyproject.toml setup.py
	@echo "==> installing remoteappmanager and what it needs into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on -e .
	touch $@

demo: $(DEMO_STAMP) $(DASHBOARD)
	$(BIN)/python deploy/demo.py

clean-demo:
	rm -rf .demo

clean:
	rm -rf $(VENV) build *.egg-info node_modules remoteappmanager/static/dashboard

# The hub image (Dockerfile-ubuntu; see deploy/docker/README.md): JupyterHub, the proxy
# and remoteappmanager, with the dashboards built here first. BASE=IMAGE builds it on
# another base, e.g. BASE=remoteappmanager/debian-base:bookworm (images/debian-base/build)
# where no registry can be reached. This machine's CA bundle goes into the build, so pip
# and npm verify HTTPS behind a TLS-inspecting proxy too. Without the buildx plugin there
# is no BuildKit: the legacy builder is asked for, as images/build does.
HUB_IMAGE ?= remoteappmanager/hub:latest
HOST_CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
.PHONY: hub-image
hub-image: $(DASHBOARD)
	@if [ -f $(HOST_CA_BUNDLE) ] && ! cmp -s $(HOST_CA_BUNDLE) deploy/docker/ca-certificates/host-ca-bundle.crt; then \
		cp $(HOST_CA_BUNDLE) deploy/docker/ca-certificates/host-ca-bundle.crt; fi
	$(if $(shell docker buildx version 2>/dev/null),,DOCKER_BUILDKIT=0) docker build -f Dockerfile-ubuntu \
		$(if $(BASE),--build-arg BASE=$(BASE)) -t $(HUB_IMAGE) .
