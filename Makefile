# ecs-auditor. `make help` lists the targets; every target installs what it needs itself
# (the Python tools into .venv, the Rust target for arm64) and says what it is doing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
TOOLS_STAMP := $(VENV)/.tools-installed

export SAM_CLI_TELEMETRY := 0
export MOTO_SERVER := $(CURDIR)/$(VENV)/bin/moto_server
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help tools test unit lint events clean

help: ## list the targets
	@echo "ecs-auditor: make TARGET"
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

$(TOOLS_STAMP): tools/requirements.txt tools/constraints.txt
	@echo "==> Installing the Python tools into $(VENV) (moto, aws-sam-cli, cfn-lint, cargo-lambda)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r tools/requirements.txt -c tools/constraints.txt
	@touch $@

tools: $(TOOLS_STAMP) ## install the pinned Python tools into .venv

test: lint unit ## everything CI runs: lint, unit and emulator integration tests

unit: $(TOOLS_STAMP) ## cargo test: unit tests and integration tests against moto_server
	@echo "==> cargo test (integration tests start their own moto_server on a free port)"
	cargo test

lint: $(TOOLS_STAMP) ## rustfmt, clippy -D warnings
	@echo "==> cargo fmt --check"
	cargo fmt --check
	@echo "==> cargo clippy -D warnings"
	cargo clippy --all-targets -- -D warnings

events: ## regenerate events/logs-*.json from the readable events/logs/*.log
	@echo "==> Regenerating CloudWatch Logs sample events"
	@for source in events/logs/*.log; do \
		name=$$(basename "$$source" .log); \
		$(PYTHON) scripts/log_event.py "$$source" > "events/logs-$$name.json"; \
		echo "    events/logs-$$name.json"; \
	done

clean: ## remove build output and the venv
	@echo "==> Removing target/, .aws-sam/ and $(VENV)"
	cargo clean
	rm -rf .aws-sam $(VENV)
