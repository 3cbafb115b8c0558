"""A small IAM policy evaluator and a resolver from CloudFormation values to concrete strings.

The evaluator follows AWS's documented logic for identity-based policies in one account: an
explicit Deny in any statement wins, otherwise an Allow is needed, otherwise the request is
implicitly denied. Actions match case-insensitively, resources case-sensitively, both with the
`*` and `?` wildcards. Conditions support the string operators, Null, Bool, the ARN operators,
`...IfExists`, and the `ForAnyValue:`/`ForAllValues:` set prefixes; anything else raises
`Unsupported`, so a policy this evaluator does not understand fails a test instead of passing.

The resolver turns `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join` and friends into the strings
CloudFormation would produce in a test account, with deterministic physical names
(`mystack-<LogicalId>-ABC123` unless the template names the resource)."""

import json
import re

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "mystack"
VERSION = "7"


class Unsupported(Exception):
    """A policy construct (operator, value shape) this evaluator does not implement."""


class Unresolvable(Exception):
    """A template value the resolver cannot turn into a concrete string."""


ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"


def _pattern(pattern, ignore_case):
    """IAM wildcards as a regular expression: `*` any run of characters (`:` and `/` included),
    `?` one character, everything else literal."""
    parts = []
    for character in pattern:
        parts.append(".*" if character == "*" else "." if character == "?" else re.escape(character))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(pattern, value, ignore_case=False):
    if not isinstance(pattern, str):
        raise Unsupported(f"pattern {json.dumps(pattern)} is not a string")
    return _pattern(pattern, ignore_case).match(value) is not None


def _as_list(value, what):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise Unsupported(f"{what} {json.dumps(value)} is not a string or a list of strings")


def _values(value):
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    return [_scalar(value)]


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise Unsupported(f"condition value {json.dumps(value)} is not a scalar")


def _string_equals(a, b):
    return a == b


def _string_equals_ignore_case(a, b):
    return a.lower() == b.lower()


def _string_like(value, pattern):
    return matches(pattern, value)


def _bool(a, b):
    return a.lower() == b.lower()


# operator -> (test of one context value against one policy value, negated)
OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_like, False),
    "ArnLike": (_string_like, False),
    "ArnNotEquals": (_string_like, True),
    "ArnNotLike": (_string_like, True),
    "Bool": (_bool, False),
}


def _condition_key(context, key):
    """Condition keys are case-insensitive; tag keys in them keep their case in AWS but the
    tests use one spelling, so a case-insensitive lookup is exact enough."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return value
    return None


def _operator_holds(operator, key, policy_values, context):
    set_prefix = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            set_prefix, operator = prefix, operator[len(prefix):]
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    present = _condition_key(context, key)
    policy_values = _values(policy_values)
    if operator == "Null":
        if set_prefix or if_exists:
            raise Unsupported(f"{operator} with a prefix or IfExists")
        wants_missing = [v.lower() == "true" for v in policy_values]
        return (present is None) in wants_missing
    if operator not in OPERATORS:
        raise Unsupported(f"condition operator {operator}")
    test, negated = OPERATORS[operator]
    if present is None:
        if set_prefix == "ForAllValues:":
            return True
        if if_exists:
            return True
        # A positive operator on a missing key is false; a negated one is true (AWS documents
        # this for StringNotEquals and friends).
        return negated and set_prefix is None
    context_values = _values(present)

    def one(value):
        hit = any(test(value, policy_value) for policy_value in policy_values)
        return not hit if negated else hit

    if set_prefix == "ForAllValues:":
        return all(one(value) for value in context_values)
    if set_prefix == "ForAnyValue:":
        return any(one(value) for value in context_values)
    if len(context_values) != 1:
        raise Unsupported(f"multi-valued key {key} without ForAnyValue/ForAllValues")
    return one(context_values[0])


def conditions_hold(condition, context):
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise Unsupported(f"Condition {json.dumps(condition)} is not an object")
    for operator, block in condition.items():
        if not isinstance(block, dict):
            raise Unsupported(f"Condition {operator} is not an object")
        for key, values in block.items():
            if not _operator_holds(operator, key, values, context):
                return False
    return True


def statement_applies(statement, action, resource, context):
    if "Action" in statement:
        if not any(matches(p, action, ignore_case=True) for p in _as_list(statement["Action"], "Action")):
            return False
    elif "NotAction" in statement:
        if any(matches(p, action, ignore_case=True) for p in _as_list(statement["NotAction"], "NotAction")):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(matches(p, resource) for p in _as_list(statement["Resource"], "Resource")):
            return False
    elif "NotResource" in statement:
        if any(matches(p, resource) for p in _as_list(statement["NotResource"], "NotResource")):
            return False
    else:
        return False
    return conditions_hold(statement.get("Condition"), context)


def statements(document):
    if not isinstance(document, dict):
        raise Unsupported(f"policy document {json.dumps(document)[:100]} is not an object")
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else found


def evaluate(documents, action, resource, context=None):
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for one request against identity policies."""
    context = context or {}
    allowed = False
    for document in documents:
        for statement in statements(document):
            if not isinstance(statement, dict):
                raise Unsupported(f"statement {json.dumps(statement)[:100]} is not an object")
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise Unsupported(f"Effect {json.dumps(effect)}")
            if statement_applies(statement, action, resource, context):
                if effect == "Deny":
                    return EXPLICIT_DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


