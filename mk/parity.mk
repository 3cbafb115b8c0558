# SAM conformance: aws-sam-translator (from the .venv) is the oracle wherever SAM has the feature.
#   make test-parity   every applicable SAM test case, restated for AWS::Lambda::Function,
#                      through both SAM and gradual; the deployment resources must agree

SAM_CASES ?= ../shared/reference/sam-translator-cases

.PHONY: test-parity
TEST_TARGETS += test-parity

test-parity: venv
	$(CARGO) build --locked -p gradual-cli
	$(VENV_BIN)/python tests/parity/sam_parity.py target/debug/gradual $(SAM_CASES)

# Real users' stacks (../shared/reference/real-world): every template, restated for gradual and
# after the SAM transform, must transform and lint clean.
REAL_WORLD ?= ../shared/reference/real-world

.PHONY: test-real-world
TEST_TARGETS += test-real-world

test-real-world: venv
	$(CARGO) build --locked -p gradual-cli
	$(VENV_BIN)/python tests/parity/real_world.py target/debug/gradual $(VENV_BIN)/cfn-lint $(REAL_WORLD)
