"""Real users' stacks: every public SAM template in the corpus must go through gradual.

Each template is taken two ways:
  restated   its serverless functions rewritten as plain AWS::Lambda::Function with the same
             AutoPublishAlias / DeploymentPreference (what a gradual user writes), then gradual;
  after-sam  aws-sam-translator first, then gradual (Transform: [AWS::Serverless-2016-10-31, Gradual]).
Both must transform, and cfn-lint must find no error in either result.

usage: real_world.py GRADUAL_BINARY CFN_LINT CORPUS_DIR

CORPUS_DIR is the vendored corpus (tests/vendor/real-world). Folders named in
GRADUAL_EXTRA_CORPUS (colon-separated) run too; templates identical to one already run are
skipped, and a line per folder says how many ran."""

import json
import logging
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import samlib
import sam_parity
import semantics  # tests/semantics, on the path sam_parity sets

logging.disable(logging.CRITICAL)


def normalise_for_sam(template):
    """The steps `sam package` and CloudFormation would apply (SOURCES.md): local CodeUri and
    ContentUri become S3 URIs; AWS::Include bodies become a minimal OpenAPI document."""
    functions = (template.get("Globals") or {}).get("Function") or {}
    if "CodeUri" in functions and not str(functions["CodeUri"]).startswith("s3://") and not isinstance(functions["CodeUri"], dict):
        functions["CodeUri"] = "s3://sam-artifacts/global.zip"
    for logical_id, resource in (template.get("Resources") or {}).items():
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and "InlineCode" not in properties and "ImageUri" not in properties:
            uri = properties.get("CodeUri", functions.get("CodeUri"))
            if not (isinstance(uri, str) and uri.startswith("s3://")) and not isinstance(uri, dict):
                properties["CodeUri"] = f"s3://sam-artifacts/{logical_id}.zip"
        if kind == "AWS::Serverless::LayerVersion":
            uri = properties.get("ContentUri")
            if not (isinstance(uri, str) and uri.startswith("s3://")):
                properties["ContentUri"] = f"s3://sam-artifacts/{logical_id}.zip"
        for key in ("DefinitionBody",):
            body = properties.get(key)
            if isinstance(body, dict) and "Fn::Transform" in body:
                properties[key] = {"openapi": "3.0.1", "info": {"title": "stub", "version": "1.0"}, "paths": {}}
        resource["Properties"] = properties
    return template


PLACEHOLDERS = {"Number": "1", "CommaDelimitedList": "a,b", "List<Number>": "1"}


def placeholder_values(template):
    """A value for every parameter without a default: CloudFormation always has one, and a user
    previewing the stack passes them."""
    return {
        name: PLACEHOLDERS.get(declaration.get("Type"), "placeholder")
        for name, declaration in (template.get("Parameters") or {}).items()
        if isinstance(declaration, dict) and "Default" not in declaration
    }


def run_gradual(binary, template):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(template, handle)
    values = []
    for name, value in placeholder_values(template).items():
        values += ["--parameter", f"{name}={value}"]
    result = subprocess.run([binary, "transform", handle.name, "--format", "json", *values],
                            capture_output=True, text=True, check=False)
    Path(handle.name).unlink()
    return result


def lint(cfn_lint, text, suffix=".json"):
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as handle:
        handle.write(text)
    result = subprocess.run([cfn_lint, "--format", "parseable", handle.name], capture_output=True, text=True, check=False)
    Path(handle.name).unlink()
    errors = [line for line in result.stdout.splitlines()
              if re.search(r":E\d{4}:", line) and not re.search(IGNORED_RULES, line)]
    return errors


def finding(line):
    """A cfn-lint finding without its file and position: rule and message."""
    return line.split(":", 5)[-1]


# Findings about the users' own choices that gradual neither causes nor should change:
# runtimes Lambda has deprecated since the template was written.
IGNORED_RULES = r":E253[1-3]:"


def run_template(binary, cfn_lint, path):
    """(way, problem or None) for both ways of taking one template."""
    template = samlib.load(path)
    baseline = {finding(e) for e in lint(cfn_lint, path.read_text(encoding="utf-8"), suffix=path.suffix)}
    outcomes = []
    for way in ("restated", "after-sam"):
        try:
            if way == "restated":
                candidate = samlib.restate(normalise_for_sam(json.loads(json.dumps(template))), drop_other_serverless=False)
            else:
                candidate = sam_parity.sam(normalise_for_sam(json.loads(json.dumps(template))),
                                           placeholder_values(template))
            result = run_gradual(binary, candidate)
            if result.returncode != 0:
                problem = "gradual rejected it:\n    " + result.stderr.strip().replace("\n", "\n    ")
            else:
                # Only errors gradual could have caused count: not those cfn-lint already finds
                # in the user's own template (which it reads through SAM itself).
                errors = [e for e in lint(cfn_lint, result.stdout) if finding(e) not in baseline]
                errors += semantics.violations(json.loads(result.stdout), f"{way} {path.name}")
                problem = ("cfn-lint:\n    " + "\n    ".join(errors)) if errors else None
        except Exception as error:  # a harness failure is this template's failure
            problem = f"harness error: {type(error).__name__}: {error}"
        outcomes.append((way, problem))
    return outcomes


def main():
    binary, cfn_lint = sys.argv[1], sys.argv[2]
    taken = samlib.unique_files(samlib.corpora(sys.argv[3]),
                                lambda folder: (p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")))
    if not taken[0][1]:
        print(f"no templates under {taken[0][0]}", file=sys.stderr)
        return 2
    passed = failed = 0
    summaries = []
    for folder, templates, duplicates in taken:
        for path in templates:
            try:
                outcomes = run_template(binary, cfn_lint, path)
            except Exception as error:  # an unreadable template fails both ways
                outcomes = [(way, f"harness error: {type(error).__name__}: {error}") for way in ("restated", "after-sam")]
            for way, problem in outcomes:
                if problem:
                    failed += 1
                    print(f"fail  {way:9} {path.name}\n    {problem}")
                else:
                    passed += 1
                    print(f"pass  {way:9} {path.name}")
        summaries.append(samlib.corpus_summary(folder, len(templates), duplicates, "template"))
    for summary in summaries:
        print(summary)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
