"""Shared helpers for the SAM conformance tests: reading CloudFormation YAML the way
CloudFormation does, and restating an AWS::Serverless::Function template as the equivalent
plain AWS::Lambda::Function template that gradual takes."""

import copy
import hashlib
import os
import re
from pathlib import Path

import yaml

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
}


class CfnLoader(yaml.SafeLoader):
    """YAML 1.1 without timestamps (CloudFormation keeps 2010-09-09 a string), with the
    short-form intrinsic tags expanded."""


CfnLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_tag(loader, suffix, node):
    name = SHORT_TAGS.get(suffix, "Fn::" + suffix)
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _construct_tag)


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=CfnLoader)


# Properties that mean the same on AWS::Serverless::Function and AWS::Lambda::Function.
SAME_PROPERTIES = [
    "Handler", "Runtime", "Description", "MemorySize", "Timeout", "Role", "Environment",
    "VpcConfig", "Layers", "KmsKeyArn", "ReservedConcurrentExecutions", "Architectures",
    "SnapStart", "EphemeralStorage", "RuntimeManagementConfig", "LoggingConfig", "FileSystemConfigs",
    "ImageConfig", "PackageType", "CodeSigningConfigArn", "RecursiveLoop", "DurableConfig",
    "TenancyConfig", "CapacityProviderConfig", "FunctionScalingConfig", "FunctionName",
]
GRADUAL_PROPERTIES = [
    "AutoPublishAlias", "AutoPublishCodeSha256", "AutoPublishAliasAllProperties",
    "VersionDescription", "VersionDeletionPolicy", "ProvisionedConcurrencyConfig", "DeploymentPreference",
]


def _merge_globals(global_value, local_value):
    if isinstance(global_value, dict) and isinstance(local_value, dict) and not _is_intrinsic(local_value):
        merged = copy.deepcopy(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def _is_intrinsic(value):
    return isinstance(value, dict) and len(value) == 1 and (
        next(iter(value)) in ("Ref", "Condition") or next(iter(value)).startswith("Fn::"))


def _code(logical_id, properties):
    if "InlineCode" in properties:
        return {"ZipFile": properties["InlineCode"]}
    uri = properties.get("CodeUri")
    if isinstance(uri, str):
        match = re.match(r"s3://([^/]+)/([^?]+)(?:\?versionId=(.+))?$", uri)
        if match:
            code = {"S3Bucket": match.group(1), "S3Key": match.group(2)}
            if match.group(3):
                code["S3ObjectVersion"] = match.group(3)
            return code
    if isinstance(uri, dict) and "Bucket" in uri and "Key" in uri:
        code = {"S3Bucket": uri["Bucket"], "S3Key": uri["Key"]}
        if "Version" in uri:
            code["S3ObjectVersion"] = uri["Version"]
        return code
    if "ImageUri" in properties:
        return {"ImageUri": properties["ImageUri"]}
    return {"S3Bucket": "sam-artifacts", "S3Key": f"{logical_id}.zip"}


def _execution_role():
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
                               "Principal": {"Service": ["lambda.amazonaws.com"]}}],
            },
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}],
        },
    }


