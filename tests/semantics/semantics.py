"""Deployment semantics: what CloudFormation does with a template at run time.

cfn-lint reads a template as written; CloudFormation deploys it under one set of condition
values, after dropping the resources and outputs whose condition is false and resolving
`Fn::If` and `AWS::NoValue`. A template can be lint-clean and still fail to deploy (or deploy
something broken) under a combination nobody tried. This module enumerates the combinations,
resolves the template under each one as CloudFormation would, and checks what must hold in
every deployed stack:

- no `Ref`, `Fn::GetAtt`, `Fn::Sub` variable or `DependsOn` names a dropped or missing resource;
- no IAM statement is left without actions or resources, no policy without statements;
- inline policy names are unique per role (IAM keeps only the last one written);
- logical IDs fit CloudFormation's 255 characters.

`violations(template, label)` runs these and the hook-permission checks of `hooks.py`; it is
what the golden test (tests/semantics.rs) and the SAM-parity and real-world runners call.

Templates are JSON with long-form intrinsics (`{"Ref": ...}`, `{"Fn::If": ...}`), as gradual
writes them."""

import itertools
import json
import random
import re

MAX_COMBINATIONS = 64
LOGICAL_ID_LIMIT = 255

PSEUDO_PARAMETERS = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

# `${Name}` and `${Name.Attribute}` in Fn::Sub; `${!Literal}` is written out as `${Literal}`.
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Path(str):
    """A JSON pointer into the template as written (not as resolved), so a report points at
    the text to change."""

    def child(self, key):
        return Path(f"{self}/{str(key).replace('~', '~0').replace('/', '~1')}")


class RDict(dict):
    """A resolved object, remembering where in the written template it and each of its values
    came from (a value chosen by Fn::If was written in that branch)."""

    path = Path("")
    paths = {}


class RList(list):
    """A resolved list; `paths[i]` is where its i-th element was written (elements that
    resolved to AWS::NoValue are gone, so indices shift)."""

    path = Path("")
    paths = ()


def path_of(container, key):
    """Where `container[key]` was written."""
    if isinstance(container, RList):
        return container.paths[key]
    if isinstance(container, RDict) and key in container.paths:
        return container.paths[key]
    return getattr(container, "path", Path("")).child(key)


NO_VALUE = object()


def is_no_value(value):
    return isinstance(value, dict) and len(value) == 1 and value.get("Ref") == "AWS::NoValue"


def intrinsic(value):
    """(name, argument) when `value` is an intrinsic function or a Ref, else None."""
    if isinstance(value, dict) and len(value) == 1:
        name, argument = next(iter(value.items()))
        if name == "Ref" or name == "Condition" or name.startswith("Fn::"):
            return name, argument
    return None


# ---------------------------------------------------------------------------------------------
# Conditions


OTHER_VALUE = "\u0000any other value"


