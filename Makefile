# One entry per task. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# aws-sam-cli pins exact boto3 and pydantic versions, so it lives in a venv of its own
# instead of holding the app's dependencies back.
TOOLS ?= .tools
SAM := $(TOOLS)/bin/sam
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-m "not browser"'.
PYTEST_ARGS ?=

.PHONY: run test lint format bench clean

run: $(VENV)/.local
	$(PY) -m gateway.dev

test: $(VENV)/.dev $(TOOLS)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The gateway against the original function, as one table; load comes from wrk.
bench: $(VENV)/.dev
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) tests/benchmarks/bench.py

$(VENV)/.local: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local]'
	touch $@

$(VENV)/.dev: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.local

$(TOOLS)/.installed:
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet 'aws-sam-cli==1.170.0' 'cfn-lint==1.58.0'
	touch $@

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .aws-sam test-artifacts

# --- deploy ---
# Lambda platform the SAM build installs wheels for. sam does not pass the
# function's architecture to make: override both together, as tests/deploy does
# (sam build --parameter-overrides Architecture=x86_64 with LAMBDA_ARCHITECTURE=x86_64).
LAMBDA_ARCHITECTURE ?= arm64
LAMBDA_PYTHON_VERSION ?= 3.12
LAMBDA_PLATFORM_arm64 := aarch64
LAMBDA_PLATFORM_x86_64 := x86_64
LAMBDA_MACHINE := $(LAMBDA_PLATFORM_$(LAMBDA_ARCHITECTURE))
SAM_ENV := AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

.PHONY: build-GatewayFunction sam-build deploy-check

# Called by `sam build` (Metadata: BuildMethod: makefile) with ARTIFACTS_DIR set.
# The project is built as a wheel in a scratch copy, so the work tree stays clean,
# then installed with its dependencies as Linux wheels for the Lambda runtime.
build-GatewayFunction:
	@test -n "$(LAMBDA_MACHINE)" || { echo "LAMBDA_ARCHITECTURE must be arm64 or x86_64" >&2; exit 2; }
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is set by sam build" >&2; exit 2; }
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	cp -R pyproject.toml README.md gateway "$$scratch/"; \
	$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir "$$scratch/dist" "$$scratch"; \
	$(PYTHON) -m pip install --quiet --no-compile --target "$(ARTIFACTS_DIR)" \
		--implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --only-binary=:all: \
		--platform manylinux2014_$(LAMBDA_MACHINE) --platform manylinux_2_28_$(LAMBDA_MACHINE) \
		"$$scratch"/dist/*.whl

# Builds in place: a scratch copy would drag a local .venv along.
sam-build: $(TOOLS)/.installed
	$(SAM_ENV) $(SAM) build --build-in-source --template-file template.yaml

deploy-check: $(VENV)/.dev $(TOOLS)/.installed
	$(SAM_ENV) $(SAM) validate --lint --template-file template.yaml
	$(TOOLS)/bin/cfn-lint template.yaml
	$(VENV)/bin/zizmor --offline .github/workflows
	$(VENV)/bin/hadolint Dockerfile
