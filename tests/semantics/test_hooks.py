"""The hook-permission checks on small templates whose policies grant too little, just
enough, or too much."""

import copy
import json
import tempfile
import unittest
from pathlib import Path

import hooks

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
CODE = {"S3Bucket": "b", "S3Key": "k.zip"}


def function(**properties):
    return {"Type": "AWS::Lambda::Function", "Properties": dict({"Code": CODE, "Handler": "h", "Runtime": "provided.al2023"},
                                                                **properties)}


def statement(actions, resources, **extra):
    return dict({"Effect": "Allow", "Action": actions, "Resource": resources}, **extra)


# What an in-template hook must be granted for Api, written as a user would.
FULL = [
    statement(["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus",
               "codedeploy:ListTagsForResource"],
              {"Fn::Sub": "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:"
                          "${App}/${ApiDeploymentGroup}"}),
    statement("codedeploy:GetApplicationRevision",
              {"Fn::Sub": "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${App}"}),
    statement("lambda:*", [{"Fn::GetAtt": ["Api", "Arn"]}, {"Fn::Sub": "${Api.Arn}:*"}]),
    statement("lambda:ListEventSourceMappings", "*"),
    statement(["ssm:GetParameter", "ssm:ListTagsForResource"],
              {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/gradual/smoke-tests/${Api}"}),
    statement("kms:Decrypt", "*", Condition={"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}),
]


def stack(statements, hook_reference=None, role=None, conditions=None):
    statements = copy.deepcopy(statements)
    hook_reference = hook_reference if hook_reference is not None else {"Ref": "Hook"}
    template = {
        "Resources": {
            "Api": function(Role="arn:aws:iam::123456789012:role/api"),
            "ApiVersion1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Api"}}},
            "ApiAliaslive": {
                "Type": "AWS::Lambda::Alias",
                "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {
                    "ApplicationName": {"Ref": "App"}, "DeploymentGroupName": {"Ref": "ApiDeploymentGroup"},
                    "BeforeAllowTrafficHook": hook_reference}},
                "Properties": {"Name": "live", "FunctionName": {"Ref": "Api"},
                               "FunctionVersion": {"Fn::GetAtt": ["ApiVersion1", "Version"]}},
            },
            "App": {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "Lambda"}},
            "ApiDeploymentGroup": {"Type": "AWS::CodeDeploy::DeploymentGroup",
                                   "Properties": {"ApplicationName": {"Ref": "App"}, "ServiceRoleArn": "arn:x"}},
            "HookRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Hook": function(Role=role if role is not None else {"Fn::GetAtt": ["HookRole", "Arn"]}),
            "HookPolicy": {"Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": "hook", "Roles": [{"Ref": "HookRole"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}},
        }
    }
    if conditions:
        template["Conditions"] = conditions
    return template


def found(template):
    return "\n".join(hooks.hook_violations(template, "t"))


