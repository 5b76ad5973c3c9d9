# Two commands for a newcomer: `make run` (whole study on the sample wave) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
WAVE   ?= sample

.PHONY: run test test-fast lab bench browser screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hallperf needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)  ## set up .venv and run the whole study on the sample wave → output/
	$(BIN)/hallperf run --wave $(WAVE)

test: $(STAMP)  ## set up what the tests need and run them all
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## skip the slow (bootstrap, coverage) tests
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP)  ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)  ## install the bench extra and run every benchmark (ratios against a baseline in the same run)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

browser:  ## install headless Chromium and CJK fonts for the browser tests (Debian, root)
	apt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-cjk

screenshots: $(STAMP)  ## screenshots of the sample reports for the README (after make run and make browser) → docs/img/
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) output data/processed
