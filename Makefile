# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: demo test system-deps services install install-dev lint

system-deps:
	bash scripts/system-deps.sh

services:
	bash scripts/services.sh

install: system-deps
	$(PIP) install -q -e .

install-dev: system-deps
	$(PIP) install -q -e '.[dev]'

demo: install
	contentloop demo

test: install-dev services
	$(PYTHON) -m pytest -q

lint:
	ruff check src tests bench
	mypy src/contentloop
