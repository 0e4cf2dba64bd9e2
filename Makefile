# The two commands a newcomer needs: `make build` and `make test`. Both install what they need
# into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

GITLAB_CI_LOCAL := .tools/node_modules/.bin/gitlab-ci-local
AXE := .tools/axe/node_modules/axe-core/axe.min.js

.PHONY: build test test-packages screenshots fuzz bench pipeline pipeline-scenarios clean

# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set, every run would
# otherwise compile the package from source.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test,serve,site,datahub]'
	$(BIN)/python -m compileall -q src
	touch $@

build: $(STAMP)
	$(BIN)/streamconf validate
	$(BIN)/streamconf compile --out build

test: $(STAMP) test-packages $(AXE)
	$(BIN)/pytest

# The Debian packages the tests use, installed here when missing (as root, or with sudo): php-cli
# for the differential tests against PHP itself; Chromium with its chromedriver for the catalog's
# browser test, which also runs axe-core (from npm) in the pages.
test-packages:
	@missing=""; \
	command -v php >/dev/null || missing="$$missing php-cli"; \
	command -v chromium >/dev/null || missing="$$missing chromium fonts-dejavu-core"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		as_root=""; [ "$$(id -u)" = 0 ] || as_root="sudo -n"; \
		$$as_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing" >/dev/null; \
	fi

$(AXE): | test-packages
	npm install --silent --no-save --no-package-lock --prefix .tools/axe axe-core@4.14.1

# Screenshots of the catalog for the README (docs/catalog-*.png).
screenshots: $(STAMP) test-packages
	$(BIN)/python tests/browser.py docs

# Fuzz for STREAMCONF_FUZZ_SECONDS (default 600): random YAML and random repository trees.
fuzz: $(STAMP)
	STREAMCONF_FUZZ_SECONDS=$${STREAMCONF_FUZZ_SECONDS:-600} $(BIN)/pytest tests/test_fuzz.py -k time_budget -p no:cacheprovider

# Time the installed program on synthetic repositories, and load `serve` beside nginx (wrk and
# nginx from Debian, installed here when missing); writes docs/benchmarks.md.
bench: $(STAMP)
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null; }
	$(PIP) starlette  # only to measure what a router would cost
	$(BIN)/python -m compileall -q src
	$(BIN)/python benchmarks/run.py

# Run .gitlab-ci.yml locally, jobs in this shell. Needs node/npm and rsync (apt-get install rsync).
$(GITLAB_CI_LOCAL):
	npm install --silent --no-save --no-package-lock --prefix .tools gitlab-ci-local@4.60.1

pipeline: $(STAMP) $(GITLAB_CI_LOCAL)
	@command -v rsync >/dev/null || { echo "gitlab-ci-local needs rsync: apt-get install rsync"; exit 1; }
	$(GITLAB_CI_LOCAL) --force-shell-executor --shell-isolation --no-artifacts-to-source $(PIPELINE_ARGS)

# A merge request with a breaking change must fail the pipeline's diff job.
pipeline-scenarios: $(STAMP) $(GITLAB_CI_LOCAL)
	GITLAB_CI_LOCAL=$(abspath $(GITLAB_CI_LOCAL)) tests/pipeline/merge-request.sh

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis .tools .gitlab-ci-local published
