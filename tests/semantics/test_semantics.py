"""Condition combinations, resolution and the structural checks, each on a template that
breaks exactly one rule (and its repaired twin, which must pass)."""

import copy
import unittest

import semantics

ROLE_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def template(resources, conditions=None, outputs=None, parameters=None):
    result = {"Resources": resources}
    if conditions:
        result["Conditions"] = conditions
    if outputs:
        result["Outputs"] = outputs
    if parameters:
        result["Parameters"] = parameters
    return result


def equals(parameter, value):
    return {"Fn::Equals": [{"Ref": parameter}, value]}


def topic(**extra):
    return dict({"Type": "AWS::SNS::Topic", "Properties": {}}, **extra)


def no_value():
    return {"Ref": "AWS::NoValue"}


class Combinations(unittest.TestCase):
    def test_no_conditions_is_one_combination(self):
        self.assertEqual(semantics.ConditionSpace({}).combinations(), [{}])

    def test_free_conditions_take_every_combination(self):
        space = semantics.ConditionSpace({"A": equals("P", "a"), "B": equals("Q", "b"), "C": equals("R", "c")})
        combinations = space.combinations()
        self.assertEqual(len(combinations), 8)
        self.assertEqual(len({tuple(sorted(c.items())) for c in combinations}), 8)

    def test_compound_conditions_follow_the_free_ones(self):
        space = semantics.ConditionSpace({
            "A": equals("P", "a"), "B": equals("Q", "b"),
            "Both": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
            "Either": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
            "NotA": {"Fn::Not": [{"Condition": "A"}]},
        })
        combinations = space.combinations()
        self.assertEqual(len(combinations), 4)
        for c in combinations:
            self.assertEqual(c["Both"], c["A"] and c["B"])
            self.assertEqual(c["Either"], c["A"] or c["B"])
            self.assertEqual(c["NotA"], not c["A"])

    def test_identical_expressions_over_parameters_agree(self):
        space = semantics.ConditionSpace({
            "IsProd": equals("Stage", "prod"),
            "AlsoProd": {"Fn::Equals": ["prod", {"Ref": "Stage"}]},
            "IsNotProd": {"Fn::Not": [equals("Stage", "prod")]},
        })
        combinations = space.combinations()
        self.assertEqual(len(combinations), 2)
        for c in combinations:
            self.assertEqual(c["IsProd"], c["AlsoProd"])
            self.assertNotEqual(c["IsProd"], c["IsNotProd"])

    def test_comparisons_of_one_parameter_are_one_variable(self):
        conditions = {"IsDev": equals("Stage", "dev"), "IsProd": equals("Stage", "prod"),
                      "IsTest": {"Fn::Equals": ["test", {"Ref": "Stage"}]},
                      "Either": {"Fn::Or": [equals("Stage", "dev"), equals("Stage", "prod")]}}
        combinations = semantics.ConditionSpace(conditions).combinations()
        # dev, prod, test, or anything else
        self.assertEqual(len(combinations), 4)
        for c in combinations:
            self.assertLessEqual(c["IsDev"] + c["IsProd"] + c["IsTest"], 1)
            self.assertEqual(c["Either"], c["IsDev"] or c["IsProd"])
        self.assertIn({"IsDev": False, "IsProd": False, "IsTest": False, "Either": False}, combinations)

    def test_allowed_values_bound_a_parameter(self):
        conditions = {"IsDev": equals("Stage", "dev"), "IsProd": equals("Stage", "prod")}
        parameters = {"Stage": {"Type": "String", "AllowedValues": ["dev", "prod"]}}
        combinations = semantics.ConditionSpace(conditions, parameters).combinations()
        self.assertEqual(sorted((c["IsDev"], c["IsProd"]) for c in combinations), [(False, True), (True, False)])

    def test_literal_conditions_are_free_each(self):
        # SAM's test templates stand a parameter in with `Fn::Equals [true, false]`.
        space = semantics.ConditionSpace({"C2": {"Fn::Equals": [True, False]}, "C3": {"Fn::Equals": [True, False]}})
        self.assertEqual(len(space.combinations()), 4)

    def test_beyond_the_limit_a_deterministic_sample(self):
        conditions = {f"C{i}": equals(f"P{i}", "x") for i in range(12)}
        first = semantics.ConditionSpace(conditions).combinations()
        second = semantics.ConditionSpace(conditions).combinations()
        self.assertEqual(first, second)
        self.assertGreaterEqual(len(first), semantics.MAX_COMBINATIONS)
        self.assertLess(len(first), 2 ** 12)
        values = [tuple(c[f"C{i}"] for i in range(12)) for c in first]
        self.assertIn((False,) * 12, values)
        self.assertIn((True,) * 12, values)
        for i in range(12):
            self.assertIn(tuple(j == i for j in range(12)), values)

    def test_undefined_and_cyclic_conditions_are_reported(self):
        space = semantics.ConditionSpace({"A": {"Condition": "B"}, "B": {"Condition": "A"}, "C": {"Condition": "Nope"}})
        space.combinations()
        text = "\n".join(space.problems)
        self.assertIn("refers to itself", text)
        self.assertIn("Nope", text)


