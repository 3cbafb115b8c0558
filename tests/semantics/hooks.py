"""Hook permissions as IAM would decide them at deployment time.

The manifest `crates/contract/hook-calls.json` (written from `gradual_contract::HOOK_CALLS` by
tests/contract.rs) lists every AWS call the ready-made hooks and `gradual-hooks` make, with the
kind of ARN each acts on. Two things must hold:

- In every output, under every condition combination, a hook function in the template whose
  role is in the template is allowed every manifest call on the concrete ARNs of every function
  it serves: its deployment group and application, the function unqualified and at the version
  the alias moves to, and its smoke-test parameter.
- `template.yaml`'s installed hooks are allowed the calls their binary makes on a function
  tagged `gradual:managed=true`, and denied the Lambda calls on a function without the tag.

A hook whose code is the user's own may call less than the manifest, never more, so granting
the manifest is the contract for every in-template hook."""

import copy
import json
import logging
import sys
from pathlib import Path

import iam
import semantics

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = ROOT / "crates" / "contract" / "hook-calls.json"

RESOURCE_FORMS = {
    "DeploymentGroup", "Application", "FunctionUnqualified", "FunctionQualified",
    "SmokeTestParameter", "KmsKey", "Any",
}
FUNCTION_FORMS = {"FunctionUnqualified", "FunctionQualified"}

HOOK_KEYS = ("BeforeAllowTrafficHook", "AfterAllowTrafficHook")

# The manifest is one list for all hooks; template.yaml grants each installed binary only what
# it calls. Pruning (crates/hooks/src/checks.rs `prune_versions`) runs only in the post-traffic
# binary and only when the hook function has GRADUAL_KEEP_VERSIONS (crates/hook-lambdas
# post_traffic.rs); without it template.yaml withholds these on purpose.
PRUNING_ONLY = {
    "lambda:DeleteFunction", "lambda:ListVersionsByFunction", "lambda:GetPolicy",
    "lambda:ListProvisionedConcurrencyConfigs", "lambda:ListEventSourceMappings",
}
# The pre-traffic binary checks and smoke-tests the target version (`pre_traffic`); finding the
# version an alias serves is the post-traffic binary's.
POST_TRAFFIC_ONLY = PRUNING_ONLY | {"lambda:ListAliases"}
# An example key: a SecureString smoke test may be encrypted with any key of the account.
KMS_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
PRUNING_VARIABLE = "GRADUAL_KEEP_VERSIONS"
BINARIES = {"gradual-pre-traffic": "pre-traffic", "gradual-post-traffic": "post-traffic"}

_manifest = None


class ManifestError(Exception):
    pass


def load_manifest(path=MANIFEST_PATH):
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"{path}: {error} (BLESS=1 cargo test -p gradual-tests --test contract writes it)") from None
    calls = document.get("calls")
    if not isinstance(calls, list) or not calls:
        raise ManifestError(f"{path}: no calls")
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("action"), str):
            raise ManifestError(f"{path}: malformed call {json.dumps(call)}")
        if call.get("resource") not in RESOURCE_FORMS:
            raise ManifestError(f"{path}: resource form {call.get('resource')!r} of {call['action']} is unknown to "
                                "tests/semantics/hooks.py; teach resource_arn() its ARN")
    actions = {call["action"] for call in calls}
    for stale in (POST_TRAFFIC_ONLY | PRUNING_ONLY) - actions:
        raise ManifestError(f"hooks.py names {stale}, which the manifest no longer lists")
    return document


def manifest():
    global _manifest
    if _manifest is None:
        _manifest = load_manifest()
    return _manifest