class InTemplateHooks(unittest.TestCase):
    def test_the_manifest_loads_and_names_known_forms(self):
        document = hooks.load_manifest()
        self.assertTrue(document["calls"])
        self.assertTrue(all(call["resource"] in hooks.RESOURCE_FORMS for call in document["calls"]))

    def test_a_manifest_with_an_unknown_form_is_rejected(self):
        document = json.loads(hooks.MANIFEST_PATH.read_text(encoding="utf-8"))
        document["calls"].append({"action": "s3:GetObject", "resource": "Bucket"})
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "calls.json"
            path.write_text(json.dumps(document), encoding="utf-8")
            with self.assertRaisesRegex(hooks.ManifestError, "Bucket"):
                hooks.load_manifest(path)

    def test_a_role_granting_every_call_passes(self):
        template = stack(FULL)
        template["Resources"]["ApiAliaslive"]["DependsOn"] = ["HookPolicy"]
        self.assertEqual(found(template), "")

    def test_every_manifest_call_is_required(self):
        # Dropping any one statement's actions must be noticed.
        for index in range(len(FULL)):
            narrower = FULL[:index] + FULL[index + 1:]
            self.assertIn("which is not allowed", found(stack(narrower)), f"without statement {index}")

    def test_qualified_only_grants_miss_the_list_calls(self):
        narrow = copy.deepcopy(FULL)
        narrow[2]["Resource"] = {"Fn::Sub": "${Api.Arn}:*"}
        text = found(stack(narrow))
        self.assertIn("not allowed lambda:ListAliases on arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:",
                      text)
        self.assertNotIn("lambda:InvokeFunction", text)

    def test_the_concrete_arns(self):
        text = found(stack([]))
        for arn in ("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:mystack-App-ABC123/mystack-ApiDeploymentGroup-ABC123",
                    "arn:aws:codedeploy:us-east-1:123456789012:application:mystack-App-ABC123",
                    "arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:7",
                    "arn:aws:ssm:us-east-1:123456789012:parameter/gradual/smoke-tests/mystack-Api-ABC123",
                    "on *:"):
            self.assertIn(arn, text)

    def test_an_explicit_deny_takes_a_call_away(self):
        denied = FULL + [{"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"}]
        self.assertIn("lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:7: "
                      "ExplicitDeny", found(stack(denied)))

    def test_inline_policies_of_the_role_count(self):
        template = stack([statement("sns:Publish", "*")])
        template["Resources"]["HookRole"]["Properties"]["Policies"] = [
            {"PolicyName": "inline", "PolicyDocument": {"Statement": FULL}}]
        template["Resources"]["ApiAliaslive"]["DependsOn"] = "HookPolicy"
        self.assertEqual(found(template), "")

    def test_a_conditional_hook_is_checked_when_its_condition_holds(self):
        conditions = {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}}
        template = stack([], hook_reference={"Fn::If": ["C", {"Ref": "Hook"}, {"Ref": "AWS::NoValue"}]},
                         conditions=conditions)
        text = found(template)
        self.assertIn("[C=true]", text)
        self.assertNotIn("[C=false]", text)

    def test_a_role_given_as_sub_is_in_the_template(self):
        self.assertIn("which is not allowed", found(stack([], role={"Fn::Sub": "${HookRole.Arn}"})))

    def test_hooks_and_roles_outside_the_template_are_not_checked(self):
        # (An outside hook asks for the managed tag instead: ManagedTag.)
        self.assertNotIn("is not allowed", found(stack([], hook_reference="gradual-pre-traffic")))
        self.assertNotIn("is not allowed", found(stack([], hook_reference={"Fn::ImportValue": "hooks-PreTrafficHookName"})))
        self.assertEqual(found(stack([], role="arn:aws:iam::123456789012:role/external")), "")


