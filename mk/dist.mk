# Release binaries of the `gradual` CLI.
#   make dist   dist/gradual-<version>-linux-x86_64 and -linux-arm64, and dist/SHA256SUMS
#
# cargo-lambda (from the .venv) cross-compiles with zig, linking against glibc 2.17 so the
# binaries run on any Linux of the last decade; built as an "extension" so the binary keeps its
# name instead of becoming `bootstrap`. Each architecture needs the Rust standard library for
# its target; where the toolchain server is unreachable a missing target cannot be added, and
# `make dist` then builds the others and fails naming the one it could not build.

DIST_DIR ?= dist
DIST_VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
# Rust target triple and the architecture name in the file name, for each binary.
DIST_ARCHES := x86_64-unknown-linux-gnu:x86_64 aarch64-unknown-linux-gnu:arm64
DIST_GLIBC := 2.17

.PHONY: dist
dist: venv
	@rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	@missing=""; \
	for pair in $(DIST_ARCHES); do \
	  triple=$${pair%%:*}; arch=$${pair##*:}; \
	  if ! rustup target list --installed 2>/dev/null | grep -qx "$$triple" \
	      && ! rustup target add "$$triple"; then \
	    echo "ERROR: cannot add the $$triple Rust target (toolchain server unreachable?): no $$arch binary." >&2; \
	    missing="$$missing $$arch"; continue; \
	  fi; \
	  echo "cargo lambda build --release --locked -p gradual-cli --bin gradual --extension --target $$triple.$(DIST_GLIBC)"; \
	  cargo lambda build --release --locked -p gradual-cli --bin gradual --extension \
	    --target "$$triple.$(DIST_GLIBC)" --lambda-dir target/dist/$$arch || exit 1; \
	  cp target/dist/$$arch/extensions/gradual $(DIST_DIR)/gradual-$(DIST_VERSION)-linux-$$arch; \
	done; \
	(cd $(DIST_DIR) && sha256sum gradual-* > SHA256SUMS && cat SHA256SUMS); \
	if [ -n "$$missing" ]; then \
	  echo "ERROR: make dist built no binary for:$$missing (see above); the others are in $(DIST_DIR)." >&2; \
	  exit 1; \
	fi
