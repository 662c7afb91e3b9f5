# trailwatch developer entry points. `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

VENV := .venv
STAMP := $(VENV)/.stamp
PYTHON ?= python3
# cargo finds `cargo lambda` (and tests find moto_server, make finds sam) through the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

# Deployment knobs: `make logs STACK=name`, `make invoke-local EVENT=events/sqs-s3.json`,
# `make deploy-function ROLE_ARN=... ALERT_TOPIC_ARN=...`.
# The stack name comes from samconfig.toml (written by the first `sam deploy --guided`).
STACK ?= $(shell sed -n 's/^stack_name *= *"\(.*\)"/\1/p' samconfig.toml 2>/dev/null | head -n1)
STACK := $(or $(STACK),trailwatch)
EVENT ?= events/s3-put.json
FUNCTION_NAME ?= trailwatch
ROLE_ARN ?=
ALERT_TOPIC_ARN ?=
RULES_S3_URI ?=
LAMBDA_ARCH ?= --arm64
# sam validate --lint resolves the region even offline.
SAM_REGION ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),us-east-1)

.PHONY: help build build-debug test lint fmt demo fixtures clean-venv deploy deploy-function \
        invoke-local rules-validate rules-lint rules-schema catalog rules-test rules-table logs bench fuzz

help: ## List the targets
	@echo "trailwatch: Sigma rules over CloudTrail deliveries, alerting through SNS"
	@echo
	@grep -hE '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

.venv: $(STAMP) ## Create .venv: moto_server, cargo-lambda, cfn-lint, aws-sam-cli (requirements-dev.txt)

$(STAMP): requirements-dev.txt
	@echo "==> creating $(VENV) from requirements-dev.txt (first time: about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

build: $(STAMP) ## Release build of the Lambda for arm64 (cargo lambda build): target/lambda/trailwatch-lambda/bootstrap
	cargo lambda build --release $(LAMBDA_ARCH) --bin trailwatch-lambda

build-debug: ## cargo build (debug): the trailwatch CLI and trailwatch-lambda
	cargo build

lint: $(STAMP) ## rustfmt check, clippy with warnings denied, no module import cycles, cfn-lint and sam validate --lint on template.yaml
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PYTHON) scripts/module-cycles.py src crates/trailwatch-rules/src crates/trailwatch-cli/src
	cfn-lint template.yaml deploy/realtime-forwarder.yaml
	AWS_DEFAULT_REGION=$(SAM_REGION) sam validate --lint --template template.yaml

fmt: ## Format the Rust code in place
	cargo fmt --all

test: lint ## lint (cfn-lint, sam validate), every cargo test (moto e2e, tests/template.rs), the rules' own tests
	cargo test --workspace --all-targets
	cargo test --workspace --doc
	cargo run --quiet --bin trailwatch -- rules test rules/ docs/examples/
	cargo run --quiet --bin trailwatch -- rules lint rules/ docs/examples/

demo: $(STAMP) ## Run the Lambda locally against moto: S3 delivery in, SNS alert out
	scripts/demo.sh

bench: $(STAMP) ## Benchmarks: throughput vs zcat and a Python reference, rule scaling, RSS, cold start (bench/RESULTS.md)
	bench/run.sh

invoke-local: $(STAMP) ## Run the Lambda locally against moto with EVENT=events/<file>.json (default s3-put.json)
	@test -f "$(EVENT)" || { echo "no such event file: $(EVENT) (see events/README.md)" >&2; exit 2; }
	EVENT="$(EVENT)" scripts/demo.sh

deploy: $(STAMP) ## sam build, then sam deploy (--guided the first time, until samconfig.toml exists)
	sam build
	@if [[ -f samconfig.toml ]]; then \
	  echo "==> sam deploy (settings from samconfig.toml)"; sam deploy; \
	else \
	  echo "==> first deploy: sam deploy --guided (answers are saved to samconfig.toml)"; \
	  sam deploy --guided; \
	fi

deploy-function: build ## cargo lambda deploy into an existing role and topic: ROLE_ARN=... ALERT_TOPIC_ARN=...
	@[[ -n "$(ROLE_ARN)" && -n "$(ALERT_TOPIC_ARN)" ]] || \
	  { echo "usage: make deploy-function ROLE_ARN=arn:aws:iam::...:role/... ALERT_TOPIC_ARN=arn:aws:sns:... [FUNCTION_NAME=trailwatch] [RULES_S3_URI=s3://bucket/prefix/]" >&2; exit 2; }
	cargo lambda deploy --binary-name trailwatch-lambda \
	  --iam-role "$(ROLE_ARN)" --memory 512 --timeout 300 --log-retention 30 \
	  --env-var ALERT_TOPIC_ARN="$(ALERT_TOPIC_ARN)" \
	  --env-var TRAIL_KEY_PREFIX=AWSLogs/ \
	  --env-var RUST_LOG=info \
	  $(if $(RULES_S3_URI),--env-var RULES_S3_URI="$(RULES_S3_URI)") \
	  "$(FUNCTION_NAME)"

logs: $(STAMP) ## Tail the deployed function's logs (sam logs --tail; STACK=name, default from samconfig.toml)
	sam logs --stack-name "$(STACK)" --name TrailwatchFunction --tail

rules-validate: ## Check every rule file in rules/ (file:line:col errors)
	cargo run --quiet --bin trailwatch -- rules validate rules/

rules-lint: ## Lint rules/: event names CloudTrail never writes, misspelt fields, style (rules lint)
	cargo run --quiet --bin trailwatch -- rules lint rules/

rules-schema: $(STAMP) ## Validate rules/ and docs/examples/ against schema/trailwatch-rule.schema.json
	$(VENV)/bin/python scripts/check-rule-schema.py rules docs/examples

catalog: $(STAMP) ## Regenerate catalog/cloudtrail-events.gz from botocore's service models
	$(VENV)/bin/python scripts/cloudtrail-catalog.py

rules-test: ## Run the tests: cases written in the rules in rules/
	cargo run --quiet --bin trailwatch -- rules test rules/

rules-table: ## Regenerate the rule table in rules/README.md from the rules
	cargo run --quiet --bin trailwatch -- rules list --format markdown rules/ > rules/.table.md
	awk 'FNR == NR { table = table $$0 "\n"; next } \
	     /<!-- BEGIN RULE TABLE/ { print; printf "%s", table; skip = 1; next } \
	     /<!-- END RULE TABLE/ { skip = 0 } !skip' rules/.table.md rules/README.md > rules/README.md.new
	mv rules/README.md.new rules/README.md
	rm -f rules/.table.md

fuzz: ## Run every cargo-fuzz target for FUZZ_SECONDS each (default 60), FUZZ_PARALLEL at a time (needs nightly and cargo-fuzz)
	scripts/fuzz.sh

fixtures: ## Regenerate events/ from scripts/make-fixtures.py
	$(PYTHON) scripts/make-fixtures.py

clean-venv: ## Remove .venv
	rm -rf $(VENV)