class Target:
    """A function a hook serves, as concrete names."""

    def __init__(self, function, version, application, group, tags, alias=None):
        self.function = function
        self.version = version
        self.application = application
        self.group = group
        self.tags = tags
        self.alias = alias

    def arn(self, form, document):
        prefix = f"arn:{iam.PARTITION}:"
        if form == "DeploymentGroup":
            return f"{prefix}codedeploy:{iam.REGION}:{iam.ACCOUNT}:deploymentgroup:{self.application}/{self.group}"
        if form == "Application":
            return f"{prefix}codedeploy:{iam.REGION}:{iam.ACCOUNT}:application:{self.application}"
        if form == "FunctionUnqualified":
            return f"{prefix}lambda:{iam.REGION}:{iam.ACCOUNT}:function:{self.function}"
        if form == "FunctionQualified":
            return f"{prefix}lambda:{iam.REGION}:{iam.ACCOUNT}:function:{self.function}:{self.version}"
        if form == "SmokeTestParameter":
            name = document["smoke_test_parameter_prefix"] + self.function
            return f"{prefix}ssm:{iam.REGION}:{iam.ACCOUNT}:parameter/{name.lstrip('/')}"
        if form == "KmsKey":
            return f"{prefix}kms:{iam.REGION}:{iam.ACCOUNT}:key/{KMS_KEY_ID}"
        if form == "Any":
            return "*"
        raise ManifestError(f"unknown resource form {form}")

    def context(self, form, document):
        """The request context IAM sees: the function's tags for calls on the function; for
        kms:Decrypt, the call SSM makes on the hook's behalf to decrypt its smoke test."""
        if form in FUNCTION_FORMS:
            return {f"aws:ResourceTag/{key}": value for key, value in self.tags.items()}
        if form == "KmsKey":
            return {
                "kms:ViaService": f"ssm.{iam.REGION}.amazonaws.com",
                "kms:CallerAccount": iam.ACCOUNT,
                "kms:EncryptionContext:PARAMETER_ARN": self.arn("SmokeTestParameter", document),
            }
        return {}


def _referenced_function(deployed, value):
    function = semantics.intrinsic(value)
    if not function:
        return None
    name, argument = function
    if name == "Ref" and isinstance(argument, str):
        target = argument
    elif name == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2 and argument[1] == "Arn":
        target = argument[0]
    else:
        return None
    resource = deployed.resources.get(target)
    if isinstance(resource, dict) and resource.get("Type") == "AWS::Lambda::Function":
        return target
    return None


def _role_of(deployed, function_id):
    """The in-template role of a function: `!GetAtt R.Arn` or `!Sub ${R.Arn}`; None otherwise."""
    return _role_from_arn((deployed.resources[function_id].get("Properties") or {}).get("Role"), deployed)


def role_policies(deployed, role_id):
    """(document, where) for every policy IAM attaches to the role from this template: its own
    inline Policies, every AWS::IAM::Policy or ManagedPolicy naming it in Roles, and every
    in-template managed policy in its ManagedPolicyArns."""
    found = []
    properties = deployed.resources[role_id].get("Properties") or {}
    for index, policy in enumerate(properties.get("Policies") or []):
        if isinstance(policy, dict) and "PolicyDocument" in policy:
            found.append((policy["PolicyDocument"], f"{role_id}.Policies[{index}]"))
    attached = set()
    for arn in properties.get("ManagedPolicyArns") or []:
        function = semantics.intrinsic(arn)
        if function and function[0] == "Ref" and isinstance(function[1], str):
            attached.add(function[1])
    for logical_id, resource in deployed.resources.items():
        kind = resource.get("Type")
        if kind not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        policy = resource.get("Properties") or {}
        roles = policy.get("Roles") if isinstance(policy.get("Roles"), list) else []
        if logical_id in attached or any(semantics.role_key(deployed, r) == role_id for r in roles):
            if "PolicyDocument" in policy:
                found.append((policy["PolicyDocument"], logical_id))
    return found


