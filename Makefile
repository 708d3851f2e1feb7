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

LAMBDA_TARGET := aarch64-unknown-linux-gnu
EVENT ?=
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := decode logs_payload database_url log_scanner check_file

.PHONY: help tools test unit lint lint-template build bench demo demo-check invoke deploy events fuzz clean rust-target

help: ## list the targets
	@echo "ecs-auditor: make TARGET"
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

$(TOOLS_STAMP): tools/requirements.txt tools/constraints.txt
	@echo "==> Installing the Python tools into $(VENV) (moto, aws-sam-cli, cfn-lint, cargo-lambda, pre-commit)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r tools/requirements.txt -c tools/constraints.txt
	@touch $@

tools: $(TOOLS_STAMP) ## install the pinned Python tools into .venv

test: lint unit demo-check ## everything CI runs: lint, unit and emulator tests, the demo

unit: $(TOOLS_STAMP) ## cargo test: unit tests and integration tests against moto_server
	@echo "==> cargo test (integration tests start their own moto_server on a free port)"
	cargo test

lint: lint-template ## rustfmt, clippy -D warnings, sam validate --lint, cfn-lint
	@echo "==> cargo fmt --check"
	cargo fmt --check
	@echo "==> cargo clippy -D warnings"
	cargo clippy --all-targets -- -D warnings
	@echo "==> cargo check the fuzz targets (they use the library's public API)"
	cargo check --manifest-path fuzz/Cargo.toml --target-dir target

lint-template: $(TOOLS_STAMP)
	@echo "==> sam validate --lint template.yaml"
	AWS_DEFAULT_REGION=us-east-1 sam validate --lint --template template.yaml
	@echo "==> cfn-lint template.yaml"
	cfn-lint template.yaml

rust-target:
	@command -v rustup >/dev/null || { echo "error: rustup is needed to add the $(LAMBDA_TARGET) target"; exit 1; }
	@rustup target list --installed | grep -qx $(LAMBDA_TARGET) || { \
		echo "==> Adding the Rust target $(LAMBDA_TARGET) (for the arm64 Lambda)"; \
		rustup target add $(LAMBDA_TARGET); }

build: $(TOOLS_STAMP) rust-target ## the arm64 Lambda package: target/lambda/ecs-auditor/bootstrap.zip
	@echo "==> cargo lambda build --release --arm64 (zig cross-compiles; the first build takes minutes)"
	cargo lambda build --release --arm64 --output-format zip
	@ls -l target/lambda/ecs-auditor/bootstrap.zip | awk '{ printf "==> target/lambda/ecs-auditor/bootstrap.zip: %.2f MB\n", $$5 / 1048576 }'

bench: build ## performance figures beside their baselines, in one run (README: Performance)
	@echo "==> cargo bench (release profile; the first build takes several minutes)"
	cargo bench --bench pipeline

demo: $(TOOLS_STAMP) ## the seed's story end to end on a local emulated AWS account
	@echo "==> Building the function (the first build of the AWS SDK takes a few minutes)"
	cargo build --bin ecs-auditor
	$(VENV)/bin/python scripts/demo.py

demo-check: $(TOOLS_STAMP)
	@echo "==> The demo, checked against events/README.md (quietly; make demo shows it)"
	cargo build --bin ecs-auditor
	$(VENV)/bin/python scripts/demo.py --check > target/demo-check.log 2>&1 || { cat target/demo-check.log; exit 1; }
	@grep -A4 "==> Summary" target/demo-check.log

invoke: $(TOOLS_STAMP) ## one event through cargo lambda watch/invoke on the demo account: make invoke EVENT=events/x.json
	@test -n "$(EVENT)" || { echo "error: name the event: make invoke EVENT=events/task-running-seed.json"; exit 2; }
	@test -f "$(EVENT)" || { echo "error: $(EVENT) does not exist (see events/README.md)"; exit 2; }
	cargo build --bin ecs-auditor
	$(VENV)/bin/python scripts/demo.py --event "$(EVENT)"

deploy: $(TOOLS_STAMP) rust-target ## sam build, then sam deploy --guided (needs AWS credentials)
	@echo "==> sam build (cargo lambda, arm64)"
	sam build
	@echo "==> sam deploy --guided (answers are saved in samconfig.toml for the next deploy)"
	sam deploy --guided --capabilities CAPABILITY_IAM

fuzz: ## run each fuzz target for FUZZ_SECONDS (default 60) seconds: make fuzz FUZZ_SECONDS=600
	@command -v cargo-fuzz >/dev/null || { echo "==> Installing cargo-fuzz"; cargo install cargo-fuzz --locked; }
	@echo "==> Seeding the corpora from events/ and fuzz/seeds/"
	@$(PYTHON) scripts/fuzz_seeds.py
	@# cargo-fuzz passes nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
	@for target in $(FUZZ_TARGETS); do \
		echo "==> cargo fuzz run $$target for $(FUZZ_SECONDS) s"; \
		(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$target corpus/$$target \
			-- -max_total_time=$(FUZZ_SECONDS) -max_len=262144 -print_final_stats=1) || exit 1; \
	done

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