class Resolution(unittest.TestCase):
    def test_false_conditions_drop_resources_and_outputs(self):
        t = template({"T": topic(Condition="C"), "U": topic()}, {"C": equals("P", "x")},
                     outputs={"O": {"Condition": "C", "Value": "v"}})
        deployed = semantics.Deployed(t, {"C": False})
        self.assertEqual(set(deployed.resources), {"U"})
        self.assertEqual(deployed.dropped, {"T": "C"})
        self.assertEqual(deployed.outputs, {})

    def test_if_and_no_value_in_lists_objects_and_properties(self):
        t = template({"T": topic(Properties={
            "A": {"Fn::If": ["C", "yes", no_value()]},
            "L": ["keep", {"Fn::If": ["C", no_value(), "other"]}, no_value(), "last"],
            "O": {"K": no_value(), "J": 1},
        })}, {"C": equals("P", "x")})
        properties = semantics.Deployed(t, {"C": True}).resources["T"]["Properties"]
        self.assertEqual(properties, {"A": "yes", "L": ["keep", "last"], "O": {"J": 1}})
        self.assertEqual(properties["L"].paths, ("/Resources/T/Properties/L/0", "/Resources/T/Properties/L/3"))
        properties = semantics.Deployed(t, {"C": False}).resources["T"]["Properties"]
        self.assertEqual(properties, {"L": ["keep", "other", "last"], "O": {"J": 1}})
        self.assertEqual(properties["L"].paths[1], "/Resources/T/Properties/L/1/Fn::If/2")


def found(t):
    return "\n".join(semantics.structural_violations(t, "t"))


