"""Writes SAM's own test cases, restated for AWS::Lambda::Function, as golden fixtures
(tests/fixtures/{ok,err}/sam_<case>/input.yaml). The golden test then pins gradual's output for
them, and cfn-lint checks it, so the cases' dated content is brought up to date here: runtimes
Lambda no longer accepts, a role given by name where an ARN is needed. What SAM produces for
them is compared separately by sam_parity.py.

usage: restate_fixtures.py SAM_CASES_DIR FIXTURES_DIR"""

import json
import logging
import sys
from pathlib import Path

import samlib
import sam_parity

logging.disable(logging.CRITICAL)

RUNTIMES = {"python2.7": "python3.12", "python3.7": "python3.12", "python3.9": "python3.12",
            "nodejs12.x": "nodejs20.x", "nodejs8.10": "nodejs20.x", "go1.x": "provided.al2023"}
# Test data whose values cfn-lint rightly rejects (made-up subnets, misspelt enums).
SKIPPED = {"globals_for_function"}


def modernise(value, resources):
    if isinstance(value, dict):
        if set(value) == {"Ref"} and resources.get(value["Ref"], {}).get("Type") == "AWS::IAM::Role":
            return {"Fn::GetAtt": [value["Ref"], "Arn"]}
        return {k: RUNTIMES.get(v, v) if k == "Runtime" and isinstance(v, str) else modernise(v, resources)
                for k, v in value.items()}
    if isinstance(value, list):
        return [modernise(v, resources) for v in value]
    return value


def main():
    cases, fixtures = Path(sys.argv[1]) / "input", Path(sys.argv[2])
    for path in sorted(cases.glob("*.yaml")):
        name = path.stem
        if any(name.startswith(p) for p in sam_parity.NOT_APPLICABLE) or name in SKIPPED \
                or name in sam_parity.STRICTER or name in sam_parity.LENIENT:
            continue
        restated = samlib.restate(samlib.load(path))
        restated = modernise(restated, restated.get("Resources", {}))
        kind = "err" if name.startswith("error_") else "ok"
        directory = fixtures / kind / f"sam_{name.removeprefix('error_')}"
        directory.mkdir(parents=True, exist_ok=True)
        header = (f"# SAM's test case {name}, restated for AWS::Lambda::Function by\n"
                  "# tests/parity/restate_fixtures.py (JSON is YAML).\n")
        (directory / "input.yaml").write_text(header + json.dumps(restated, indent=2) + "\n")
        print(directory)


if __name__ == "__main__":
    main()
