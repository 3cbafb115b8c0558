# gradual: two commands set up a fresh machine.
#   make demo   build the CLI and transform the bundled example
#   make test   install the test tools, then format check, clippy, docs and every test
#
# Each area keeps its own targets in mk/<area>.mk and adds its test target to TEST_TARGETS.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
VENV_BIN := $(abspath $(VENV))/bin
export PATH := $(VENV_BIN):$(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
TEST_TARGETS :=

.PHONY: all demo test check fmt-check clippy doc unit venv clean
all: test

include $(sort $(wildcard mk/*.mk))

# The Python tools the suite drives for real: cfn-lint, aws-sam-translator, sam, cargo-lambda.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV_BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

unit: venv
	$(CARGO) test --workspace --locked

check: fmt-check clippy doc

test: venv check unit $(TEST_TARGETS)

clean:
	$(CARGO) clean
	rm -rf $(VENV)

# Builds the CLI and shows what CloudFormation would deploy for the bundled example, then the
# deployment plan for it.
demo:
	$(CARGO) build --release --locked -p gradual-cli
	./target/release/gradual transform examples/orders-service.yaml
	@echo
	@echo "# gradual plan examples/orders-service.yaml"
	./target/release/gradual plan examples/orders-service.yaml

# Speed and memory against the serde_json floor (in process and as a process) and
# aws-sam-translator, cold starts of the Lambda binaries through a local Runtime API, and their
# stripped sizes (cargo lambda, arm64 and x86_64); prints tables and writes bench/results.json.
# Not part of `make test`: figures are not assertions. BENCH_ARGS=--no-sizes skips the cargo
# lambda builds, --quick takes few runs.
BENCH_ARGS ?=
.PHONY: bench
bench: venv
	$(VENV_BIN)/python bench/run.py $(BENCH_ARGS)
