# The two commands a newcomer needs: `make build` and `make test`. Both install what they need
# into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: build test fuzz bench pipeline clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test]'
	touch $@

build: $(STAMP)
	$(BIN)/streamconf validate
	$(BIN)/streamconf compile --out build

test: $(STAMP)
	$(BIN)/pytest

# Fuzz for STREAMCONF_FUZZ_SECONDS (default 600): random YAML and random repository trees.
fuzz: $(STAMP)
	STREAMCONF_FUZZ_SECONDS=$${STREAMCONF_FUZZ_SECONDS:-600} $(BIN)/pytest tests/test_fuzz.py -k time_budget -p no:cacheprovider

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
