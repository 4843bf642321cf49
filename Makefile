# TapFlow. The two set-up commands are `make up` and `make test`; each installs what it needs.
SHELL := /bin/bash
NPM_STAMP := node_modules/.tapflow-installed
GEN := proto/gen/tapflow.js
WEB := dashboards/web/dist/app.js
SITE := website/dist/app.js
PROTOS := $(shell find proto/tapflow -name '*.proto')

.PHONY: up test bench lint typecheck clean install gen peers help

help: ## list targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed -E 's/:.*## /\t/'

up: install ## run the whole stack embedded (broker, gateway, chDB, 2,000 taps); Ctrl-C flushes and stops
	node --max-semi-space-size=64 cli/bin/tapflow.js up $(ARGS)

test: install peers ## run every test: the vitest projects unit and integration (interop with real peers included)
	npx vitest run

bench: install ## run the benchmarks and rewrite BENCHMARKS.md
	npx tsx bench/run.ts

lint: install ## type-check, lint, and check the architecture (no import cycles, no imports past an index.ts)
	npx tsc -p tsconfig.json
	npx tsc -p website/web/tsconfig.json
	npx eslint .
	npx depcruise --config .dependency-cruiser.cjs .

typecheck: install
	npx tsc -p tsconfig.json

install: $(NPM_STAMP) $(GEN) $(WEB) $(SITE) ## install npm packages, generate protobuf code, build the dashboard UI and the website

$(NPM_STAMP): package.json package-lock.json
	@# npm install, not npm ci: chDB lists its engine for other platforms (@chdb/lib-darwin-*, -linux-arm64-gnu)
	@# as optional packages the registry reachable here does not serve, so the lock file cannot record them and
	@# `npm ci` refuses it as out of sync. npm install keeps the locked versions and leaves the lock unchanged
	@# (a fresh clone stays clean after `make install`).
	npm install --no-audit --no-fund
	@touch $@

# The dashboard UI, bundled by esbuild into static assets the stack serves (no CDN).
$(WEB): $(wildcard dashboards/web/src/*.ts) dashboards/web/index.html dashboards/web/style.css dashboards/web/build.mjs $(NPM_STAMP)
	npm run --silent build:web

# The product website (React + posthog-js), bundled the same way into website/dist.
$(SITE): $(shell find website/web -name '*.ts*' -o -name '*.css' -o -name '*.html') website/api.ts website/web/build.mjs $(NPM_STAMP)
	npm run --silent build:site

gen: $(GEN)
$(GEN): $(PROTOS) proto/build.mjs $(NPM_STAMP)
	node proto/build.mjs

peers: ## install test peers (mosquitto) from Debian when running as root
	@bash scripts/install-peers.sh

clean: ## remove generated code, data and reports (keeps node_modules)
	rm -rf proto/gen data reports