class ConditionSpace:
    """The free variables of a template's Conditions and how every condition follows from them.

    A condition that names no other condition is free: CloudFormation computes it from
    parameters this check does not know, so more than one value is possible.
    `Fn::Equals [!Ref P, literal]` reads one variable, P's value, over the literals P is
    compared with (or P's AllowedValues) and "any other value": `IsDev` and `IsProd` over the
    same parameter never both hold, and `IsProd` and `IsNotProd` never agree. Other expressions
    over parameters are booleans, shared when identical. An expression of literals only
    (`Fn::Equals [true, false]`, as SAM's test templates write a stand-in for a parameter) is a
    boolean of its own, as the brief for these checks asks: every combination. Compound
    conditions (`Fn::And`/`Fn::Or`/`Fn::Not` over `{"Condition": ...}`) are evaluated from the
    free ones; an expression inside them that names no condition is free itself."""

    def __init__(self, conditions, parameters=None):
        self.conditions = conditions if isinstance(conditions, dict) else {}
        self.parameters = parameters if isinstance(parameters, dict) else {}
        self.variables = {}  # key -> index
        self.domains = []  # index -> the values that variable takes
        self._compared = {}  # index of a parameter's variable -> (parameter, literals compared with it)
        self.problems = []
        self._compiled = {}
        for name in sorted(self.conditions):
            self._compile_condition(name, ())
        for index, (parameter, literals) in self._compared.items():
            self.domains[index] = self._domain(parameter, literals)

    def _domain(self, parameter, literals):
        declaration = self.parameters.get(parameter)
        allowed = declaration.get("AllowedValues") if isinstance(declaration, dict) else None
        if isinstance(allowed, list) and allowed and all(_is_literal(v) for v in allowed):
            return sorted({_literal(v) for v in allowed})
        return sorted(literals) + [OTHER_VALUE]

    def _variable(self, key, domain):
        if key not in self.variables:
            self.variables[key] = len(self.domains)
            self.domains.append(domain)
        return self.variables[key]

    def _atom(self, key):
        index = self._variable(("boolean", key), [False, True])
        return lambda values: values[index]

    def _parameter_equals(self, parameter, literal):
        index = self._variable(("parameter", parameter), None)
        self._compared.setdefault(index, (parameter, set()))[1].add(literal)
        return lambda values: values[index] == literal

    def _compile_condition(self, name, stack):
        if name in self._compiled:
            return self._compiled[name]
        if name in stack:
            self.problems.append(f"/Conditions/{name}: condition refers to itself through {' -> '.join(stack)}")
            return lambda values: False
        if name not in self.conditions:
            self.problems.append(f"condition {name} is used but not defined in Conditions")
            self._compiled[name] = lambda values: False
            return self._compiled[name]
        compiled = self._compile(self.conditions[name], stack + (name,), f"/Conditions/{name}")
        self._compiled[name] = compiled
        return compiled

    def _compile(self, expression, stack, where):
        if not _names_conditions(expression):
            return self._compile_free(expression, where)
        function = intrinsic(expression)
        if function is None:
            return self._atom(where)
        name, argument = function
        if name == "Condition" and isinstance(argument, str):
            return self._compile_condition(argument, stack)
        parts = [self._compile(part, stack, f"{where}/{name}/{i}")
                 for i, part in enumerate(argument)] if isinstance(argument, list) else []
        if name == "Fn::And":
            return lambda values: all(part(values) for part in parts)
        if name == "Fn::Or":
            return lambda values: any(part(values) for part in parts)
        if name == "Fn::Not" and len(parts) == 1:
            return lambda values: not parts[0](values)
        return self._atom(where)

    def _compile_free(self, expression, where):
        if not _names_refs(expression):
            return self._atom(where)
        function = intrinsic(expression)
        if function and function[0] in ("Fn::Not", "Fn::And", "Fn::Or") and isinstance(function[1], list) \
                and function[1] and (function[0] != "Fn::Not" or len(function[1]) == 1):
            parts = [self._compile_free(part, f"{where}/{function[0]}/{i}") for i, part in enumerate(function[1])]
            if function[0] == "Fn::Not":
                return lambda values: not parts[0](values)
            if function[0] == "Fn::And":
                return lambda values: all(part(values) for part in parts)
            return lambda values: any(part(values) for part in parts)
        if function and function[0] == "Fn::Equals" and isinstance(function[1], list) and len(function[1]) == 2:
            for one, other in (function[1], function[1][::-1]):
                reference = intrinsic(one)
                if reference and reference[0] == "Ref" and isinstance(reference[1], str) and _is_literal(other):
                    return self._parameter_equals(reference[1], _literal(other))
            # Equality is symmetric: [a, b] and [b, a] are one boolean.
            expression = {"Fn::Equals": sorted(function[1], key=lambda v: json.dumps(v, sort_keys=True))}
        return self._atom(json.dumps(expression, sort_keys=True))

    def evaluate(self, values):
        """Every condition's value, given one value per free variable."""
        return {name: bool(self._compile_condition(name, ())(values)) for name in sorted(self.conditions)}

    def combinations(self, limit=MAX_COMBINATIONS):
        """Distinct assignments of every condition: all of them when the free variables allow at
        most `limit`, else a deterministic sample: every variable at its first and at its last
        value, each variable alone at each of its values, then seeded random ones up to `limit`."""
        total = 1
        for domain in self.domains:
            total *= len(domain)
        candidates = itertools.product(*self.domains) if total <= limit else _sample(self.domains, limit)
        seen = set()
        result = []
        for values in candidates:
            assignment = self.evaluate(tuple(values))
            key = tuple(sorted(assignment.items()))
            if key not in seen:
                seen.add(key)
                result.append(assignment)
        return result or [{}]


