# Set-up and everyday commands. Every target installs what it needs and is safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-swe tesseract-ocr-eng dovecot-imapd postgresql chromium poppler-utils fonts-liberation fonts-dejavu-core fonts-dkg-handwriting fonts-breip
export OMP_THREAD_LIMIT ?= 1

.PHONY: help system venv demo test lint typecheck unit bench clean

help:
	@echo "make demo   - install what is missing, then run the demo on embedded defaults"
	@echo "make test   - install what is missing, then lint, type-check and run all tests"
	@echo "make bench  - benchmarks (accuracy and speed against a baseline)"

# Debian packages: installed only when one is missing (needs root, as on a fresh machine).
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: venv
	$(BIN)/mypy

test: system venv lint typecheck
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

demo: system venv
	$(BIN)/python scripts/demo.py

bench: system venv
	$(BIN)/python -m kopplingar.bench $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
