# The two commands of the README: `make run` and `make test`.
# Both install what is missing first: uv (through pip if absent), then the workspace.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install uv docs i18n-check audit benchmarks clean

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
	  $(PYTHON) -m pip install --user --quiet uv || \
	  $(PYTHON) -m pip install --user --quiet --break-system-packages uv || \
	  { echo "Could not install uv: install pip first (sudo apt-get install python3-pip)"; exit 1; }

install: uv
	$(UV) sync --frozen --all-packages

## run: the server on http://$(HOST):$(PORT) with the SQLite store in ./data
run: install
	$(UV) run --frozen rightsaware serve --host $(HOST) --port $(PORT)

## test: every test (PostgreSQL, browser and Prism ones included), the catalogs and the docs
test: install
	$(UV) run --frozen pytest -n auto --dist loadfile -p no:cacheprovider
	$(UV) run --frozen rightsaware i18n check
	$(UV) run --frozen sphinx-build -W --keep-going -q -b html docs docs/_build/html

docs: install
	$(UV) run --frozen sphinx-build -W --keep-going -b html docs docs/_build/html

i18n-check: install
	$(UV) run --frozen rightsaware i18n check

## audit: known vulnerabilities in the locked dependencies (pip-audit; needs PyPI's JSON API or OSV)
audit: install
	$(UV) export --frozen --no-emit-workspace --no-hashes --format requirements-txt > .audit-requirements.txt
	$(UV) run --frozen pip-audit -r .audit-requirements.txt --no-deps --disable-pip --strict --progress-spinner off; \
	  status=$$?; rm -f .audit-requirements.txt; exit $$status

benchmarks: install
	for script in benchmarks/*.py; do $(UV) run --frozen python $$script || exit 1; done

clean:
	rm -rf docs/_build .pytest_cache