def _tags(resolver, function_id):
    """The tags a deployed function carries: its own and those CloudFormation adds."""
    if function_id is None:
        return {}
    tags = {
        "aws:cloudformation:stack-name": iam.STACK,
        "aws:cloudformation:stack-id": resolver.pseudo("AWS::StackId"),
        "aws:cloudformation:logical-id": function_id,
    }
    for tag in (resolver.resources[function_id].get("Properties") or {}).get("Tags") or []:
        if isinstance(tag, dict) and "Key" in tag and "Value" in tag:
            tags[resolver.string(tag["Key"])] = resolver.string(tag["Value"])
    return tags


def _short_name(name):
    """A function name from a name or an ARN (qualified or not)."""
    if ":function:" in name:
        return name.split(":function:", 1)[1].split(":")[0]
    return name


def served_by_hooks(deployed, resolver):
    """{hook logical ID: [(alias logical ID, Target or error text)]} for in-template hooks."""
    hooks = {}
    for alias_id, alias in deployed.resources.items():
        if alias.get("Type") != "AWS::Lambda::Alias":
            continue
        update = (alias.get("UpdatePolicy") or {}).get("CodeDeployLambdaAliasUpdate")
        if not isinstance(update, dict):
            continue
        for key in HOOK_KEYS:
            hook = _referenced_function(deployed, update.get(key))
            if hook is None:
                continue
            properties = alias.get("Properties") or {}
            try:
                function_value = properties.get("FunctionName")
                function_id = _referenced_function(deployed, function_value)
                target = Target(
                    function=_short_name(resolver.string(function_value)),
                    version=resolver.string(properties.get("FunctionVersion")),
                    application=resolver.string(update.get("ApplicationName")),
                    group=resolver.string(update.get("DeploymentGroupName")),
                    tags=_tags(resolver, function_id),
                    alias=alias_id,
                )
            except iam.Unresolvable as error:
                target = f"cannot resolve what alias {alias_id} deploys: {error}"
            hooks.setdefault(hook, []).append((alias_id, key, target))
    return hooks


def resolver_for(template, deployed):
    return iam.Resolver(
        deployed.resources,
        declarations=template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {},
        mappings=template.get("Mappings") if isinstance(template.get("Mappings"), dict) else {},
        assignment=deployed.assignment,
    )


def resolved_documents(resolver, policies):
    documents, problems = [], []
    for document, where in policies:
        try:
            documents.append(resolver.resolve(document))
        except iam.Unresolvable as error:
            problems.append(f"policy {where} cannot be resolved: {error}")
    return documents, problems


def _evaluate(documents, action, arn, context):
    try:
        return iam.evaluate(documents, action, arn, context)
    except iam.Unsupported as error:
        return f"unsupported by the test evaluator: {error}"


def dependencies(deployed):
    """{logical ID: every resource CloudFormation creates or updates before it}: DependsOn and
    every Ref, Fn::GetAtt and Fn::Sub name anywhere in the resource, followed transitively.
    Counting references outside Properties too (UpdatePolicy) is the lenient reading: a
    resource this misses is one CloudFormation certainly does not wait for."""
    direct = {}
    for logical_id, resource in deployed.resources.items():
        names = set()
        depends = resource.get("DependsOn")
        for target in depends if isinstance(depends, list) else [depends]:
            if isinstance(target, str):
                names.add(target)
        for node, _ in semantics._walk({k: v for k, v in resource.items() if k not in ("Type", "Condition")},
                                       semantics.Path("")):
            for _, target in semantics.referenced(node):
                names.add(target.split(".", 1)[0])
        direct[logical_id] = names & set(deployed.resources)
    closure = {}
    for logical_id in direct:
        seen, stack = set(), list(direct[logical_id])
        while stack:
            item = stack.pop()
            if item not in seen:
                seen.add(item)
                stack.extend(direct.get(item, ()))
        closure[logical_id] = seen
    return closure