class UpdateOrder(unittest.TestCase):
    def with_smoke_test(self, alias_depends=None):
        template = stack(FULL)
        template["Resources"]["HookPolicy"]["Properties"]["PolicyName"] = "hook"
        template["Resources"]["ApiSmokeTest"] = {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": {"Fn::Sub": "/gradual/smoke-tests/${Api}"}, "Type": "String", "Value": "{}"}}
        if alias_depends is not None:
            template["Resources"]["ApiAliaslive"]["DependsOn"] = alias_depends
        return template

    def test_the_alias_waits_for_the_smoke_test_and_the_hook_policy(self):
        text = found(self.with_smoke_test())
        self.assertIn("alias ApiAliaslive does not wait for ApiSmokeTest", text)
        self.assertIn("alias ApiAliaslive does not wait for HookPolicy, which its hook Hook needs (for codedeploy:GetDeployment and more)", text)
        self.assertEqual(found(self.with_smoke_test(["ApiSmokeTest", "HookPolicy"])), "")

    def test_waiting_through_another_resource_counts(self):
        template = self.with_smoke_test(["ApiDeploymentGroup"])
        template["Resources"]["ApiDeploymentGroup"]["DependsOn"] = ["ApiSmokeTest", "HookPolicy"]
        self.assertEqual(found(template), "")

    def test_a_policy_granting_nothing_the_hook_needs_need_not_be_awaited(self):
        template = self.with_smoke_test(["ApiSmokeTest", "HookPolicy"])
        template["Resources"]["Unrelated"] = {"Type": "AWS::IAM::Policy", "Properties": {
            "PolicyName": "other", "Roles": [{"Ref": "HookRole"}],
            "PolicyDocument": {"Statement": [statement("sns:Publish", "*")]}}}
        self.assertEqual(found(template), "")
        template["Resources"]["Unrelated"]["Properties"]["PolicyDocument"]["Statement"] = [statement("ssm:GetParameter", "*")]
        template["Resources"]["HookPolicy"]["Properties"]["PolicyDocument"]["Statement"][4]["Action"] = "ssm:ListTagsForResource"
        self.assertIn("does not wait for Unrelated, which its hook Hook needs (for ssm:GetParameter)", found(template))

    def test_another_functions_smoke_test_is_not_required(self):
        template = self.with_smoke_test(["HookPolicy"])
        template["Resources"]["ApiSmokeTest"]["Properties"]["Name"] = "/gradual/smoke-tests/other"
        self.assertEqual(found(template), "")


class ManagedTag(unittest.TestCase):
    def external(self, hook, tags=None, tags_written=None):
        template = stack(FULL, hook_reference=hook)
        properties = template["Resources"]["Api"]["Properties"]
        if tags is not None:
            properties["Tags"] = tags
        if tags_written is not None:
            properties["Tags"] = tags_written
        return found(template)

    def test_a_hook_outside_the_template_needs_the_tag_on_the_function(self):
        for hook in ("gradual-pre-traffic", {"Fn::ImportValue": "gradual-PreTrafficHookName"},
                     {"Fn::Sub": "${AWS::StackName}-hook"}, {"Ref": "HookParameter"}):
            with self.subTest(hook=hook):
                self.assertIn("function Api is deployed through ApiAliaslive, whose BeforeAllowTrafficHook is outside the "
                              "template", self.external(hook))
                self.assertIn("not tagged", self.external(hook, tags=[{"Key": "gradual:managed", "Value": "false"}]))
                self.assertEqual(self.external(hook, tags=[{"Key": "team", "Value": "a"},
                                                           {"Key": "gradual:managed", "Value": "true"}]), "")

    def test_in_template_hooks_and_intrinsic_tags_are_not_asked_for_it(self):
        self.assertNotIn("not tagged", found(stack(FULL)))
        self.assertEqual(self.external("gradual-pre-traffic", tags_written={"Fn::If": ["C", [], {"Ref": "AWS::NoValue"}]}),
                         "")


CODEDEPLOY_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": ["codedeploy.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
LIMITED = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"


class ServiceRole(unittest.TestCase):
    def with_service_role(self, managed=(LIMITED,), policies=None, trust=CODEDEPLOY_TRUST, alarms=None):
        template = stack(FULL)
        template["Resources"]["ApiAliaslive"]["DependsOn"] = ["HookPolicy"]
        properties = {"AssumeRolePolicyDocument": trust, "ManagedPolicyArns": list(managed)}
        if policies is not None:
            properties["Policies"] = [{"PolicyName": "hooks", "PolicyDocument": {"Statement": policies}}]
        template["Resources"]["ServiceRole"] = {"Type": "AWS::IAM::Role", "Properties": properties}
        group = template["Resources"]["ApiDeploymentGroup"]["Properties"]
        group["ServiceRoleArn"] = {"Fn::GetAtt": ["ServiceRole", "Arn"]}
        if alarms is not None:
            group["AlarmConfiguration"] = {"Enabled": True, "Alarms": [{"Name": a} for a in alarms]}
        return template

    def test_the_managed_policy_alone_cannot_invoke_a_hook_not_named_codedeployhook(self):
        text = found(self.with_service_role())
        self.assertIn("deployment group ApiDeploymentGroup's service role ServiceRole is not allowed lambda:InvokeFunction on "
                      "arn:aws:lambda:us-east-1:123456789012:function:mystack-Hook-ABC123 to run its BeforeAllowTrafficHook", text)
        self.assertNotIn("UpdateAlias", text)

    def test_an_invoke_grant_for_the_hook_passes(self):
        grant = [statement("lambda:InvokeFunction", {"Fn::GetAtt": ["Hook", "Arn"]})]
        self.assertEqual(found(self.with_service_role(policies=grant, alarms=["errors"])), "")

    def test_without_the_managed_policy_the_alias_and_alarms_are_out_of_reach(self):
        grant = [statement("lambda:InvokeFunction", {"Fn::GetAtt": ["Hook", "Arn"]})]
        text = found(self.with_service_role(managed=(), policies=grant, alarms=["errors"]))
        self.assertIn("not allowed lambda:UpdateAlias on arn:aws:lambda:us-east-1:123456789012:function:mystack-Api-ABC123:live", text)
        self.assertIn("not allowed cloudwatch:DescribeAlarms on arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors", text)

    def test_codedeploy_must_be_able_to_assume_it(self):
        grant = [statement("lambda:InvokeFunction", "*")]
        self.assertIn("does not let codedeploy.amazonaws.com assume it", found(self.with_service_role(policies=grant, trust=TRUST)))

    def test_a_role_with_policies_this_check_cannot_read_is_not_judged(self):
        self.assertEqual(found(self.with_service_role(managed=("arn:aws:iam::aws:policy/AWSLambda_FullAccess",))), "")


SAM_FUNCTION_PROPERTIES = {"Handler": "bootstrap", "Runtime": "provided.al2023",
                           "CodeUri": "s3://bucket/key.zip"}


def installed(policies, binary="gradual-post-traffic", environment=None):
    properties = dict(SAM_FUNCTION_PROPERTIES, Policies=policies)
    if environment:
        properties["Environment"] = {"Variables": environment}
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Hook": {"Type": "AWS::Serverless::Function",
                               "Metadata": {"BuildProperties": {"Binary": binary}}, "Properties": properties}},
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.yaml"
        path.write_text(json.dumps(template), encoding="utf-8")  # JSON is YAML
        return "\n".join(hooks.installed_hook_violations(path, require_every_binary=False))


