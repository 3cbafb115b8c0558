"""Outputs of gradual before the deploy-correct fixes (issue 11), each of which fails on real
AWS: the checker must keep seeing why. `known_bad/` holds them as the transform wrote them."""

import json
import unittest
from pathlib import Path

import semantics

KNOWN_BAD = Path(__file__).resolve().parent / "known_bad"

# file -> what the report must say (each a substring of one violation line)
EXPECTED = {
    "orders_service_example.json": [
        # Defect 1: the shipped example's in-template hook cannot do what the hook binary does.
        "not allowed ssm:GetParameter on arn:aws:ssm:us-east-1:123456789012:parameter/gradual/smoke-tests/mystack-OrdersApi-ABC123",
        "not allowed lambda:ListAliases on arn:aws:lambda:us-east-1:123456789012:function:mystack-OrdersApi-ABC123:",
        "not allowed lambda:ListVersionsByFunction on arn:aws:lambda:us-east-1:123456789012:function:mystack-OrdersApi-ABC123:",
    ],
    "conditional_hooks_sam_case.json": [
        # Defect 3: a hook policy whose only resource is Fn::If [C, arn, NoValue] ...
        "/Resources/MyValidationTestFunctionHookPolicy/Properties/PolicyDocument/Statement/0/Resource: "
        "resource MyValidationTestFunctionHookPolicy: empty Resource",
        # ... and an unconditional one naming the conditional application.
        "Fn::Sub to ServerlessDeploymentApplication, which is not deployed: its condition ServerlessCodeDeployCondition is false",
    ],
    "guard_on_conditional_function.json": [
        "[IsProd=false] /Resources/ApiDeploymentGroup/Properties/AlarmConfiguration/Alarms/0/Name: resource ApiDeploymentGroup: "
        "Ref to ApiGuardErrorRateAlarm, which is not deployed",
    ],
    "conditional_hook.json": [
        "[IsProd=true] /Resources/Hook: hook Hook (BeforeAllowTrafficHook of ApiAliaslive) runs as role HookRole, "
        "which is not allowed codedeploy:PutLifecycleEventHookExecutionStatus",
        "[IsProd=false] /Resources/CodeDeployServiceRole/Properties/Policies/0/PolicyDocument/Statement/0/Resource/0/Fn::Sub/1/Hook: "
        "Fn::Sub variable Hook is AWS::NoValue",
    ],
    "hook_role_by_sub.json": [
        "hook Hook (BeforeAllowTrafficHook of ApiAliaslive) runs as role HookRole, which is not allowed codedeploy:GetDeployment",
    ],
    "hooks_sharing_a_role.json": [
        # Defect 4.
        'inline policy "gradual-lifecycle-hook" on role HookRole is also written by resource PreHookHookPolicy',
    ],
    "installed_hooks_by_import.json": [
        # Defect 2: a hook named through !ImportValue, and the function left untagged.
        "function Api is deployed through ApiAliaslive, whose BeforeAllowTrafficHook is outside the template "
        "(perhaps gradual's installed hooks), but is not tagged gradual:managed=true",
    ],
    "smoke_test_not_awaited.json": [
        # Defect 5.
        "alias ApiAliaslive does not wait for ApiSmokeTest",
    ],
    "long_logical_id.json": [
        # Defect 9.
        "logical ID is 262 characters; CloudFormation allows 255",
    ],
}


class KnownBadOutputs(unittest.TestCase):
    def test_every_known_bad_output_has_expectations(self):
        self.assertEqual(sorted(p.name for p in KNOWN_BAD.glob("*.json")), sorted(EXPECTED))

    def test_each_is_reported_for_what_breaks_it(self):
        for name, expected in EXPECTED.items():
            template = json.loads((KNOWN_BAD / name).read_text(encoding="utf-8"))
            report = "\n".join(semantics.violations(template, name))
            for text in expected:
                with self.subTest(output=name, expected=text):
                    self.assertIn(text, report)


if __name__ == "__main__":
    unittest.main()
