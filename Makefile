# The two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
UV_VERSION := 0.13.9
PY := .venv/bin/python

.PHONY: run test install system-deps lint typecheck pytest bench clean

run: install ## Start the embedded default (SQLite, in-process worker) on localhost
	.venv/bin/faceless serve

test: install system-deps lint typecheck pytest ## Everything CI runs

# The API process runs optimized (`python -OO -X no_debug_ranges`, ADR 0033): its
# bytecode is compiled here, the libraries' once per sync and ours (an editable install)
# at every install; compileall skips what is up to date.
install: .venv/.synced
	@$(PY) -X no_debug_ranges -m compileall -q -j0 -o 2 src >/dev/null

# uv from PATH if present; otherwise installed with pip and run as a module (a fresh
# pyenv Python does not put a pip-installed script on PATH until a rehash).
.venv/.synced: pyproject.toml uv.lock
	@if command -v uv >/dev/null 2>&1; then uv sync --frozen --quiet --compile-bytecode; \
	else python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"; \
	python3 -m uv sync --frozen --quiet --compile-bytecode; fi
	@$(PY) -X no_debug_ranges -m compileall -q -j0 -o 2 $$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))') >/dev/null
	@touch $@

system-deps:
	./scripts/install-system-deps.sh

lint:
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/lint-imports --no-logo

typecheck:
	.venv/bin/mypy src

pytest: node_modules/.package-lock.json
	.venv/bin/pytest -q -p no:cacheprovider

# The MDN HTTP Observatory engine for the header-grade check. --ignore-scripts: its
# install scripts download data from the internet; the scan driver supplies what it needs.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

# BASELINE=REV (e.g. the commit before a change) adds that revision's server to the data-path
# benchmark, measured in the same run.
bench: install system-deps ## Every benchmark, each printing its comparison table
	$(PY) bench/edge_bench.py
	$(PY) bench/tls_bench.py
	$(PY) bench/nginx_bench.py --two-upstreams
	$(PY) bench/request_bounds_bench.py
	$(PY) bench/crypto_bench.py
	$(PY) bench/encryption_api_bench.py
	$(PY) bench/analyzer_bench.py
	$(PY) bench/data_path_bench.py --extra $(if $(BASELINE),--baseline $(BASELINE))
	$(PY) bench/metrics_bench.py
	$(PY) bench/rss_floor_bench.py

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