TAGGED = {"StringEquals": {"aws:ResourceTag/gradual:managed": "true"}}
INSTALLED = [{"Statement": [
    statement(["codedeploy:*", "ssm:*", "kms:Decrypt"], "*"),
    statement("lambda:ListEventSourceMappings", "*"),
    statement("lambda:*", ["arn:aws:lambda:*:*:function:*"], Condition=TAGGED),
]}]


class InstalledHooks(unittest.TestCase):
    def test_tag_limited_policies_pass(self):
        self.assertEqual(installed(INSTALLED, environment={"GRADUAL_KEEP_VERSIONS": "3"}), "")

    def test_an_unconditional_lambda_grant_reaches_untagged_functions(self):
        loose = copy.deepcopy(INSTALLED)
        del loose[0]["Statement"][2]["Condition"]
        text = installed(loose)
        self.assertIn("is allowed lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:other-team-api:7, "
                      "a function tagged {}", text)
        self.assertIn('tagged {"gradual:managed": "false"}', text)

    def test_missing_grants_are_reported(self):
        narrow = copy.deepcopy(INSTALLED)
        narrow[0]["Statement"][0]["Action"] = ["codedeploy:*"]
        text = installed(narrow)
        self.assertIn("not allowed ssm:GetParameter on arn:aws:ssm:us-east-1:123456789012:parameter/gradual/smoke-tests/orders-api",
                      text)

    def test_pruning_calls_are_needed_only_when_pruning_is_on(self):
        without_delete = copy.deepcopy(INSTALLED)
        without_delete[0]["Statement"][2]["Action"] = ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction",
                                                       "lambda:ListAliases", "lambda:ListTags", "lambda:GetPolicy",
                                                       "lambda:ListProvisionedConcurrencyConfigs",
                                                       "lambda:ListVersionsByFunction"]
        self.assertEqual(installed(without_delete), "")
        self.assertIn("not allowed lambda:DeleteFunction",
                      installed(without_delete, environment={"GRADUAL_KEEP_VERSIONS": "3"}))

    def test_the_pre_traffic_hook_needs_no_post_traffic_calls(self):
        pre = copy.deepcopy(INSTALLED)
        pre[0]["Statement"][2]["Action"] = ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction", "lambda:ListTags"]
        del pre[0]["Statement"][1]
        self.assertEqual(installed(pre, binary="gradual-pre-traffic"), "")
        self.assertIn("not allowed lambda:ListAliases", installed(pre, binary="gradual-post-traffic"))


if __name__ == "__main__":
    unittest.main()