def _sample(domains, limit):
    first = tuple(domain[0] for domain in domains)
    last = tuple(domain[-1] for domain in domains)
    yield first
    yield last
    for i, domain in enumerate(domains):
        for value in domain:
            yield first[:i] + (value,) + first[i + 1:]
            yield last[:i] + (value,) + last[i + 1:]
    generator = random.Random(len(domains))
    for _ in range(limit):
        yield tuple(generator.choice(domain) for domain in domains)


def _is_literal(value):
    return isinstance(value, (str, int, float, bool))


def _literal(value):
    """A literal as CloudFormation compares it: as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _names_refs(expression):
    if isinstance(expression, dict):
        if len(expression) == 1 and "Ref" in expression:
            return True
        return any(_names_refs(v) for v in expression.values())
    if isinstance(expression, list):
        return any(_names_refs(v) for v in expression)
    return False


def _names_conditions(expression):
    if isinstance(expression, dict):
        if len(expression) == 1 and "Condition" in expression:
            return True
        return any(_names_conditions(v) for v in expression.values())
    if isinstance(expression, list):
        return any(_names_conditions(v) for v in expression)
    return False


def label(assignment):
    """A combination as a report names it."""
    if not assignment:
        return "no conditions"
    return ", ".join(f"{name}={'true' if value else 'false'}" for name, value in sorted(assignment.items()))


# ---------------------------------------------------------------------------------------------
# Resolution


class Deployed:
    """A template as CloudFormation deploys it under one combination of condition values."""

    def __init__(self, template, assignment):
        self.template = template
        self.assignment = assignment
        self.label = label(assignment)
        self.problems = []  # (path, message)
        self.parameters = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
        self.resources = {}
        self.dropped = {}  # logical ID -> the condition that dropped it
        self.outputs = {}
        resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            condition = resource.get("Condition")
            if condition is not None and not self.holds(condition, Path("/Resources").child(logical_id).child("Condition")):
                self.dropped[logical_id] = condition
                continue
            self.resources[logical_id] = self.resolve(resource, Path("/Resources").child(logical_id))
        outputs = template.get("Outputs") if isinstance(template.get("Outputs"), dict) else {}
        for name, output in outputs.items():
            if not isinstance(output, dict):
                continue
            condition = output.get("Condition")
            if condition is not None and not self.holds(condition, Path("/Outputs").child(name).child("Condition")):
                continue
            self.outputs[name] = self.resolve(output, Path("/Outputs").child(name))

    def holds(self, condition, path):
        if not isinstance(condition, str) or condition not in self.assignment:
            self.problems.append((path, f"condition {json.dumps(condition)} is not defined in Conditions"))
            return False
        return self.assignment[condition]

    def written_at(self, value, path):
        """Where the value `value` resolves to was written: inside the Fn::If branch chosen."""
        while True:
            function = intrinsic(value)
            if not (function and function[0] == "Fn::If" and isinstance(function[1], list) and len(function[1]) == 3):
                return path
            name = function[1][0]
            chosen = 1 if isinstance(name, str) and self.assignment.get(name) else 2
            value, path = function[1][chosen], path.child("Fn::If").child(chosen)

    def resolve(self, value, path):
        """`value` with Fn::If decided and AWS::NoValue removed; NO_VALUE when it is itself
        AWS::NoValue."""
        if isinstance(value, dict):
            if is_no_value(value):
                return NO_VALUE
            function = intrinsic(value)
            if function and function[0] == "Fn::If":
                argument = function[1]
                if not (isinstance(argument, list) and len(argument) == 3):
                    self.problems.append((path, "Fn::If needs [condition, value if true, value if false]"))
                    return NO_VALUE
                chosen = 1 if self.holds(argument[0], path.child("Fn::If").child(0)) else 2
                return self.resolve(argument[chosen], path.child("Fn::If").child(chosen))
            if function and function[0] == "Fn::Sub" and isinstance(function[1], list) and len(function[1]) == 2 \
                    and isinstance(function[1][1], dict):
                # CloudFormation documents AWS::NoValue only as a property's value; as a Sub
                # variable it would leave `${Name}` naming something else, or nothing.
                for name, variable in function[1][1].items():
                    if self.resolve(variable, path) is NO_VALUE:
                        self.problems.append((path.child("Fn::Sub").child(1).child(name),
                                              f"Fn::Sub variable {name} is AWS::NoValue"))
            resolved = RDict()
            resolved.path = path
            resolved.paths = {}
            for key, item in value.items():
                resolved.paths[key] = self.written_at(item, path.child(key))
                item = self.resolve(item, path.child(key))
                if item is NO_VALUE:
                    if function:
                        self.problems.append((path, f"the argument of {key} is AWS::NoValue under {self.label}"))
                    continue
                resolved[key] = item
            return resolved
        if isinstance(value, list):
            resolved = RList()
            resolved.path = path
            paths = []
            for index, item in enumerate(value):
                written = self.written_at(item, path.child(index))
                item = self.resolve(item, path.child(index))
                if item is NO_VALUE:
                    continue
                resolved.append(item)
                paths.append(written)
            resolved.paths = tuple(paths)
            return resolved
        return value


# ---------------------------------------------------------------------------------------------
# Checks on one deployed stack


def _walk(value, path):
    """Every (node, path) under `value`, dicts and lists included."""
    yield value, path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, path_of(value, key) if isinstance(value, RDict) else path.child(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path_of(value, index) if isinstance(value, RList) else path.child(index))


def sub_names(argument):
    """The names a Fn::Sub refers to: (name, attribute or None) for every `${...}` that is not a
    literal `${!...}` and not one of its own variables."""
    if isinstance(argument, list) and argument:
        text = argument[0]
        variables = argument[1] if len(argument) > 1 and isinstance(argument[1], dict) else {}
    else:
        text, variables = argument, {}
    if not isinstance(text, str):
        return []
    found = []
    for match in SUB_VARIABLE.finditer(text):
        body = match.group(1).strip()
        if body.startswith("!") or body in variables:
            continue
        name, _, attribute = body.partition(".")
        found.append((name, attribute or None))
    return found


def referenced(node):
    """(kind, logical ID or name) for each reference `node` makes itself (not its children)."""
    function = intrinsic(node)
    if not function:
        return []
    name, argument = function
    if name == "Ref" and isinstance(argument, str):
        return [("Ref", argument)]
    if name == "Fn::GetAtt":
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            return [("Fn::GetAtt", argument[0])]
        if isinstance(argument, str):
            return [("Fn::GetAtt", argument.split(".", 1)[0])]
    if name == "Fn::Sub":
        return [("Fn::Sub", variable if attribute is None else f"{variable}.{attribute}")
                for variable, attribute in sub_names(argument)]
    return []


def check_references(deployed):
    problems = []

    def check(kind, target, path, where):
        if kind == "Fn::Sub":
            base, _, attribute = target.partition(".")
        else:
            base, attribute = target, None
        if base.startswith("AWS::"):
            if base == "AWS::NoValue" and kind == "Fn::Sub":
                problems.append((path, f"{where}: Fn::Sub over ${{AWS::NoValue}}, which has no value"))
            elif base not in PSEUDO_PARAMETERS:
                problems.append((path, f"{where}: {kind} to unknown pseudo parameter {base}"))
            return
        if kind in ("Ref", "Fn::Sub") and not attribute and base in deployed.parameters:
            return
        if base in deployed.resources:
            return
        if base in deployed.dropped:
            problems.append((path, f"{where}: {kind} to {target}, which is not deployed: "
                                   f"its condition {deployed.dropped[base]} is false"))
        else:
            problems.append((path, f"{where}: {kind} to {target}, which is not in the template"))

    sections = [("resource", deployed.resources), ("output", deployed.outputs)]
    for section, entries in sections:
        for logical_id, entry in entries.items():
            where = f"{section} {logical_id}"
            for key, item in entry.items():
                if key in ("Type", "Condition"):
                    continue
                for node, path in _walk(item, path_of(entry, key)):
                    for kind, target in referenced(node):
                        check(kind, target, path, where)
            if section == "resource":
                depends = entry.get("DependsOn")
                targets = depends if isinstance(depends, list) else [depends] if depends is not None else []
                for index, target in enumerate(targets):
                    path = path_of(depends, index) if isinstance(depends, RList) else path_of(entry, "DependsOn")
                    if not isinstance(target, str):
                        problems.append((path, f"{where}: DependsOn entry {json.dumps(target)} is not a logical ID"))
                    elif target in deployed.dropped:
                        problems.append((path, f"{where}: DependsOn {target}, which is not deployed: "
                                               f"its condition {deployed.dropped[target]} is false"))
                    elif target not in deployed.resources:
                        problems.append((path, f"{where}: DependsOn {target}, which is not in the template"))
    return problems


def policy_documents(resource):
    """(document, path, is_trust_policy) for every IAM policy document a resource carries."""
    properties = resource.get("Properties")
    if not isinstance(properties, dict):
        return
    kind = resource.get("Type")
    if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        if "PolicyDocument" in properties:
            yield properties["PolicyDocument"], path_of(properties, "PolicyDocument"), False
    if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
        if kind == "AWS::IAM::Role" and "AssumeRolePolicyDocument" in properties:
            yield properties["AssumeRolePolicyDocument"], path_of(properties, "AssumeRolePolicyDocument"), True
        policies = properties.get("Policies")
        if isinstance(policies, list):
            for policy in policies:
                if isinstance(policy, dict) and "PolicyDocument" in policy:
                    yield policy["PolicyDocument"], path_of(policy, "PolicyDocument"), False


def check_policies(deployed):
    problems = []
    for logical_id, resource in deployed.resources.items():
        where = f"resource {logical_id}"
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        kind = resource.get("Type")
        if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            policies = properties.get("Policies")
            if isinstance(policies, list):
                for index, policy in enumerate(policies):
                    path = path_of(policies, index)
                    if not isinstance(policy, dict) or not policy:
                        problems.append((path, f"{where}: empty entry in Policies"))
                        continue
                    for required in ("PolicyName", "PolicyDocument"):
                        if required not in policy:
                            problems.append((path, f"{where}: Policies entry without {required}"))
        if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            if "PolicyDocument" not in properties:
                problems.append((properties.path, f"{where}: no PolicyDocument"))
        if kind == "AWS::IAM::Policy":
            if not any(isinstance(properties.get(k), list) and properties.get(k) for k in ("Roles", "Users", "Groups")):
                problems.append((properties.path, f"{where}: no Roles, Users or Groups left to attach the policy to"))
        for document, path, trust in policy_documents(resource):
            problems += _check_document(document, path, trust, where)
    return problems


def _check_document(document, path, trust, where):
    if not isinstance(document, dict):
        return [] if intrinsic(document) else [(path, f"{where}: policy document is not an object")]
    if "Statement" not in document:
        return [(path, f"{where}: policy document has no Statement")]
    statements = document["Statement"]
    statements_path = path_of(document, "Statement")
    if isinstance(statements, dict):
        statements = RList([statements])
        statements.paths = (statements_path,)
    if not isinstance(statements, list):
        return [] if intrinsic(statements) else [(statements_path, f"{where}: Statement is not a list")]
    if not statements:
        return [(statements_path, f"{where}: empty Statement list")]
    problems = []
    for index, statement in enumerate(statements):
        spath = statements.paths[index] if isinstance(statements, RList) else statements_path.child(index)
        if not isinstance(statement, dict):
            continue
        pairs = [("Action", "NotAction")] if trust else [("Action", "NotAction"), ("Resource", "NotResource")]
        for positive, negative in pairs:
            present = [k for k in (positive, negative) if k in statement]
            if not present:
                problems.append((spath, f"{where}: statement has neither {positive} nor {negative}"))
            for key in present:
                value = statement[key]
                if value == [] or value == "":
                    problems.append((path_of(statement, key), f"{where}: empty {key}"))
    return problems


def role_key(deployed, value):
    """A stable identity for the role an IAM::Policy's Roles entry names: the logical ID for a
    Ref (or a literal equal to an in-template role's RoleName), else the written value."""
    function = intrinsic(value)
    if function and function[0] == "Ref" and isinstance(function[1], str):
        return function[1]
    if isinstance(value, str):
        for logical_id, resource in deployed.resources.items():
            if resource.get("Type") == "AWS::IAM::Role" and (resource.get("Properties") or {}).get("RoleName") == value:
                return logical_id
        return value
    return json.dumps(value, sort_keys=True)


def check_policy_names(deployed):
    """IAM keeps one inline policy per (role, name): a second one written with the same name
    replaces the first, and deleting either resource removes the survivor."""
    seen = {}  # (role, name) -> where it was first written
    problems = []
    for logical_id, resource in deployed.resources.items():
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        if resource.get("Type") == "AWS::IAM::Role" and isinstance(properties.get("Policies"), list):
            for index, policy in enumerate(properties["Policies"]):
                if isinstance(policy, dict) and "PolicyName" in policy:
                    entries = [(logical_id, json.dumps(policy["PolicyName"], sort_keys=True),
                                path_of(properties["Policies"], index))]
                    problems += _record(seen, entries, f"role {logical_id}'s Policies")
        if resource.get("Type") == "AWS::IAM::Policy" and isinstance(properties.get("Roles"), list) \
                and "PolicyName" in properties:
            name = json.dumps(properties["PolicyName"], sort_keys=True)
            entries = [(role_key(deployed, role), name, path_of(properties["Roles"], index))
                       for index, role in enumerate(properties["Roles"])]
            problems += _record(seen, entries, f"resource {logical_id}")
    return problems


def _record(seen, entries, where):
    problems = []
    for role, name, path in entries:
        key = (role, name)
        if key in seen:
            problems.append((path, f"{where}: inline policy {name} on role {role} is also written by {seen[key]}; "
                                   "IAM keeps only one"))
        else:
            seen[key] = where
    return problems


def check_logical_ids(template):
    problems = []
    for section in ("Resources", "Outputs", "Parameters", "Conditions"):
        entries = template.get(section)
        if isinstance(entries, dict):
            for name in entries:
                if len(name) > LOGICAL_ID_LIMIT:
                    problems.append((Path(f"/{section}").child(name),
                                     f"logical ID is {len(name)} characters; CloudFormation allows {LOGICAL_ID_LIMIT}"))
    return problems


def combinations(template):
    space = ConditionSpace(template.get("Conditions"), template.get("Parameters"))
    return space, space.combinations()


def deployments(template):
    """One `Deployed` per combination checked."""
    _, assignments = combinations(template)
    return [Deployed(template, assignment) for assignment in assignments]


def structural_violations(template, label_prefix=""):
    """Every structural violation, one line each, de-duplicated across combinations (the first
    combination that shows one names it)."""
    if not isinstance(template, dict):
        return [f"{label_prefix}: not a JSON object"]
    space, assignments = combinations(template)
    found = {}
    for path_message in [(Path(""), p) for p in space.problems] + check_logical_ids(template):
        found.setdefault(path_message, "every combination")
    for assignment in assignments:
        deployed = Deployed(template, assignment)
        for problem in (deployed.problems + check_references(deployed) + check_policies(deployed)
                        + check_policy_names(deployed)):
            found.setdefault(problem, deployed.label)
    return [_line(label_prefix, combination, path, message) for (path, message), combination in found.items()]


def _line(prefix, combination, path, message):
    head = f"{prefix}: " if prefix else ""
    return f"{head}[{combination}] {path or '/'}: {message}"


SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def deployable(template):
    """`template` as CloudFormation receives it after the transforms it still names: an output
    of `Transform: [Gradual, AWS::Serverless-2016-10-31]` goes through aws-sam-translator (as
    cfn-lint does), since `Ref: Api.Stage` and friends mean something only to SAM."""
    transforms = template.get("Transform") if isinstance(template, dict) else None
    transforms = transforms if isinstance(transforms, list) else [transforms]
    if SAM_TRANSFORM not in transforms:
        return template
    import logging  # noqa: PLC0415 (only SAM outputs need the translator)

    from samtranslator.translator.transform import transform  # noqa: PLC0415

    class NoManagedPolicies:
        def load(self):
            return {}

    parameters = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
    values = {name: "1" if (declaration.get("Type") == "Number") else "placeholder"
              for name, declaration in parameters.items()
              if isinstance(declaration, dict) and "Default" not in declaration}
    logging.disable(logging.CRITICAL)
    try:
        return transform(json.loads(json.dumps(template)), values, NoManagedPolicies())
    finally:
        logging.disable(logging.NOTSET)


def violations(template, label_prefix=""):
    """Structural and hook-permission violations of one output; empty when it deploys."""
    import hooks  # noqa: PLC0415 (hooks imports this module)

    try:
        template = deployable(template)
    except Exception as error:  # noqa: BLE001 (SAM's own errors are many classes)
        return [f"{label_prefix}: the SAM transform the output still names fails: {type(error).__name__}: {error}"]
    return structural_violations(template, label_prefix) + hooks.hook_violations(template, label_prefix)
