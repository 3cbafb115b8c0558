"""SAM conformance: every applicable aws-sam-translator test case, restated as a plain
AWS::Lambda::Function template, must give the same versions, aliases, update policies,
deployment groups, application, role wiring and conditions through gradual as SAM gives
through its own transform. Differences gradual makes on purpose are normalised away here and
listed in docs/sam-parity.md.

usage: sam_parity.py GRADUAL_BINARY CASES_DIR [CASE ...]

CASES_DIR holds input/<case>.yaml (tests/vendor/sam-translator-cases). Folders of the same
layout named in GRADUAL_EXTRA_CORPUS (colon-separated) run too; cases identical to one already
run are skipped, and a line per folder says how many ran."""

import json
import logging
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from samtranslator.translator.transform import transform as sam_transform

import samlib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "semantics"))
import semantics  # noqa: E402  (tests/semantics: how CloudFormation and IAM take each output)

logging.disable(logging.CRITICAL)

# Cases that are not about plain functions, or that need SAM-only features to mean anything.
NOT_APPLICABLE = {
    "state_machine_": "Step Functions state machines have their own DeploymentPreference",
    "error_state_machine_": "Step Functions state machines have their own DeploymentPreference",
    "error_globals_unsupported_property": "Globals are a SAM feature",
    "error_mappings_is_null": "a SAM document-structure check",
    "error_function_with_event_dest": "event destinations are a SAM feature",
    "error_tenancy_with_provisioned_concurrency": "SAM-side check of a Lambda rule CloudFormation enforces",
    "function_with_event_dest": "event destinations are a SAM feature",
    "function_with_alias_and_event_sources": "event sources are a SAM feature; gradual leaves them as written",
    "function_with_function_url_config": "function URLs are a SAM feature",
    "function_with_kinesis": "event sources are a SAM feature",
    "function_event_conditions": "event sources are a SAM feature",
    "function_with_runtime_config": "incidental alias use; covered by function_with_alias",
    "capacity_provider": "Lambda managed instances: SAM-specific version defaults",
    "function_with_capacity_provider": "Lambda managed instances: SAM-specific version defaults",
    "function_with_aliasallproperties_and_lambda_layer": "layers as AWS::Serverless::LayerVersion",
}

# Cases where gradual accepts what SAM rejects, on purpose.
LENIENT = {
    "error_function_fnsub_in_auto_publish_hash": "gradual resolves Fn::Sub over parameters in AutoPublishCodeSha256",
}

# Cases where gradual rejects what SAM accepts, on purpose.
STRICTER = {
    "function_with_resource_refs": "`Fn.Alias` on a function without AutoPublishAlias is an error, not a dangling reference",
}


class PolicyLoader:
    def load(self):
        return {}


def sam(template, parameter_values=None):
    return sam_transform(json.loads(json.dumps(template)), parameter_values or {}, PolicyLoader())


def gradual(binary, template):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(template, handle)
    result = subprocess.run([binary, "transform", handle.name, "--format", "json"],
                            capture_output=True, text=True, check=False)
    Path(handle.name).unlink()
    if result.returncode != 0:
        return None, result.stderr
    return json.loads(result.stdout), result.stderr


VERSION_ID = re.compile(r"^(.*Version)[0-9a-f]{10}$")


