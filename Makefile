# The commands people type. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7860
CORPUS ?= seeds
STORE ?= .qa/store
# Offline: nothing may be fetched from a model hub, here or in CI.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint unit install install-test index clean chromium screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

index: install
	$(BIN)/qa index --corpus $(CORPUS) --store $(STORE)

run: index
	$(BIN)/qa serve --store $(STORE) --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint chromium
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium; install it when missing (they fail without it in CI).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests (apt-get)..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver \
		|| echo "could not install chromium: browser tests skip here (and fail in CI)"; \
	fi

# Refresh the README's screenshot from the browser test over the real seeds.
screenshot: install-test chromium
	$(BIN)/python -m pytest -q tests/test_browser.py -k seeds
	mkdir -p docs && cp test-output/chat.png docs/chat.png

unit: install-test
	$(BIN)/python -m pytest -m "not integration and not browser"

clean:
	rm -rf .qa .pytest_cache .mypy_cache .ruff_cache test-output
