# SAM conformance: aws-sam-translator (from the .venv) is the oracle wherever SAM has the feature.
#   make test-parity   every applicable SAM test case, restated for AWS::Lambda::Function,
#                      through both SAM and gradual; the deployment resources must agree
#   make test-real-world   real users' stacks, restated and after SAM, transform and lint clean
#
# Both corpora are vendored under tests/vendor (NOTICE and SOURCES.md give their origin and
# licences), so a clone needs nothing beside it. GRADUAL_EXTRA_CORPUS=dir[:dir...] adds more
# folders to both runners (SAM-case folders have input/<case>.yaml; real-world folders hold
# templates); each runner prints how many templates ran from each folder.

SAM_CASES ?= tests/vendor/sam-translator-cases

.PHONY: test-parity
TEST_TARGETS += test-parity

test-parity: venv
	$(CARGO) build --locked -p gradual-cli
	$(VENV_BIN)/python tests/parity/sam_parity.py target/debug/gradual $(SAM_CASES)

# Real users' stacks: every template, restated for gradual and after the SAM transform, must
# transform and lint clean.
REAL_WORLD ?= tests/vendor/real-world

.PHONY: test-real-world
TEST_TARGETS += test-real-world

test-real-world: venv
	$(CARGO) build --locked -p gradual-cli
	$(VENV_BIN)/python tests/parity/real_world.py target/debug/gradual $(VENV_BIN)/cfn-lint $(REAL_WORLD)
