# The two README commands: `make demo` and `make test`. Both set everything up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FMNIST := /usr/share/datasets/fashion-mnist

.PHONY: demo test lint setup data clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Fashion-MNIST from Debian's package `dataset-fashion-mnist` (the real dataset available offline).
data:
	@if [ ! -d $(FMNIST) ]; then \
		echo "installing dataset-fashion-mnist"; \
		(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && SUDO=sudo; \
		 $$SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
		 ($$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null)) \
		|| echo "warning: could not install dataset-fashion-mnist; tests that need it will skip"; \
	fi

demo: setup data
	$(BIN)/snb demo

test: setup data
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup tests

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build dist *.egg-info runs/tmp
