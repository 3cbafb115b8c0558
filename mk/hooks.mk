# The lifecycle hooks: crates/hooks (library) and crates/hook-lambdas (deployable binaries).
#   make test-hooks   the pre-traffic binary end to end through the Lambda emulator
#                     (cargo lambda watch) against the in-process AWS wire-protocol endpoint;
#                     the other hook cases run in `make unit` (crates/hooks/tests/hooks.rs)
#   make size-hooks   stripped release size of the hook binaries (cargo lambda build, x86_64)
#   GRADUAL_EMULATOR_RELEASE=1 make test-hooks   the same end-to-end test on a release build

LAMBDA_BINS += gradual-pre-traffic gradual-post-traffic
HOOK_BINS := gradual-pre-traffic gradual-post-traffic

.PHONY: test-hooks size-hooks
TEST_TARGETS += test-hooks

# --workspace keeps the feature set of `cargo test --workspace`, so nothing is rebuilt; the test
# starts and always stops its own emulator process (by PID, in a Drop guard).
test-hooks: venv
	$(CARGO) test --workspace --locked --features gradual-hook-lambdas/emulator --test emulator -- --nocapture

size-hooks: venv
	cargo lambda build --release --x86-64 $(addprefix --bin ,$(HOOK_BINS))
	@for bin in $(HOOK_BINS); do \
	  printf '%s: %s bytes\n' "$$bin" "$$(stat -c %s target/lambda/$$bin/bootstrap)"; \
	done
