# remote-services: one Makefile for developers, CI and `sam build` (BuildMethod: makefile).
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV ?= $(ROOT)/.venv
PY := $(VENV)/bin/python
SAM := $(ROOT)/.venv-sam/bin/sam
CHECKOV := $(ROOT)/.venv-checkov/bin/checkov
# checkov offline: no guideline mapping or platform download (BC_SKIP_MAPPING, --skip-download), no
# update check against PyPI, and a template it cannot parse fails the run instead of passing as empty.
CHECKOV_ENV := BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE CKV_PARSE_ERROR_FAIL=TRUE
export PYTHONPATH := $(ROOT)/src:$(ROOT)
# NATIVE=1: Nuitka-compiled bootstrap (default). NATIVE=0: same handlers under CPython (dev loop).
NATIVE ?= 1
export NATIVE

.PHONY: venv test lint typecheck checkov build check-glibc upload-size bench-coldstart run demo invoke bench-local scenarios dashboard loadtest-deps loadtest-local loadtest cost bluegreen-demo shift deploy deploy-colour destroy clean

venv: $(VENV)/.installed $(ROOT)/.venv-sam/.installed $(ROOT)/.venv-checkov/.installed
$(VENV)/.installed: requirements-dev.txt
	@test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@
$(ROOT)/.venv-sam/.installed: requirements-sam.txt
	@test -x $(ROOT)/.venv-sam/bin/python || python3 -m venv $(ROOT)/.venv-sam
	$(ROOT)/.venv-sam/bin/python -m pip install -q -r requirements-sam.txt
	@touch $@
$(ROOT)/.venv-checkov/.installed: requirements-checkov.txt
	@test -x $(ROOT)/.venv-checkov/bin/python || python3 -m venv $(ROOT)/.venv-checkov
	$(ROOT)/.venv-checkov/bin/python -m pip install -q -r requirements-checkov.txt
	@touch $@

lint: venv
	$(VENV)/bin/ruff check .
	cd $(ROOT) && $(VENV)/bin/lint-imports --no-logo  # import contracts: pyproject.toml [tool.importlinter]
typecheck: venv
	$(VENV)/bin/mypy src build functions localcloud simulator bench observability loadtest bluegreen tests docs
# checkov over every stack's template (the cloudformation framework also reads the AWS::Serverless::*
# resources); any failed check fails. A suppression is a Metadata.checkov.skip with its reason.
checkov: $(ROOT)/.venv-checkov/.installed
	cd $(ROOT) && $(CHECKOV_ENV) $(CHECKOV) --file template.yaml --file stacks/shared.yaml --framework cloudformation --skip-download --quiet --compact

# The whole test suite, as CI runs it (README: "run the tests").
test: venv loadtest-deps
	$(ROOT)/.ci/test

# `sam build` compiles every function; then the glibc check.
build: venv
	$(SAM) build
	$(MAKE) check-glibc

# Called by `sam build` (through layers/native-runtime/Makefile) for the layer: the bootstrap, its
# libraries (NATIVE=1) or the Python sources (NATIVE=0), compiled once per source tree.
build-NativeRuntimeLayer:
	$(PY) $(ROOT)/build/native/package.py --layer --logical-id NativeRuntimeLayer --artifacts "$(ARTIFACTS_DIR)"

# Called by `sam build` for every function: one shared rule, a small manifest per function.
build-%:
	$(PY) $(ROOT)/build/native/package.py --logical-id $* --artifacts "$(ARTIFACTS_DIR)"

# Every ELF of the layer against glibc 2.34; a function artifact must carry none.
check-glibc:
	$(PY) $(ROOT)/build/native/check_glibc.py --max 2.34 $(ROOT)/.aws-sam/build

# What a deployment uploads: the layer + nine small functions, against nine copies of the binary.
upload-size:
	$(PY) $(ROOT)/build/native/upload_size.py $(ROOT)/.aws-sam/build

bench-coldstart: venv
	$(PY) $(ROOT)/bench/coldstart.py $(ARGS)

# The main job: the local cloud with the demo, serving until Ctrl-C.
run: venv
	$(PY) -m localcloud run $(ARGS)
# The same demo, then exit (0 when every expected outcome happened).
demo: venv
	$(PY) -m localcloud demo $(ARGS)
# Docker-free `sam local invoke`: make invoke FN=ValidateFunction EVENT=events/validate/horn-blow.json
invoke: venv
	$(PY) -m localcloud invoke $(FN) $(EVENT)
