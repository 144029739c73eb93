# Two commands for users: `make serve` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test check bench system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/collector serve --demo --host 127.0.0.1 --port 8000

# Debian packages the test suite drives for real: Chromium (browser tests), redis-server
# (shared rate limits), wrk (benchmark), curl and jq (the README's shell examples). Installed only when missing.
system-deps:
	@missing=""; \
	for pair in chromium:/usr/bin/chromium redis-server:/usr/bin/redis-server wrk:/usr/bin/wrk curl:/usr/bin/curl jq:/usr/bin/jq; do \
	  pkg=$${pair%%:*}; path=$${pair#*:}; [ -x "$$path" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Adobe's Web SDK for the browser tests (package.json; no lock file is kept).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --no-package-lock --silent
	touch $(NODE_STAMP)

# Lint and types first (what CI runs is what developers run), then every test.
test: check system-deps $(NODE_STAMP)
	@if [ -d tag_extension/tests ]; then node --test tag_extension/tests/; fi
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/ruff check collector tests bench
	$(BIN)/ruff format --check collector tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
