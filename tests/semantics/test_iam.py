"""The evaluator against AWS's documented policy logic, and the resolver's concrete names."""

import unittest

import iam

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:orders"
TAG = "aws:ResourceTag/gradual:managed"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


class Evaluation(unittest.TestCase):
    def test_nothing_granted_is_an_implicit_deny(self):
        self.assertEqual(iam.evaluate([], "lambda:InvokeFunction", FUNCTION), iam.IMPLICIT_DENY)

    def test_allow_needs_action_and_resource_to_match(self):
        documents = [policy(allow("lambda:InvokeFunction", FUNCTION))]
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION), iam.ALLOW)
        self.assertEqual(iam.evaluate(documents, "lambda:DeleteFunction", FUNCTION), iam.IMPLICIT_DENY)
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION + "2"), iam.IMPLICIT_DENY)

    def test_explicit_deny_wins_over_any_allow(self):
        documents = [policy(allow("lambda:*", "*")),
                     policy({"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": FUNCTION + ":*"})]
        self.assertEqual(iam.evaluate(documents, "lambda:DeleteFunction", FUNCTION + ":3"), iam.EXPLICIT_DENY)
        self.assertEqual(iam.evaluate(documents, "lambda:DeleteFunction", FUNCTION), iam.ALLOW)

    def test_actions_match_case_insensitively_with_wildcards(self):
        documents = [policy(allow(["LAMBDA:get*", "ssm:GetParamete?"], "*"))]
        self.assertEqual(iam.evaluate(documents, "lambda:GetFunctionConfiguration", FUNCTION), iam.ALLOW)
        self.assertEqual(iam.evaluate(documents, "ssm:GetParameter", "*"), iam.ALLOW)
        self.assertEqual(iam.evaluate(documents, "ssm:GetParameters", "*"), iam.IMPLICIT_DENY)
        self.assertEqual(iam.evaluate(documents, "lambda:ListAliases", FUNCTION), iam.IMPLICIT_DENY)

    def test_resources_match_case_sensitively(self):
        documents = [policy(allow("lambda:InvokeFunction", FUNCTION))]
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION.upper()), iam.IMPLICIT_DENY)

    def test_a_qualified_pattern_does_not_match_the_unqualified_arn(self):
        # The shape of defect 1: `${Fn.Arn}:*` grants versions, never the function itself.
        documents = [policy(allow("lambda:ListAliases", FUNCTION + ":*"))]
        self.assertEqual(iam.evaluate(documents, "lambda:ListAliases", FUNCTION), iam.IMPLICIT_DENY)
        self.assertEqual(iam.evaluate(documents, "lambda:ListAliases", FUNCTION + ":7"), iam.ALLOW)

    def test_star_spans_colons_and_slashes_and_question_mark_is_one_character(self):
        documents = [policy(allow("ssm:GetParameter", "arn:aws:ssm:*:parameter/gradual/*"))]
        self.assertEqual(iam.evaluate(documents, "ssm:GetParameter",
                                      "arn:aws:ssm:us-east-1:123456789012:parameter/gradual/smoke-tests/a"), iam.ALLOW)
        documents = [policy(allow("lambda:InvokeFunction", FUNCTION + ":?"))]
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION + ":7"), iam.ALLOW)
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION + ":17"), iam.IMPLICIT_DENY)

    def test_not_action_and_not_resource(self):
        documents = [policy({"Effect": "Allow", "NotAction": "lambda:DeleteFunction", "NotResource": FUNCTION + ":1"})]
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION + ":2"), iam.ALLOW)
        self.assertEqual(iam.evaluate(documents, "lambda:DeleteFunction", FUNCTION + ":2"), iam.IMPLICIT_DENY)
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION + ":1"), iam.IMPLICIT_DENY)

    def test_a_statement_without_resource_grants_nothing(self):
        documents = [policy({"Effect": "Allow", "Action": "lambda:*"})]
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION), iam.IMPLICIT_DENY)

    def test_single_statement_object(self):
        documents = [{"Statement": allow("lambda:InvokeFunction", "*")}]
        self.assertEqual(iam.evaluate(documents, "lambda:InvokeFunction", FUNCTION), iam.ALLOW)


