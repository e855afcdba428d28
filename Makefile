# Two entry points do all the set-up on a fresh machine with Python 3.11+ and pip:
#   make grade-examples   grade the bundled example submissions, print the per-part table
#   make test             the whole test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: grade-examples test build

# The kit with its optional extras: `cluster` (Dask, for grade-batch --scheduler) and `framework`
# (the PyTorch CPU build, for Part 5); the student package itself needs NumPy alone.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[cluster,framework]'
	touch $(STAMP)

grade-examples: $(STAMP)
	$(BIN)/python -m autograder grade-examples --out out/examples

test: $(STAMP)
	$(BIN)/python -m autograder build --check
	$(BIN)/python -m pytest tests --impl solutions -q
	$(BIN)/python -m pytest autograder/tests -q

build: $(STAMP)
	$(BIN)/python -m autograder build
	$(BIN)/python -m autograder catalog-export
