# trailwatch developer entry points. `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

VENV := .venv
STAMP := $(VENV)/.stamp
PYTHON ?= python3
# cargo finds `cargo lambda` (and tests find moto_server) through the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help build test lint fmt demo bench fixtures clean-venv

help: ## List the targets
	@echo "trailwatch: Sigma rules over CloudTrail deliveries, alerting through SNS"
	@echo
	@grep -hE '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

.venv: $(STAMP) ## Create .venv with moto_server, cargo-lambda and cfn-lint (requirements-dev.txt)

$(STAMP): requirements-dev.txt
	@echo "==> creating $(VENV) from requirements-dev.txt (first time: about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

build: ## cargo build (debug): the trailwatch CLI and trailwatch-lambda
	cargo build

lint: $(STAMP) ## rustfmt check, clippy with warnings denied, cfn-lint on template.yaml
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cfn-lint template.yaml

fmt: ## Format the Rust code in place
	cargo fmt --all

test: lint ## lint, then every cargo test (moto-backed e2e included), then the bundled rules' own tests
	cargo test --all-targets
	cargo test --doc
	cargo run --quiet --bin trailwatch -- rules test rules/

demo: $(STAMP) ## Run the Lambda locally against moto: S3 delivery in, SNS alert out
	scripts/demo.sh

bench: $(STAMP) ## Benchmarks: throughput vs zcat and a Python reference, rule scaling, RSS, cold start (bench/RESULTS.md)
	bench/run.sh

fixtures: ## Regenerate events/ from scripts/make-fixtures.py
	$(PYTHON) scripts/make-fixtures.py

clean-venv: ## Remove .venv
	rm -rf $(VENV)