# The scenario suite (simulator/scenarios) against the local cloud (a running one, or one it starts);
# ARGS="--matrix" adds the generated matrix; reports/scenarios.{json,xml}. docs/test-harness.md
scenarios: venv
	$(PY) -m simulator run $(ARGS)
# Artillery for the load test (loadtest/package.json, pinned by package-lock.json; no browser download)
loadtest-deps: $(ROOT)/loadtest/node_modules/.installed
$(ROOT)/loadtest/node_modules/.installed: $(ROOT)/loadtest/package.json $(ROOT)/loadtest/package-lock.json
	cd $(ROOT)/loadtest && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@
# The seed's load profile against the local cloud, scaled to what it carries (docs/loadtest.md)
loadtest-local: venv loadtest-deps
	$(PY) -m loadtest $(ARGS)
# ... and against a deployed stack (DeployTestHarness=true), unscaled: make loadtest STACK=rs-dev-alice
loadtest: venv loadtest-deps
	@test -n "$(STACK)" || { echo "make loadtest STACK=<a deployed stack> [REGION=...] [TOKEN_CMD='./token.sh {owner}']"; exit 2; }
	$(PY) -m loadtest --stack $(STACK) $(if $(REGION),--region $(REGION)) $(if $(TOKEN_CMD),--token-cmd "$(TOKEN_CMD)") $(ARGS)
# The cost of 1 M commands from counted calls on the local cloud: reports/cost.json + README's table
cost: venv
	$(PY) $(ROOT)/bench/cost.py $(ARGS)
# The template's dashboard from the last local run's metrics: reports/dashboard.png (+ .json)
dashboard: venv
	$(PY) -m localcloud dashboard $(ARGS)
bench-local: venv
	$(PY) $(ROOT)/bench/local.py $(ARGS)

# ---- blue/green and per-developer stacks (docs/bluegreen.md)
# Both colours in one local cloud: a gated canary shift under customer traffic, a broken green rolled
# back; exit 0 only when every check passed (reports/bluegreen-demo.json).
bluegreen-demo: venv
	$(PY) -m localcloud bluegreen-demo $(ARGS)
# The gated canary shift: make shift COLOUR=green STEPS=10,50,100 [DEV=alice REGION=... TOKEN_CMD=...]
# (without DEV: the running local cloud, `python -m localcloud serve --colours blue,green`)
COLOUR ?=
STEPS ?= 10,50,100
shift: venv
	@test -n "$(COLOUR)" || { echo "make shift COLOUR=blue|green [STEPS=10,50,100] [DEV=<environment> REGION=...]"; exit 2; }
	$(PY) -m bluegreen shift --colour $(COLOUR) --steps $(STEPS) $(if $(DEV),--env $(DEV)) $(if $(REGION),--region $(REGION)) $(if $(TOKEN_CMD),--token-cmd "$(TOKEN_CMD)") $(ARGS)
# A developer's full copy: make deploy DEV=alice [REGION=eu-central-1]; make destroy DEV=alice
DEV ?=
REGION ?= eu-central-1
NEED_DEV = @test -n "$(DEV)" || { echo "name the environment: DEV=<your name> (a-z, 0-9, -)"; exit 2; }
deploy: build
	$(NEED_DEV)
	$(SAM) deploy --config-env shared --stack-name $(DEV)-shared --region $(REGION) --parameter-overrides EnvironmentName=$(DEV)
	$(MAKE) --no-print-directory deploy-colour DEV=$(DEV) COLOUR=blue
	$(MAKE) --no-print-directory deploy-colour DEV=$(DEV) COLOUR=green
	$(PY) -m bluegreen sync --env $(DEV) --region $(REGION)
# One colour only (a new version on the idle colour, before `make shift`)
deploy-colour: build
	$(NEED_DEV)
	@test "$(COLOUR)" = blue -o "$(COLOUR)" = green || { echo "COLOUR=blue|green"; exit 2; }
	$(SAM) deploy --config-env colour --stack-name $(DEV)-$(COLOUR) --region $(REGION) --parameter-overrides EnvironmentName=$(DEV) Colour=$(COLOUR) DeployTestHarness=true
destroy:
	$(NEED_DEV)
	$(SAM) delete --config-env colour --stack-name $(DEV)-green --region $(REGION)
	$(SAM) delete --config-env colour --stack-name $(DEV)-blue --region $(REGION)
	$(SAM) delete --config-env shared --stack-name $(DEV)-shared --region $(REGION)

clean:
	rm -rf .aws-sam .cache/native
	git -C $(ROOT) clean -qfX reports/  # the ignored (regenerated) pictures; tracked ones stay