def restate(template, drop_other_serverless=True):
    """The plain-CloudFormation template that asks gradual for what `template` asks SAM for.

    Event sources, policies and other SAM-only conveniences are dropped: the comparison is
    about versions, aliases and CodeDeploy. Other serverless resources are dropped too, with
    any output that names them."""
    template = copy.deepcopy(template)
    globals_section = template.pop("Globals", None) or {}
    global_function = globals_section.get("Function", {})
    transform = template.pop("Transform", None)
    resources = template.get("Resources", {})
    restated = {}
    dropped = set()
    keep_other_serverless = not drop_other_serverless
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind != "AWS::Serverless::Function":
            if isinstance(kind, str) and kind.startswith("AWS::Serverless::") and not keep_other_serverless:
                dropped.add(logical_id)
                continue
            restated[logical_id] = resource
            continue
        properties = _merge_globals(global_function, resource.get("Properties") or {})
        lambda_properties = {"Code": _code(logical_id, properties)}
        for name in SAME_PROPERTIES + GRADUAL_PROPERTIES:
            if name in properties:
                lambda_properties[name] = properties[name]
        if "Tracing" in properties:
            lambda_properties["TracingConfig"] = {"Mode": properties["Tracing"]}
        if isinstance(properties.get("Tags"), dict):
            lambda_properties["Tags"] = [{"Key": k, "Value": v} for k, v in properties["Tags"].items()]
        if properties.get("PropagateTags") and isinstance(lambda_properties.get("DeploymentPreference"), dict):
            lambda_properties["DeploymentPreference"]["PropagateTags"] = True
        if "Role" not in lambda_properties:
            role_id = f"{logical_id}Role"
            restated[role_id] = _execution_role()
            if "Condition" in resource:
                restated[role_id]["Condition"] = resource["Condition"]
            lambda_properties["Role"] = {"Fn::GetAtt": [role_id, "Arn"]}
        converted = {"Type": "AWS::Lambda::Function"}
        for attribute in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Metadata"):
            if attribute in resource:
                converted[attribute] = resource[attribute]
        converted["Properties"] = lambda_properties
        restated[logical_id] = converted
    template["Resources"] = restated
    if keep_other_serverless and any(str(r.get("Type", "")).startswith("AWS::Serverless::") for r in restated.values()):
        # SAM still has work to do after gradual: `Transform: [Gradual, AWS::Serverless-2016-10-31]`.
        template["Transform"] = "AWS::Serverless-2016-10-31"
        remaining_globals = {k: v for k, v in globals_section.items() if k != "Function"}
        if remaining_globals:
            template["Globals"] = remaining_globals
    # Whatever named what SAM would have made from the dropped events (implicit APIs such as
    # ServerlessRestApi) or the dropped resources can't stay.
    known = set(restated) | set(template.get("Parameters") or {})
    while True:
        dangling = [i for i, r in restated.items()
                    if r.get("Type") != "AWS::Lambda::Function" and not _names(r.get("Properties")) <= known]
        if not dangling:
            break
        for logical_id in dangling:
            del restated[logical_id]
            known.discard(logical_id)
    for resource in restated.values():
        if resource.get("Type") == "AWS::Lambda::Function":
            resource["Properties"] = _without_dangling(resource["Properties"], known)
    outputs = template.get("Outputs")
    if isinstance(outputs, dict):
        template["Outputs"] = {k: v for k, v in outputs.items() if _names(v) <= known or not _names(v)}
        if not template["Outputs"]:
            del template["Outputs"]
    return template



def _without_dangling(value, known):
    """`value` with references to resources SAM would have created from the dropped events
    (implicit APIs) replaced by a literal, so the restated function stands on its own."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::") \
                and value["Ref"].split(".")[0] not in known:
            return f"{value['Ref']}-implicit"
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            def replace(match):
                name = match.group(1)
                return match.group(0) if name.startswith("AWS::") or name.split(".")[0] in known else f"{name}-implicit"
            return {"Fn::Sub": re.sub(r"\$\{([^!}][^}]*)\}", replace, value["Fn::Sub"])}
        return {k: _without_dangling(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_dangling(v, known) for v in value]
    return value


def _names(value):
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and not item.startswith("AWS::"):
                found.add(item.split(".")[0])
            elif key == "Fn::GetAtt" and isinstance(item, list) and item:
                found.add(str(item[0]).split(".")[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                variables = item[1] if isinstance(item, list) and len(item) > 1 and isinstance(item[1], dict) else {}
                if isinstance(text, str):
                    for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                        name = name.split(".")[0]
                        if name not in variables and not name.startswith("AWS::"):
                            found.add(name)
            found |= _names(item)
    elif isinstance(value, list):
        for item in value:
            found |= _names(item)
    return found


EXTRA_CORPUS_VARIABLE = "GRADUAL_EXTRA_CORPUS"


def corpora(primary):
    """The corpus folders a runner takes: `primary` (from the command line, vendored in the
    repository), then every folder named in GRADUAL_EXTRA_CORPUS (colon-separated, optional;
    missing folders are reported by the caller, not an error here)."""
    folders = [Path(primary)]
    for entry in os.environ.get(EXTRA_CORPUS_VARIABLE, "").split(":"):
        if entry.strip():
            folders.append(Path(entry.strip()))
    return folders


def unique_files(folders, pattern_of):
    """(folder, [files], duplicates) for each folder, with files byte-identical to one taken from
    an earlier folder left out, so an extra corpus that overlaps the vendored one runs nothing twice.
    `pattern_of(folder)` lists a folder's candidate files; a folder that does not exist lists none."""
    seen = set()
    taken = []
    for folder in folders:
        files = []
        duplicates = 0
        digests = set()
        for path in (sorted(pattern_of(folder)) if folder.is_dir() else []):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                duplicates += 1
                continue
            # Identical cases within one folder stay: each is a case of its own upstream.
            digests.add(digest)
            files.append(path)
        seen |= digests
        taken.append((folder, files, duplicates))
    return taken


def corpus_summary(folder, ran, duplicates, noun, not_applicable=0):
    """One line saying how many templates ran from a corpus."""
    if not folder.is_dir():
        return f"corpus {folder}: not found, 0 {noun}s ran"
    line = f"corpus {folder}: {ran} {noun}{'' if ran == 1 else 's'} ran"
    if not_applicable:
        line += f", {not_applicable} not applicable"
    if duplicates:
        line += f" ({duplicates} identical to ones already run, skipped)"
    return line
