# Deployment semantics (tests/semantics): each output as CloudFormation deploys it under every
# combination of its conditions, and the hooks' roles as IAM evaluates them. `make unit` runs
# these through tests/semantics.rs (cargo test -p gradual-tests --test semantics); this target
# is the quick loop without cargo test, so it is not in TEST_TARGETS. The golden outputs are
# committed as changes.yaml (tests/golden.rs); the golden-outputs example writes them whole,
# without running the transform.
#   make semantics   the checker over every golden output and template.yaml, then its unit tests

GOLDEN_OUTPUTS := target/golden-outputs

.PHONY: semantics
semantics: venv
	$(CARGO) run --quiet --locked -p gradual-tests --example golden-outputs -- $(GOLDEN_OUTPUTS)
	PYTHONDONTWRITEBYTECODE=1 $(VENV_BIN)/python tests/semantics/check.py --installed-hooks template.yaml $(GOLDEN_OUTPUTS)/*/output.json
	PYTHONDONTWRITEBYTECODE=1 $(VENV_BIN)/python -m unittest discover -s tests/semantics -p 'test_*.py'
