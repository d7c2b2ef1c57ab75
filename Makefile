# The two README commands: `make demo` and `make test`. Both set everything up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FMNIST := /usr/share/datasets/fashion-mnist

.PHONY: demo test lint typecheck setup data clean

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

test: setup data typecheck
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup tests

# mypy (settings: pyproject's [tool.mypy]) sees the package as installed: surrogate_nb.regressors
# is ./regressors and so on (pyproject's package-dir), through a tree of links under build/.
TYPECHECK := build/typecheck
typecheck: setup
	rm -rf $(TYPECHECK)/surrogate_nb && mkdir -p $(TYPECHECK)/surrogate_nb
	for f in surrogate_nb/*; do ln -s "$(CURDIR)/$$f" $(TYPECHECK)/surrogate_nb/; done
	for d in exhaustive regressors evaluation; do ln -s "$(CURDIR)/$$d" $(TYPECHECK)/surrogate_nb/$$d; done
	cd $(TYPECHECK) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p surrogate_nb

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build dist *.egg-info runs/tmp