# ---------------------------------------------------------------------------------------------
# Resolution of template values to concrete strings


NAME_PROPERTIES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::Policy": "PolicyName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
    "AWS::SSM::Parameter": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Logs::LogGroup": "LogGroupName",
}

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Concrete values for one deployed stack. `resources` are the deployed resources (after
    conditions); `parameters` maps parameter names to values, falling back to each
    declaration's Default and then to `<Name>-value`."""

    def __init__(self, resources, declarations=None, mappings=None, parameters=None, assignment=None):
        self.resources = resources
        self.declarations = declarations or {}
        self.mappings = mappings or {}
        self.parameters = parameters or {}
        self.assignment = assignment or {}
        self._depth = 0

    def pseudo(self, name):
        values = {
            "AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION,
            "AWS::StackName": STACK, "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/abc123",
        }
        if name not in values:
            raise Unresolvable(f"pseudo parameter {name}")
        return values[name]

    def parameter(self, name):
        if name in self.parameters:
            return self.parameters[name]
        declaration = self.declarations.get(name)
        if isinstance(declaration, dict) and "Default" in declaration:
            return str(declaration["Default"])
        return f"{name}-value"

    def _resource(self, logical_id):
        resource = self.resources.get(logical_id)
        if not isinstance(resource, dict):
            raise Unresolvable(f"{logical_id} is not a deployed resource")
        return resource

    def physical_name(self, logical_id):
        resource = self._resource(logical_id)
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind in NAME_PROPERTIES and NAME_PROPERTIES[kind] in properties:
            return self.string(properties[NAME_PROPERTIES[kind]])
        return f"{STACK}-{logical_id}-ABC123"

    def function_arn(self, name):
        return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"

    def function_of(self, logical_id):
        """The physical name of the function a version or alias belongs to."""
        value = self.string((self._resource(logical_id).get("Properties") or {}).get("FunctionName"))
        return value.rsplit(":function:", 1)[-1].split(":")[0]

    def ref(self, name):
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if (name in self.declarations or name in self.parameters) and name not in self.resources:
            return self.parameter(name)
        resource = self._resource(name)
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind == "AWS::Lambda::Version":
            return f"{self.function_arn(self.function_of(name))}:{VERSION}"
        if kind == "AWS::Lambda::Alias":
            return f"{self.function_arn(self.function_of(name))}:{self.string(properties.get('Name'))}"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{self.physical_name(name)}"
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{self.physical_name(name)}"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(name)}"
        return self.physical_name(name)

    def get_att(self, logical_id, attribute):
        resource = self._resource(logical_id)
        kind = resource.get("Type")
        if kind == "AWS::Lambda::Function" and attribute == "Arn":
            return self.function_arn(self.physical_name(logical_id))
        if kind == "AWS::Lambda::Version" and attribute == "Version":
            return VERSION
        if kind == "AWS::Lambda::Version" and attribute == "FunctionArn":
            return self.function_arn(self.function_of(logical_id))
        if kind == "AWS::Lambda::Alias" and attribute in ("AliasArn", "Arn"):
            return self.ref(logical_id)
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{self.physical_name(logical_id)}"
        if kind == "AWS::IAM::Role" and attribute == "RoleId":
            return f"AROA{logical_id.upper()[:16]}"
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{self.physical_name(logical_id)}"
        if kind == "AWS::SNS::Topic" and attribute in ("TopicArn", "Arn"):
            return self.ref(logical_id)
        if kind == "AWS::CloudWatch::Alarm" and attribute == "Arn":
            return f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:{self.physical_name(logical_id)}"
        if kind == "AWS::SSM::Parameter" and attribute == "Value":
            return f"{logical_id}-parameter-value"
        if attribute == "Arn":
            service = str(kind).split("::")[1].lower() if str(kind).count("::") == 2 else "unknown"
            return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{self.physical_name(logical_id)}"
        return f"{self.physical_name(logical_id)}.{attribute}"

    def sub(self, argument):
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            text = argument[0]
            variables = argument[1] if len(argument) > 1 and isinstance(argument[1], dict) else {}
        elif isinstance(argument, str):
            text, variables = argument, {}
        else:
            raise Unresolvable(f"Fn::Sub {json.dumps(argument)[:100]}")

        def replace(match):
            body = match.group(1).strip()
            if body.startswith("!"):
                return "${" + body[1:] + "}"
            if body in variables:
                return self.string(variables[body])
            name, _, attribute = body.partition(".")
            if attribute and not name.startswith("AWS::"):
                return self.get_att(name, attribute)
            return self.ref(body)

        return SUB_VARIABLE.sub(replace, text)

    def string(self, value):
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if isinstance(resolved, (int, float)):
            return str(resolved)
        if not isinstance(resolved, str):
            raise Unresolvable(f"{json.dumps(value)[:100]} is not a string")
        return resolved

    def resolve(self, value):
        """`value` with every intrinsic function replaced by its concrete result."""
        self._depth += 1
        try:
            if self._depth > 50:
                raise Unresolvable("references nest too deep (a cycle?)")
            return self._resolve(value)
        finally:
            self._depth -= 1

    def _resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        name, argument = next(iter(value.items()))
        if name == "Ref" and isinstance(argument, str):
            return self.ref(argument)
        if name == "Fn::GetAtt":
            if isinstance(argument, str):
                argument = argument.split(".", 1)
            if isinstance(argument, list) and len(argument) == 2:
                return self.get_att(self.string(argument[0]), self.string(argument[1]))
            raise Unresolvable(f"Fn::GetAtt {json.dumps(argument)}")
        if name == "Fn::Sub":
            return self.sub(argument)
        if name == "Fn::Join":
            if isinstance(argument, list) and len(argument) == 2:
                parts = self.resolve(argument[1])
                if isinstance(parts, list):
                    return self.string(argument[0]).join(self.string(p) for p in parts)
            raise Unresolvable(f"Fn::Join {json.dumps(argument)[:100]}")
        if name == "Fn::If":
            if isinstance(argument, list) and len(argument) == 3 and argument[0] in self.assignment:
                return self.resolve(argument[1] if self.assignment[argument[0]] else argument[2])
            raise Unresolvable(f"Fn::If {json.dumps(argument)[:100]} without that condition's value")
        if name == "Fn::Select":
            if isinstance(argument, list) and len(argument) == 2:
                items = self.resolve(argument[1])
                index = int(self.string(argument[0]))
                if isinstance(items, list) and 0 <= index < len(items):
                    return items[index]
            raise Unresolvable(f"Fn::Select {json.dumps(argument)[:100]}")
        if name == "Fn::Split":
            if isinstance(argument, list) and len(argument) == 2:
                return self.string(argument[1]).split(self.string(argument[0]))
            raise Unresolvable(f"Fn::Split {json.dumps(argument)[:100]}")
        if name == "Fn::FindInMap":
            if isinstance(argument, list) and len(argument) >= 3:
                keys = [self.string(a) for a in argument[:3]]
                try:
                    return self.resolve(self.mappings[keys[0]][keys[1]][keys[2]])
                except (KeyError, TypeError):
                    raise Unresolvable(f"Fn::FindInMap {keys}") from None
            raise Unresolvable(f"Fn::FindInMap {json.dumps(argument)[:100]}")
        if name == "Fn::ImportValue":
            # An export of another stack: a name no test ARN can equal by accident.
            return f"imported-{self.string(argument)}"
        if name.startswith("Fn::"):
            raise Unresolvable(f"{name} is not supported by the test resolver")
        return {name: self.resolve(argument)}
