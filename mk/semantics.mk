# Deployment semantics (tests/semantics): each output as CloudFormation deploys it under every
# combination of its conditions, and the hooks' roles as IAM evaluates them. `make unit` runs
# these through tests/semantics.rs (cargo test -p gradual-tests --test semantics); this target
# is the quick loop without cargo, so it is not in TEST_TARGETS.
#   make semantics   the checker over every golden output and template.yaml, then its unit tests

.PHONY: semantics
semantics: venv
	PYTHONDONTWRITEBYTECODE=1 $(VENV_BIN)/python tests/semantics/check.py --installed-hooks template.yaml tests/fixtures/ok/*/output.json
	PYTHONDONTWRITEBYTECODE=1 $(VENV_BIN)/python -m unittest discover -s tests/semantics -p 'test_*.py'