def policy_resource(statement, **properties):
    return {"Type": "AWS::IAM::Policy", "Properties": dict({
        "PolicyName": "p", "Roles": [{"Ref": "Role"}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}, **properties)}


def role(**properties):
    return {"Type": "AWS::IAM::Role", "Properties": dict({"AssumeRolePolicyDocument": ROLE_TRUST}, **properties)}


class References(unittest.TestCase):
    conditions = {"C": equals("P", "x")}

    def assert_dangling(self, referring, kind):
        broken = template({"T": topic(Condition="C"), "U": topic(Properties={"X": referring})}, self.conditions,
                          parameters={"P": {"Type": "String"}})
        text = found(broken)
        self.assertIn(f"{kind} to T", text)
        self.assertIn("[C=false]", text)
        self.assertIn("/Resources/U/Properties/X", text)
        self.assertIn("condition C is false", text)
        repaired = copy.deepcopy(broken)
        repaired["Resources"]["U"]["Condition"] = "C"
        self.assertEqual(found(repaired), "")

    def test_ref(self):
        self.assert_dangling({"Ref": "T"}, "Ref")

    def test_get_att_both_spellings(self):
        self.assert_dangling({"Fn::GetAtt": ["T", "TopicName"]}, "Fn::GetAtt")
        self.assert_dangling({"Fn::GetAtt": "T.TopicName"}, "Fn::GetAtt")

    def test_sub_both_forms(self):
        self.assert_dangling({"Fn::Sub": "arn:${AWS::Partition}:x:${T}"}, "Fn::Sub")
        self.assert_dangling({"Fn::Sub": "${T.TopicName}"}, "Fn::Sub")
        self.assert_dangling({"Fn::Sub": ["${V}-${T}", {"V": "v"}]}, "Fn::Sub")

    def test_sub_literals_pseudo_parameters_and_variables_are_not_references(self):
        t = template({"U": topic(Properties={
            "X": {"Fn::Sub": ["${!Literal}-${AWS::Region}-${V}-${P}", {"V": {"Ref": "AWS::StackName"}}]}})},
            parameters={"P": {"Type": "String"}})
        self.assertEqual(found(t), "")

    def test_depends_on(self):
        self.assert_dangling_depends("T")
        t = template({"U": topic(DependsOn=["Missing"])})
        self.assertIn("DependsOn Missing, which is not in the template", found(t))

    def assert_dangling_depends(self, target):
        t = template({"T": topic(Condition="C"), "U": topic(DependsOn=target)}, self.conditions)
        self.assertIn("DependsOn T, which is not deployed", found(t))

    def test_outputs_and_if_branches(self):
        t = template({"T": topic(Condition="C")}, self.conditions, outputs={"O": {"Value": {"Ref": "T"}}})
        self.assertIn("output O: Ref to T", found(t))
        guarded = template({"T": topic(Condition="C")}, self.conditions,
                           outputs={"O": {"Value": {"Fn::If": ["C", {"Ref": "T"}, "none"]}}})
        self.assertEqual(found(guarded), "")

    def test_missing_resource_and_sub_over_no_value(self):
        t = template({"U": topic(Properties={"X": {"Ref": "Fn.Alias"}, "Y": {"Fn::Sub": "${AWS::NoValue}"}})})
        text = found(t)
        self.assertIn("Ref to Fn.Alias, which is not in the template", text)
        self.assertIn("AWS::NoValue", text)

    def test_a_sub_variable_that_resolves_to_no_value_leaves_a_dangling_name(self):
        t = template({"U": topic(Properties={"X": {"Fn::Sub": ["${H}", {"H": {"Fn::If": ["C", "h", no_value()]}}]}})},
                     self.conditions)
        text = found(t)
        self.assertIn("[C=false] /Resources/U/Properties/X: resource U: Fn::Sub to H", text)
        self.assertIn("[C=false] /Resources/U/Properties/X/Fn::Sub/1/H: Fn::Sub variable H is AWS::NoValue", text)

    def test_a_no_value_sub_variable_is_reported_even_when_a_resource_has_its_name(self):
        t = template({"H": topic(), "U": topic(Properties={
            "X": {"Fn::Sub": ["${H}", {"H": {"Fn::If": ["C", "h", no_value()]}}]}})}, self.conditions)
        text = found(t)
        self.assertIn("Fn::Sub variable H is AWS::NoValue", text)
        self.assertNotIn("[C=true]", text)


class Policies(unittest.TestCase):
    conditions = {"C": equals("P", "x")}

    def test_a_conditional_only_resource_empties_the_statement(self):
        statement = {"Effect": "Allow", "Action": "sns:Publish",
                     "Resource": [{"Fn::If": ["C", "arn:aws:sns:us-east-1:123456789012:t", no_value()]}]}
        t = template({"Role": role(), "Pol": policy_resource(statement)}, self.conditions)
        text = found(t)
        self.assertIn("[C=false] /Resources/Pol/Properties/PolicyDocument/Statement/0/Resource: resource Pol: empty Resource",
                      text)
        scalar = copy.deepcopy(t)
        scalar["Resources"]["Pol"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = \
            {"Fn::If": ["C", "arn:aws:sns:us-east-1:123456789012:t", no_value()]}
        self.assertIn("statement has neither Resource nor NotResource", found(scalar))
        statement["Resource"].append("arn:aws:sns:us-east-1:123456789012:always")
        self.assertEqual(found(t), "")

    def test_empty_actions_statements_and_policies(self):
        t = template({
            "Role": role(Policies=[
                {"PolicyName": "a", "PolicyDocument": {"Statement": []}},
                {"Fn::If": ["C", {"PolicyName": "b", "PolicyDocument": {"Statement": [
                    {"Effect": "Allow", "Action": [], "Resource": "*"}]}}, no_value()]},
                {},
            ]),
        }, self.conditions)
        text = found(t)
        self.assertIn("/Resources/Role/Properties/Policies/0/PolicyDocument/Statement: resource Role: empty Statement list",
                      text)
        self.assertIn("[C=true] /Resources/Role/Properties/Policies/1/Fn::If/1/PolicyDocument/Statement/0/Action: "
                      "resource Role: empty Action", text)
        self.assertIn("/Resources/Role/Properties/Policies/2: resource Role: empty entry in Policies", text)

    def test_trust_policies_need_actions_but_no_resources(self):
        self.assertEqual(found(template({"Role": role()})), "")
        broken = role()
        broken["Properties"]["AssumeRolePolicyDocument"] = {"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": []}]}
        self.assertIn("empty Action", found(template({"Role": broken})))

    def test_managed_policy_and_not_resource(self):
        t = template({"M": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "NotResource": []}]}}}})
        self.assertIn("empty NotResource", found(t))

    def test_a_policy_with_no_roles_left(self):
        statement = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
        t = template({"Role": role(Condition="C"),
                      "Pol": policy_resource(statement, Roles=[{"Fn::If": ["C", {"Ref": "Role"}, no_value()]}])},
                     self.conditions)
        self.assertIn("[C=false] /Resources/Pol/Properties: resource Pol: no Roles, Users or Groups", found(t))


