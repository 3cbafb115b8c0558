# The macro Lambda and its SAM deployment (template.yaml).
#   make build         arm64 bootstraps of the Lambda binaries (target/lambda/<bin>/bootstrap)
#   make deploy        sam build && sam deploy --guided: installs gradual in an account
#   make package       sam build && sam package: a packaged template for CloudFormation/StackSets
#   make test-macro    lint template.yaml, then the macro through the local Lambda emulator
#   make bench-macro   warm invoke latency through the emulator, 200- and 160-function templates

# Lambda binaries that `make build` produces; other areas append theirs.
LAMBDA_BINS += gradual-macro
# `make package` uploads to this bucket; empty lets sam create and reuse a managed one.
S3_BUCKET ?=
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1}

.PHONY: build deploy package test-macro lint-template bench-macro
TEST_TARGETS += test-macro

# cargo-lambda cross-compiles with zig but needs the Rust standard library for aarch64. Where
# the toolchain server is unreachable that target cannot be added, so fall back to x86_64
# loudly rather than fail the build.
build: venv
	@if rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
	    || rustup target add aarch64-unknown-linux-gnu; then \
	  echo "cargo lambda build --release --arm64 $(addprefix --bin ,$(LAMBDA_BINS))"; \
	  cargo lambda build --release --arm64 $(addprefix --bin ,$(LAMBDA_BINS)); \
	else \
	  echo "WARNING: could not add the aarch64-unknown-linux-gnu Rust target (toolchain server unreachable?)." >&2; \
	  echo "WARNING: building x86_64 instead; template.yaml deploys arm64, so do not deploy this build as is." >&2; \
	  cargo lambda build --release --x86-64 $(addprefix --bin ,$(LAMBDA_BINS)); \
	fi

deploy: venv
	$(SAM_ENV) sam build
	$(SAM_ENV) sam deploy --guided --capabilities CAPABILITY_IAM

package: venv
	$(SAM_ENV) sam build
	$(SAM_ENV) sam package --output-template-file .aws-sam/packaged.yaml \
	  $(if $(S3_BUCKET),--s3-bucket $(S3_BUCKET),--resolve-s3)
	@echo "packaged template: .aws-sam/packaged.yaml"

lint-template: venv
	$(SAM_ENV) sam validate --lint --template template.yaml
	cfn-lint template.yaml

test-macro: venv lint-template
	python3 crates/macro/tests/emulator.py

# 200 functions go over the resource limit (a failure after the full transform); 160 is the
# largest round count whose output is returned in full.
bench-macro: venv
	python3 crates/macro/tests/emulator.py --bench 50
	python3 crates/macro/tests/emulator.py --bench 50 --release
	python3 crates/macro/tests/emulator.py --bench 50 --release --functions 160
