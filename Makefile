# The few targets CI and people call unchanged. `make serve` and `make test` work on a
# fresh machine with only Python 3.11 and the package registries.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install node-peers bench-peers browser engines serve test bench schema lint graphiql-assets

install: $(STAMP) graphiql-assets

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# GraphiQL's pinned browser files (checked against npm's sha512 integrity) in
# gateway/graphiql_static, so the page works without internet; where the npm registry
# cannot be reached the page loads them from the CDN instead, and says so here.
GRAPHIQL_STAMP := gateway/graphiql_static/graphiql/graphiql.min.js

graphiql-assets: $(GRAPHIQL_STAMP)

$(GRAPHIQL_STAMP): | $(STAMP)
	-$(BIN)/fingraph graphiql-assets

# Real protocol peers for the tests (graphql-http audit, graphql-ws, Apollo), pinned
# by tests/node/package-lock.json.
NODE_STAMP := tests/node/node_modules/.installed

node-peers: $(NODE_STAMP)

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/node && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the Node peer tests will be skipped"; fi

# Headless Chromium for the GraphiQL browser test (Debian's package; root + apt-get
# only). Where it cannot be installed the test is skipped and says why.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: the browser test will be skipped"; \
	fi

# The engines the scale-out tests start on free ports (tests/scale): Debian's redis-server
# and pgbouncer (root + apt-get only). Where they cannot be installed those tests are
# skipped and say why.
engines:
	@if { ! command -v redis-server >/dev/null 2>&1 || [ ! -x /usr/sbin/pgbouncer ]; } \
		&& command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server pgbouncer >/dev/null) \
		|| echo "could not install redis-server and pgbouncer: the scale-out tests will be skipped"; \
	fi

# Demo mode: demo tokens printed, GraphiQL prefills one for browsers on this machine.
serve: install
	@echo "make serve runs in demo mode (fingraph serve --demo); production runs plain fingraph serve"
	$(BIN)/fingraph serve --demo

test: install node-peers bench-peers browser engines
	$(BIN)/python -m pytest

# The PostGraphile peers the bench compares with (5 and 4, and the Node 24 binary 5 needs),
# from bench/node/package-lock.json (npm ci, again only when the lockfile changed); without
# npm the bench skips them and says so.
bench-peers:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: the PostGraphile peers will be skipped"; \
	elif [ ! bench/node/node_modules/.installed -nt bench/node/package-lock.json ]; then \
		(cd bench/node && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed) \
		|| echo "npm ci failed in bench/node: the PostGraphile peers will be skipped"; fi

bench: install bench-peers
	$(BIN)/python -m bench $(BENCH_ARGS)

schema: install
	$(BIN)/fingraph schema export

# import-linter holds the boundaries of ADR 018 (contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy gateway schema services tests bench
	$(BIN)/lint-imports