def smoke_test_order_problems(deployed, resolver, document, after):
    """What a deployment reads must be in place before the alias update starts it: the
    function's smoke test, else the hook reads the previous one, or none."""
    problems = []
    parameters = {}
    for logical_id, resource in deployed.resources.items():
        if resource.get("Type") == "AWS::SSM::Parameter":
            try:
                parameters[resolver.string((resource.get("Properties") or {}).get("Name"))] = logical_id
            except iam.Unresolvable:
                continue
    for alias_id, alias in deployed.resources.items():
        update = (alias.get("UpdatePolicy") or {}).get("CodeDeployLambdaAliasUpdate")
        if alias.get("Type") != "AWS::Lambda::Alias" or not isinstance(update, dict):
            continue
        try:
            function = _short_name(resolver.string((alias.get("Properties") or {}).get("FunctionName")))
        except iam.Unresolvable:
            continue
        smoke_test = parameters.get(document["smoke_test_parameter_prefix"] + function)
        if smoke_test and smoke_test not in after[alias_id]:
            problems.append((alias_id, f"alias {alias_id} does not wait for {smoke_test}, the smoke test its "
                                       "deployment's hooks read"))
    return problems


# The AWS managed policies CodeDeploy service roles use (docs.aws.amazon.com/aws-managed-policy:
# AWSCodeDeployRoleForLambda v3; ...Limited v1 is the same without sns:Publish). Both let
# CodeDeploy invoke only hooks named CodeDeployHook_*, which is why any other hook needs a grant.
def _codedeploy_managed_policy(publish):
    actions = ["cloudwatch:DescribeAlarms", "lambda:UpdateAlias", "lambda:GetAlias",
               "lambda:GetProvisionedConcurrencyConfig"] + (["sns:Publish"] if publish else [])
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": "arn:aws:s3:::*/CodeDeploy/*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": "*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/UseWithCodeDeploy": "true"}}},
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:*:function:CodeDeployHook_*"},
    ]}


MANAGED_POLICIES = {
    f"arn:{iam.PARTITION}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda": _codedeploy_managed_policy(True),
    f"arn:{iam.PARTITION}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited": _codedeploy_managed_policy(False),
}


def _trusts_service(role, service):
    document = ((role.get("Properties") or {}).get("AssumeRolePolicyDocument")) or {}
    found = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in [found] if isinstance(found, dict) else found:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principal = statement.get("Principal") if isinstance(statement.get("Principal"), dict) else {}
        services = principal.get("Service", [])
        services = [services] if isinstance(services, str) else services
        if service in services and any(isinstance(a, str) and iam.matches(a, "sts:AssumeRole", ignore_case=True)
                                       for a in actions):
            return True
    return False


def _function_arn(name):
    return name if name.startswith("arn:") else f"arn:{iam.PARTITION}:lambda:{iam.REGION}:{iam.ACCOUNT}:function:{name}"


def service_role_problems(deployed, resolver):
    """What CodeDeploy itself does with an in-template service role during a deployment: assume
    it, move the alias, read the group's alarms, and invoke every hook (the managed policies
    allow only CodeDeployHook_* names)."""
    problems = []
    for alias_id, alias in sorted(deployed.resources.items()):
        update = (alias.get("UpdatePolicy") or {}).get("CodeDeployLambdaAliasUpdate")
        if alias.get("Type") != "AWS::Lambda::Alias" or not isinstance(update, dict):
            continue
        group_ref = semantics.intrinsic(update.get("DeploymentGroupName"))
        group_id = group_ref[1] if group_ref and group_ref[0] == "Ref" else None
        group = deployed.resources.get(group_id) if isinstance(group_id, str) else None
        if not isinstance(group, dict) or group.get("Type") != "AWS::CodeDeploy::DeploymentGroup":
            continue
        role_id = _role_from_arn((group.get("Properties") or {}).get("ServiceRoleArn"), deployed)
        if role_id is None:
            continue
        role = deployed.resources[role_id]
        where = f"deployment group {group_id}'s service role {role_id}"
        if not _trusts_service(role, "codedeploy.amazonaws.com"):
            problems.append((group_id, f"{where} does not let codedeploy.amazonaws.com assume it"))
        documents, unresolved = resolved_documents(resolver, role_policies(deployed, role_id))
        problems += [(group_id, problem) for problem in unresolved]
        unknown = []
        for arn in (role.get("Properties") or {}).get("ManagedPolicyArns") or []:
            try:
                arn = resolver.string(arn)
            except iam.Unresolvable:
                continue
            if arn in MANAGED_POLICIES:
                documents.append(MANAGED_POLICIES[arn])
            elif not arn.startswith(f"arn:{iam.PARTITION}:iam::{iam.ACCOUNT}:policy/"):
                unknown.append(arn)
        try:
            function = _short_name(resolver.string((alias.get("Properties") or {}).get("FunctionName")))
            alias_arn = f"{_function_arn(function)}:{resolver.string((alias.get('Properties') or {}).get('Name'))}"
            requests = [("lambda:UpdateAlias", alias_arn, "to shift traffic"), ("lambda:GetAlias", alias_arn, "to shift traffic")]
            for key in HOOK_KEYS:
                if key in update:
                    requests.append(("lambda:InvokeFunction", _function_arn(resolver.string(update[key])),
                                     f"to run its {key}"))
            alarms = (group.get("Properties") or {}).get("AlarmConfiguration") or {}
            if alarms.get("Enabled") in (True, "true"):
                for alarm in alarms.get("Alarms") or []:
                    name = resolver.string(alarm.get("Name")) if isinstance(alarm, dict) else None
                    if name:
                        requests.append(("cloudwatch:DescribeAlarms",
                                         f"arn:{iam.PARTITION}:cloudwatch:{iam.REGION}:{iam.ACCOUNT}:alarm:{name}",
                                         "to watch its alarms"))
        except iam.Unresolvable as error:
            if "is not a deployed resource" not in str(error):  # a dangling reference, reported as such
                problems.append((group_id, f"cannot resolve what {where} acts on: {error}"))
            continue
        if unknown:
            # Policies this check cannot read may grant anything: nothing to prove either way.
            continue
        for action, arn, why in requests:
            decision = _evaluate(documents, action, arn, {})
            if decision != iam.ALLOW:
                problems.append((group_id, f"{where} is not allowed {action} on {arn} {why} "
                                           f"for alias {alias_id}: {decision}"))
    return problems


def _role_from_arn(value, deployed):
    """The in-template role an ARN value names (`!GetAtt R.Arn` or `!Sub ${R.Arn}`), else None."""
    function = semantics.intrinsic(value)
    candidate = None
    if function and function[0] == "Fn::GetAtt":
        argument = function[1]
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if isinstance(argument, list) and len(argument) == 2 and argument[1] == "Arn":
            candidate = argument[0]
    elif function and function[0] == "Fn::Sub" and isinstance(function[1], str):
        text = function[1].strip()
        if text.startswith("${") and text.endswith(".Arn}") and text.count("${") == 1:
            candidate = text[2:-len(".Arn}")]
    resource = deployed.resources.get(candidate) if isinstance(candidate, str) else None
    if isinstance(resource, dict) and resource.get("Type") == "AWS::IAM::Role":
        return candidate
    return None


def _names_template_resource(template, value):
    """Whether a hook value is a Ref or Fn::GetAtt to a resource of the template (deployed or not:
    a dropped one is a dangling reference, reported as such)."""
    function = semantics.intrinsic(value)
    if not function or function[0] not in ("Ref", "Fn::GetAtt"):
        return False
    target = function[1]
    if isinstance(target, list) and target:
        target = target[0]
    if isinstance(target, str) and function[0] == "Fn::GetAtt":
        target = target.split(".", 1)[0]
    return isinstance(target, str) and target in (template.get("Resources") or {})


def managed_tag_problems(template, deployed, resolver, document):
    """A hook outside the template may be gradual's installed hooks, which act only on functions
    tagged gradual:managed=true: every function deployed through one must carry the tag.
    Tags written as an intrinsic are the user's to tag (gradual warns about them)."""
    key, value = document["managed_tag"]["key"], document["managed_tag"]["value"]
    problems = []
    for alias_id, alias in sorted(deployed.resources.items()):
        update = (alias.get("UpdatePolicy") or {}).get("CodeDeployLambdaAliasUpdate")
        if alias.get("Type") != "AWS::Lambda::Alias" or not isinstance(update, dict):
            continue
        external = [k for k in HOOK_KEYS if k in update and not _names_template_resource(template, update[k])]
        function_id = _referenced_function(deployed, (alias.get("Properties") or {}).get("FunctionName"))
        if not external or function_id is None:
            continue
        written = ((template.get("Resources") or {}).get(function_id) or {}).get("Properties") or {}
        if semantics.intrinsic(written.get("Tags")):
            continue
        try:
            tags = _tags(resolver, function_id)
        except iam.Unresolvable as error:
            problems.append((function_id, f"cannot resolve the tags of {function_id}: {error}"))
            continue
        if tags.get(key) != value:
            problems.append((function_id, f"function {function_id} is deployed through {alias_id}, whose "
                                          f"{' and '.join(external)} is outside the template (perhaps gradual's "
                                          f"installed hooks), but is not tagged {key}={value}"))
    return problems


def hook_violations(template, label_prefix=""):
    """Every manifest call an in-template hook's role does not allow, and everything an alias's
    deployment reads that the alias does not wait for; one line each."""
    if not isinstance(template, dict):
        return []
    try:
        document = manifest()
    except ManifestError as error:
        return [f"{label_prefix}: {error}"]
    found = {}
    for deployed in semantics.deployments(template):
        resolver = resolver_for(template, deployed)
        after = dependencies(deployed)
        for hook, serving in sorted(served_by_hooks(deployed, resolver).items()):
            role = _role_of(deployed, hook)
            if role is None:
                continue
            policies = []
            for policy, where in role_policies(deployed, role):
                try:
                    policies.append((resolver.resolve(policy), where))
                except iam.Unresolvable as error:
                    found.setdefault((hook, f"policy {where} cannot be resolved: {error}"), deployed.label)
            documents = [policy for policy, _ in policies]
            for alias_id, key, target in serving:
                if isinstance(target, str):
                    found.setdefault((hook, target), deployed.label)
                    continue
                requests = [(call["action"], target.arn(call["resource"], document),
                             target.context(call["resource"], document)) for call in document["calls"]]
                for action, arn, context in requests:
                    decision = _evaluate(documents, action, arn, context)
                    if decision != iam.ALLOW:
                        message = (f"hook {hook} ({key} of {alias_id}) runs as role {role}, which is not allowed "
                                   f"{action} on {arn}: {decision}")
                        found.setdefault((hook, message), deployed.label)
                # A policy the alias does not wait for may be attached after the hook runs; it
                # matters if some call is allowed with it and not without it.
                for policy, where in policies:
                    if where not in deployed.resources or where in after[alias_id]:
                        continue
                    others = [p for p, w in policies if w != where]
                    needed = [action for action, arn, context in requests
                              if _evaluate(documents, action, arn, context) == iam.ALLOW
                              and _evaluate(others, action, arn, context) != iam.ALLOW]
                    if needed:
                        message = (f"alias {alias_id} does not wait for {where}, which its hook {hook} needs "
                                   f"(for {needed[0]}{' and more' if len(needed) > 1 else ''})")
                        found.setdefault((alias_id, message), deployed.label)
        for alias_id, message in smoke_test_order_problems(deployed, resolver, document, after):
            found.setdefault((alias_id, message), deployed.label)
        for group_id, message in service_role_problems(deployed, resolver):
            found.setdefault((group_id, message), deployed.label)
        for function_id, message in managed_tag_problems(template, deployed, resolver, document):
            found.setdefault((function_id, message), deployed.label)
    head = f"{label_prefix}: " if label_prefix else ""
    return [f"{head}[{combination}] /Resources/{hook}: {message}" for (hook, message), combination in found.items()]


# ---------------------------------------------------------------------------------------------
# template.yaml's installed hooks


def sam_translate(path):
    """template.yaml as CloudFormation deploys it: through aws-sam-translator, as
    tests/parity does, with the local CodeUri `sam package` would upload."""
    sys.path.insert(0, str(ROOT / "tests" / "parity"))
    import samlib  # noqa: PLC0415
    from samtranslator.translator.transform import transform  # noqa: PLC0415

    class NoManagedPolicies:
        def load(self):
            return {}

    template = copy.deepcopy(samlib.load(path))
    functions = (template.get("Globals") or {}).get("Function") or {}
    if "CodeUri" in functions:
        functions["CodeUri"] = "s3://gradual-artifacts/gradual.zip"
    # The translator logs metrics warnings nobody reads here.
    logging.disable(logging.CRITICAL)
    try:
        return transform(template, {}, NoManagedPolicies())
    finally:
        logging.disable(logging.NOTSET)


def installed_hook_violations(path, require_every_binary=True):
    """The installed hooks may act on functions tagged gradual:managed=true, and only on those.
    `require_every_binary`: a template without one of the ready-made hooks is a violation."""
    document = manifest()
    tag_key, tag_value = document["managed_tag"]["key"], document["managed_tag"]["value"]
    template = sam_translate(path)
    problems = {}
    hooks_seen = set()
    for deployed in semantics.deployments(template):
        resolver = resolver_for(template, deployed)
        for hook, resource in sorted(deployed.resources.items()):
            binary = ((resource.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
            if resource.get("Type") != "AWS::Lambda::Function" or binary not in BINARIES:
                continue
            hooks_seen.add(binary)
            role = _role_of(deployed, hook)
            if role is None:
                problems.setdefault((hook, "has no role in the template to check"), deployed.label)
                continue
            documents, unresolved = resolved_documents(resolver, role_policies(deployed, role))
            for problem in unresolved:
                problems.setdefault((hook, problem), deployed.label)
            variables = (((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
            exempt = set()
            if BINARIES[binary] == "pre-traffic":
                exempt |= POST_TRAFFIC_ONLY
            if PRUNING_VARIABLE not in variables:
                exempt |= PRUNING_ONLY
            tagged = Target("orders-api", iam.VERSION, "orders-app", "orders-api-group", {tag_key: tag_value})
            untagged = [Target("other-team-api", iam.VERSION, "orders-app", "orders-api-group", tags)
                        for tags in ({}, {tag_key: "false"})]
            for call in document["calls"]:
                action, form = call["action"], call["resource"]
                if action in exempt:
                    continue
                arn = tagged.arn(form, document)
                decision = _evaluate(documents, action, arn, tagged.context(form, document))
                if decision != iam.ALLOW:
                    problems.setdefault((hook, f"{binary} is not allowed {action} on {arn} "
                                               f"(tagged {tag_key}={tag_value}): {decision}"), deployed.label)
                if form not in FUNCTION_FORMS:
                    # Only calls on a function can be limited to tagged functions.
                    continue
                for other in untagged:
                    arn = other.arn(form, document)
                    decision = _evaluate(documents, action, arn, other.context(form, document))
                    if decision == iam.ALLOW or decision.startswith("unsupported"):
                        problems.setdefault((hook, f"{binary} is allowed {action} on {arn}, a function tagged "
                                                   f"{json.dumps(other.tags)}: {decision}"), deployed.label)
    for binary in sorted(set(BINARIES) - hooks_seen) if require_every_binary else ():
        problems.setdefault(("-", f"no function builds {binary}"), "every combination")
    return [f"{path}: [{combination}] /Resources/{hook}: {message}"
            for (hook, message), combination in problems.items()]