class PolicyNames(unittest.TestCase):
    statement = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}

    def test_two_policies_with_one_name_on_one_role(self):
        t = template({"Role": role(), "A": policy_resource(self.statement), "B": policy_resource(self.statement)})
        self.assertIn("inline policy \"p\" on role Role is also written by resource A", found(t))
        t["Resources"]["B"]["Properties"]["PolicyName"] = "q"
        self.assertEqual(found(t), "")

    def test_against_the_roles_own_policies_and_by_role_name(self):
        named = role(RoleName="hooks", Policies=[{"PolicyName": "p", "PolicyDocument": {"Statement": [self.statement]}}])
        t = template({"Role": named, "A": policy_resource(self.statement, Roles=["hooks"])})
        self.assertIn("on role Role is also written by role Role's Policies", found(t))

    def test_same_name_on_different_roles_is_fine(self):
        t = template({"Role": role(), "Other": role(), "A": policy_resource(self.statement),
                      "B": policy_resource(self.statement, Roles=[{"Ref": "Other"}])})
        self.assertEqual(found(t), "")

    def test_only_deployed_policies_collide(self):
        t = template({"Role": role(), "A": policy_resource(self.statement),
                      "B": dict(policy_resource(self.statement), Condition="C")}, {"C": equals("P", "x")})
        text = found(t)
        self.assertIn("[C=true]", text)
        self.assertNotIn("[C=false]", text)


class LogicalIds(unittest.TestCase):
    def test_at_most_255_characters(self):
        self.assertEqual(found(template({"A" * 255: topic()})), "")
        self.assertIn("logical ID is 256 characters", found(template({"A" * 256: topic()})))


if __name__ == "__main__":
    unittest.main()


class RemainingSamTransform(unittest.TestCase):
    def test_an_output_still_naming_sam_is_checked_after_sam(self):
        t = {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
                "Handler": "h", "Runtime": "python3.12", "CodeUri": "s3://bucket/key.zip", "AutoPublishAlias": "live"}}},
            "Outputs": {"Alias": {"Value": {"Ref": "Fn.Alias"}}},
        }
        self.assertEqual(semantics.violations(t, "t"), [])
        self.assertIn("Ref to Fn.Alias", "\n".join(semantics.structural_violations(t, "t")))
        t["Outputs"]["Broken"] = {"Value": {"Ref": "Missing"}}
        self.assertIn("Ref to Missing, which is not in the template", "\n".join(semantics.violations(t, "t")))