def normalise(value):
    """Version IDs without their hash; SAM's Fn::Sub spelling of predefined configs and its
    baked-in partition in the spelling gradual uses; empty alarm configurations as absent."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], list):
            template, variables = value["Fn::Sub"]
            if template == "CodeDeployDefault.Lambda${ConfigName}" and isinstance(variables.get("ConfigName"), str):
                return "CodeDeployDefault.Lambda" + variables["ConfigName"]
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str) and value["Fn::Sub"].startswith("arn:${AWS::Partition}:"):
            return value["Fn::Sub"].replace("${AWS::Partition}", "aws")
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str) and "${" not in value["Fn::Sub"]:
            return value["Fn::Sub"]
        if set(value) == {"Alarms", "Enabled"} and value["Alarms"] == [] and value["Enabled"] is False:
            return {}
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        match = VERSION_ID.match(value)
        return match.group(1) + "#" if match else value
    return value


def deployment_view(output):
    """The resources this feature is about, keyed by normalised logical ID."""
    view = {}
    for logical_id, resource in output.get("Resources", {}).items():
        kind = resource.get("Type")
        if kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::CodeDeploy::DeploymentGroup",
                    "AWS::CodeDeploy::Application", "AWS::CodeDeploy::DeploymentConfig"):
            view[normalise(logical_id)] = normalise(resource)
        elif logical_id == "CodeDeployServiceRole":
            # gradual narrows the role (docs/sam-parity.md); what must agree is who may assume it
            # and under which condition it exists.
            view[logical_id] = {
                "Type": kind,
                "Condition": resource.get("Condition"),
                "AssumeRolePolicyDocument": normalise(resource["Properties"]["AssumeRolePolicyDocument"]),
            }
    for logical_id, resource in view.items():
        if resource.get("Type") == "AWS::Lambda::Alias":
            intended_alias_differences(resource)
        if resource.get("Type") == "AWS::CodeDeploy::DeploymentGroup":
            properties = resource.get("Properties", {})
            properties.setdefault("AlarmConfiguration", {})
            if properties.get("AlarmConfiguration") in ({}, None):
                properties.pop("AlarmConfiguration")
    conditions = {}
    for name, condition in (output.get("Conditions") or {}).items():
        if name.startswith("ServerlessCodeDeployCondition"):
            # SAM's order comes from a Python set; gradual sorts.
            conditions[name] = sorted(json.dumps(c, sort_keys=True) for c in condition.get("Fn::Or", []))
    view["Conditions"] = conditions
    outputs = output.get("Outputs")
    if outputs:
        view["Outputs"] = normalise(outputs)
    return view


GRADUAL_WAITS = ("HookPolicy", "DeploymentGroup", "SmokeTest")


def intended_alias_differences(alias):
    """What gradual adds to an alias on purpose (docs/sam-parity.md), taken out before comparing:
    the wait for its group, hook policies and smoke test; the constant description through which
    it waits for conditional hook policies; a conditional hook named only under its condition."""
    if "DependsOn" in alias:
        waits = [d for d in alias["DependsOn"] if not str(d).endswith(GRADUAL_WAITS)]
        if waits:
            alias["DependsOn"] = waits
        else:
            del alias["DependsOn"]
    properties = alias.get("Properties", {})
    if isinstance(properties.get("Description"), dict) and "Fn::Select" in properties["Description"]:
        del properties["Description"]
    policy = alias.get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate", {})
    for key in ("BeforeAllowTrafficHook", "AfterAllowTrafficHook"):
        hook = policy.get(key)
        if isinstance(hook, dict) and set(hook) == {"Fn::If"} and hook["Fn::If"][2] == {"Ref": "AWS::NoValue"}:
            policy[key] = hook["Fn::If"][1]


def differences(expected, actual, path=""):
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                found.append(f"{path}/{key}: only in SAM: {json.dumps(expected[key])[:200]}")
            elif key not in expected:
                found.append(f"{path}/{key}: only in gradual: {json.dumps(actual[key])[:200]}")
            else:
                found += differences(expected[key], actual[key], f"{path}/{key}")
        return found
    if expected != actual:
        return [f"{path}: SAM {json.dumps(expected)[:200]} != gradual {json.dumps(actual)[:200]}"]
    return []


def run_case(binary, input_path):
    name = input_path.stem
    for prefix, reason in NOT_APPLICABLE.items():
        if name.startswith(prefix):
            return "n/a", reason
    template = samlib.load(input_path)
    restated = samlib.restate(template)
    if name in LENIENT:
        actual, stderr = gradual(binary, restated)
        if actual is not None:
            return "pass", "gradual accepts on purpose: " + LENIENT[name]
        return "fail", "expected gradual to accept: " + LENIENT[name]
    if name.startswith("error_"):
        actual, stderr = gradual(binary, restated)
        if actual is None:
            return "pass", "both reject: " + stderr.strip().splitlines()[0][:150]
        return "fail", "SAM rejects this template but gradual transformed it"
    expected = sam(template)
    actual, stderr = gradual(binary, restated)
    if name in STRICTER:
        if actual is None:
            return "pass", "gradual rejects on purpose: " + STRICTER[name]
        return "fail", "expected gradual to reject: " + STRICTER[name]
    if actual is None:
        return "fail", "gradual rejected it:\n    " + stderr.strip().replace("\n", "\n    ")
    found = differences(deployment_view(expected), deployment_view(actual)) + semantics.violations(actual, name)
    if found:
        return "fail", "\n    ".join(found)
    return "pass", ""


def main():
    binary = sys.argv[1]
    only = set(sys.argv[3:])
    taken = samlib.unique_files(samlib.corpora(sys.argv[2]), lambda folder: (folder / "input").glob("*.yaml"))
    if not taken[0][1]:
        print(f"no SAM test cases under {taken[0][0]}/input", file=sys.stderr)
        return 2
    counts = {"pass": 0, "fail": 0, "n/a": 0}
    summaries = []
    for folder, inputs, duplicates in taken:
        ran = not_applicable = 0
        for input_path in inputs:
            if only and input_path.stem not in only:
                continue
            try:
                status, detail = run_case(binary, input_path)
            except Exception as error:  # a harness failure is a test failure, reported per case
                status, detail = "fail", f"harness error: {type(error).__name__}: {error}"
            counts[status] += 1
            if status == "n/a":
                not_applicable += 1
            else:
                ran += 1
            line = f"{status:5} {input_path.stem}"
            if detail and status != "pass":
                line += f"\n    {detail}"
            elif detail:
                line += f"  ({detail})"
            print(line)
        summaries.append(samlib.corpus_summary(folder, ran, duplicates, "case", not_applicable))
    for summary in summaries:
        print(summary)
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['n/a']} skipped")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