class Conditions(unittest.TestCase):
    managed = [policy(allow("lambda:InvokeFunction", "*", Condition={"StringEquals": {TAG: "true"}}))]

    def test_tag_condition_allows_only_the_tagged(self):
        self.assertEqual(iam.evaluate(self.managed, "lambda:InvokeFunction", FUNCTION, {TAG: "true"}), iam.ALLOW)
        self.assertEqual(iam.evaluate(self.managed, "lambda:InvokeFunction", FUNCTION, {TAG: "false"}),
                         iam.IMPLICIT_DENY)
        self.assertEqual(iam.evaluate(self.managed, "lambda:InvokeFunction", FUNCTION, {}), iam.IMPLICIT_DENY)

    def test_condition_keys_are_case_insensitive(self):
        self.assertEqual(iam.evaluate(self.managed, "lambda:InvokeFunction", FUNCTION,
                                      {"AWS:resourcetag/gradual:managed": "true"}), iam.ALLOW)

    def test_string_operators(self):
        def holds(operator, value, context):
            return iam.conditions_hold({operator: {"k": value}}, context)

        self.assertTrue(holds("StringLike", "shop-*", {"k": "shop-api"}))
        self.assertFalse(holds("StringLike", "shop-*", {"k": "Shop-api"}))
        self.assertTrue(holds("StringEqualsIgnoreCase", "TRUE", {"k": "true"}))
        self.assertTrue(holds("StringNotEquals", "a", {"k": "b"}))
        self.assertFalse(holds("StringNotEquals", ["a", "b"], {"k": "b"}))
        self.assertTrue(holds("StringEquals", ["a", "b"], {"k": "b"}))
        self.assertTrue(holds("ArnLike", "arn:aws:lambda:*", {"k": FUNCTION}))
        self.assertTrue(holds("Bool", "true", {"k": True}))

    def test_a_missing_key_fails_positive_operators_and_passes_negated_ones(self):
        self.assertFalse(iam.conditions_hold({"StringEquals": {"k": "a"}}, {}))
        self.assertFalse(iam.conditions_hold({"StringLike": {"k": "*"}}, {}))
        self.assertTrue(iam.conditions_hold({"StringNotEquals": {"k": "a"}}, {}))
        self.assertTrue(iam.conditions_hold({"StringEqualsIfExists": {"k": "a"}}, {}))
        self.assertFalse(iam.conditions_hold({"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}))

    def test_null(self):
        self.assertTrue(iam.conditions_hold({"Null": {"k": "true"}}, {}))
        self.assertFalse(iam.conditions_hold({"Null": {"k": "true"}}, {"k": "x"}))
        self.assertTrue(iam.conditions_hold({"Null": {"k": "false"}}, {"k": "x"}))

    def test_every_operator_and_key_must_hold(self):
        condition = {"StringEquals": {"a": "1", "b": "2"}, "StringLike": {"c": "x*"}}
        self.assertTrue(iam.conditions_hold(condition, {"a": "1", "b": "2", "c": "xy"}))
        self.assertFalse(iam.conditions_hold(condition, {"a": "1", "b": "3", "c": "xy"}))
        self.assertFalse(iam.conditions_hold(condition, {"a": "1", "b": "2", "c": "y"}))

    def test_set_prefixes(self):
        self.assertTrue(iam.conditions_hold({"ForAnyValue:StringEquals": {"k": "a"}}, {"k": ["b", "a"]}))
        self.assertFalse(iam.conditions_hold({"ForAllValues:StringEquals": {"k": "a"}}, {"k": ["b", "a"]}))
        self.assertTrue(iam.conditions_hold({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["b", "a"]}))
        self.assertTrue(iam.conditions_hold({"ForAllValues:StringEquals": {"k": "a"}}, {}))
        self.assertFalse(iam.conditions_hold({"ForAnyValue:StringEquals": {"k": "a"}}, {}))

    def test_an_unknown_operator_is_an_error_not_a_pass(self):
        with self.assertRaises(iam.Unsupported):
            iam.conditions_hold({"NumericLessThan": {"k": "1"}}, {"k": "0"})
        with self.assertRaises(iam.Unsupported):
            iam.evaluate([policy(allow({"Fn::Sub": "x"}, "*"))], "a:b", "*")


class Resolution(unittest.TestCase):
    resources = {
        "Api": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Fn::Sub": "${AWS::StackName}-named"}}},
        "ApiVersion": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Api"}}},
        "ApiAlias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Api"}, "Name": "live"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "App": {"Type": "AWS::CodeDeploy::Application", "Properties": {"ApplicationName": "orders"}},
        "Group": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {}},
    }
    resolver = iam.Resolver(resources, declarations={"Stage": {"Type": "String", "Default": "prod"}, "Bare": {}},
                            mappings={"M": {"prod": {"Size": 512}}}, parameters={"Given": "given"},
                            assignment={"IsProd": True})

    def test_physical_names_and_arns(self):
        r = self.resolver
        self.assertEqual(r.resolve({"Ref": "Api"}), "mystack-Api-ABC123")
        self.assertEqual(r.resolve({"Ref": "Named"}), "mystack-named")
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Api", "Arn"]}),
                         "arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123")
        self.assertEqual(r.resolve({"Fn::GetAtt": "ApiVersion.Version"}), "7")
        self.assertEqual(r.resolve({"Ref": "ApiVersion"}),
                         "arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:7")
        self.assertEqual(r.resolve({"Ref": "ApiAlias"}),
                         "arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:live")
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Role", "Arn"]}), "arn:aws:iam::123456789012:role/mystack-Role-ABC123")
        self.assertEqual(r.resolve({"Ref": "App"}), "orders")
        self.assertEqual(r.resolve({"Ref": "Group"}), "mystack-Group-ABC123")

    def test_sub_in_both_forms(self):
        r = self.resolver
        self.assertEqual(
            r.resolve({"Fn::Sub": "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${App}/${Group}"}),
            "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:orders/mystack-Group-ABC123")
        self.assertEqual(r.resolve({"Fn::Sub": "${Api.Arn}:*"}),
                         "arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:*")
        self.assertEqual(r.resolve({"Fn::Sub": ["${X}-${!Literal}", {"X": {"Ref": "Stage"}}]}), "prod-${Literal}")

    def test_parameters_join_if_select_split_and_maps(self):
        r = self.resolver
        self.assertEqual(r.resolve({"Ref": "Given"}), "given")
        self.assertEqual(r.resolve({"Ref": "Bare"}), "Bare-value")
        self.assertEqual(r.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}), "a-prod")
        self.assertEqual(r.resolve({"Fn::If": ["IsProd", "yes", "no"]}), "yes")
        self.assertEqual(r.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}), "b")
        self.assertEqual(r.resolve({"Fn::FindInMap": ["M", {"Ref": "Stage"}, "Size"]}), 512)
        self.assertEqual(r.resolve({"Fn::ImportValue": "hooks-PreTrafficHookName"}), "imported-hooks-PreTrafficHookName")

    def test_what_it_cannot_resolve_is_an_error(self):
        for value in ({"Ref": "Missing"}, {"Fn::GetAZs": ""}, {"Fn::If": ["Unknown", 1, 2]}, {"Ref": "AWS::Nope"}):
            with self.assertRaises(iam.Unresolvable, msg=value):
                self.resolver.resolve(value)


if __name__ == "__main__":
    unittest.main()
