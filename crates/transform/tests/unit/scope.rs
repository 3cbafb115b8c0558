//! What can be known before deploy: parameters (given, else `Default`), pseudo parameters,
//! mappings, the intrinsics over them, and the conditions they decide. Seen through the values
//! that must be known now (`AutoPublishAlias`) and through the version hash, which covers the
//! resolved properties.

use expect_test::{expect, Expect};

use crate::support::{aliases, check, check_errors, check_versions};

fn check_alias(snippet: &str, expect: Expect) {
    check(snippet, aliases, expect);
}

#[test]
fn a_parameter_without_a_given_value_takes_its_default() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        AutoPublishAlias: !Ref Stage
        ",
        expect![[r#"
            ApiAliasdev: dev
        "#]],
    );
}

#[test]
fn a_given_value_wins_over_the_default() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        Given: {Stage: prod}
        AutoPublishAlias: !Ref Stage
        ",
        expect![[r#"
            ApiAliasprod: prod
        "#]],
    );
}

/// The second error is a cascade of the first (and CloudFormation can't evaluate it either).
#[test]
fn a_parameter_with_neither_value_nor_default_is_reported_where_it_is_referenced() {
    check_errors(
        r"
        Parameters:
          Stage: {Type: String}
        AutoPublishAlias: !Ref Stage
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias.Ref: parameter `Stage` is referenced but has no value: give it a Default or pass a value
        "#]],
    );
}

/// A parameter with no value reached through `${Stage}` in `Fn::Sub` is named as through `Ref`,
/// with no second error blaming CloudFormation, which couldn't evaluate it either.
#[test]
fn a_parameter_without_value_used_only_in_sub_is_named() {
    check_errors(
        r"
        Parameters:
          Stage: {Type: String}
        AutoPublishAlias: !Sub ${Stage}-live
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias.Fn::Sub: parameter `Stage` is referenced but has no value: give it a Default or pass a value
        "#]],
    );
    // Also in a property that is only hashed.
    check_errors(
        r"
        Parameters:
          Stage: {Type: String}
        Environment: {Variables: {STAGE: !Sub '${Stage}'}}
        ",
        expect![[r#"
            Resources.Api.Properties.Environment.Variables.STAGE.Fn::Sub: parameter `Stage` is referenced but has no value: give it a Default or pass a value
        "#]],
    );
}

#[test]
fn a_placeholder_value_counts_as_unknown() {
    check_errors(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        Given: {Stage: '{{IntrinsicFunction:stack/Stage}}'}
        AutoPublishAlias: !Ref Stage
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found a Ref, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn the_default_of_an_ssm_parameter_is_a_name_not_a_value() {
    check_errors(
        r"
        Parameters:
          Stage: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/stage}
        AutoPublishAlias: !Ref Stage
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found a Ref, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn scalar_parameters_reach_the_template_as_strings() {
    check_alias(
        r"
        Parameters:
          Major: {Type: Number}
        Given: {Major: 2}
        AutoPublishAlias: !Sub v${Major}
        ",
        expect![[r#"
            ApiAliasv2: v2
        "#]],
    );
}

#[test]
fn a_comma_delimited_list_is_split_and_trimmed() {
    check_alias(
        r"
        Parameters:
          Aliases: {Type: CommaDelimitedList, Default: 'blue, green'}
        AutoPublishAlias: !Select [1, !Ref Aliases]
        ",
        expect![[r#"
            ApiAliasgreen: green
        "#]],
    );
}

#[test]
fn join_and_split_over_known_values_are_evaluated() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        AutoPublishAlias: !Join ['-', [!Select [0, !Split ['.', a.b]], !Ref Stage]]
        ",
        expect![[r#"
            ApiAliasaDdev: a-dev
        "#]],
    );
}

#[test]
fn sub_variables_are_resolved_before_substitution() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        AutoPublishAlias: !Sub ['${Name}_${AWS::AccountId}', {Name: !Ref Stage}]
        ",
        expect![[r#"
            ApiAliasdevU123456789012: dev_123456789012
        "#]],
    );
}

#[test]
fn sub_variables_given_inline_shadow_parameters_and_escapes_stay_literal() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        AutoPublishAlias: !Sub ['${Stage}', {Stage: blue}]
        ",
        expect![[r#"
            ApiAliasblue: blue
        "#]],
    );
    check_errors(
        r"
        AutoPublishAlias: !Sub 'live${!Stage}'
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: alias name `live${Stage}` may contain only letters, digits, hyphens and underscores (resolved from Fn::Sub)
        "#]],
    );
}

#[test]
fn the_partition_follows_the_region() {
    check_alias(
        r"
        Given: {AWS::Region: cn-north-1}
        AutoPublishAlias: !Sub ${AWS::Partition}-${AWS::Region}
        ",
        expect![[r#"
            ApiAliasawsDcnDcnDnorthD1: aws-cn-cn-north-1
        "#]],
    );
}

#[test]
fn a_resolved_value_is_validated_and_the_error_says_where_it_came_from() {
    check_errors(
        r"
        Given: {AWS::Region: cn-north-1}
        AutoPublishAlias: !Sub ${AWS::URLSuffix}
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: alias name `amazonaws.com.cn` may contain only letters, digits, hyphens and underscores (resolved from Fn::Sub)
        "#]],
    );
}

#[test]
fn the_stack_name_is_known_only_to_cloudformation() {
    check_errors(
        r"
        AutoPublishAlias: !Sub ${AWS::StackName}-live
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found Fn::Sub, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn find_in_map_looks_up_resolved_keys() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: prod}
        Mappings:
          Stages:
            dev: {Alias: preview}
            prod: {Alias: live}
        AutoPublishAlias: !FindInMap [Stages, !Ref Stage, Alias]
        ",
        expect![[r#"
            ApiAliaslive: live
        "#]],
    );
}

#[test]
fn find_in_map_falls_back_to_its_default_value() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: test}
        Mappings:
          Stages:
            prod: {Alias: live}
        AutoPublishAlias: !FindInMap [Stages, !Ref Stage, Alias, {DefaultValue: preview}]
        ",
        expect![[r#"
            ApiAliaspreview: preview
        "#]],
    );
}

#[test]
fn find_in_map_with_a_missing_key_and_no_default_stays_unknown() {
    check_errors(
        r"
        Parameters:
          Stage: {Type: String, Default: test}
        Mappings:
          Stages:
            prod: {Alias: live}
        AutoPublishAlias: !FindInMap [Stages, !Ref Stage, Alias]
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found Fn::FindInMap that resolves to Fn::FindInMap
        "#]],
    );
}

#[test]
fn a_condition_on_known_values_decides_its_if() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        Given: {Stage: prod}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        AutoPublishAlias: !If [IsProd, live, preview]
        ",
        expect![[r#"
            ApiAliaslive: live
        "#]],
    );
}

#[test]
fn equals_compares_numbers_and_strings_by_their_text() {
    check_alias(
        r"
        Parameters:
          Replicas: {Type: Number, Default: 5}
        Conditions:
          Five: !Equals [5, !Ref Replicas]
        AutoPublishAlias: !If [Five, five, other]
        ",
        expect![[r#"
            ApiAliasfive: five
        "#]],
    );
}

#[test]
fn a_condition_only_cloudformation_can_decide_leaves_the_if_unresolved() {
    check_errors(
        r"
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
        AutoPublishAlias: !If [IsMain, live, preview]
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found Fn::If, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn or_is_decided_by_one_true_operand_even_beside_an_unknown_one() {
    check_alias(
        r"
        Parameters:
          Stage: {Type: String, Default: prod}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
          IsMain: !Equals [!Ref AWS::StackName, main]
          Either: !Or [!Condition IsMain, !Condition IsProd]
          Neither: !Not [!Condition Either]
        AutoPublishAlias: !If [Neither, preview, live]
        ",
        expect![[r#"
            ApiAliaslive: live
        "#]],
    );
}

#[test]
fn and_with_an_unknown_operand_and_no_false_one_stays_undecided() {
    check_errors(
        r"
        Parameters:
          Stage: {Type: String, Default: prod}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
          IsMain: !Equals [!Ref AWS::StackName, main]
          Both: !And [!Condition IsProd, !Condition IsMain]
        AutoPublishAlias: !If [Both, live, preview]
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found Fn::If, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn a_no_echo_parameter_is_never_written_into_the_alias() {
    check_errors(
        r"
        Parameters:
          Secret: {Type: String, NoEcho: 'true', Default: live}
        AutoPublishAlias: !Sub ${Secret}
        AutoPublishCodeSha256: !Ref Secret
        ",
        expect![[r#"
            Resources.Api.Properties.AutoPublishAlias: refers to NoEcho parameter `Secret`, whose value gradual would have to write into the template in plain text; use a parameter that is not NoEcho, or a dynamic reference the function resolves itself
            Resources.Api.Properties.AutoPublishCodeSha256: refers to NoEcho parameter `Secret`, whose value gradual would have to write into the template in plain text; use a parameter that is not NoEcho, or a dynamic reference the function resolves itself
        "#]],
    );
}

#[test]
fn the_version_hash_covers_resolved_values_not_how_they_were_given() {
    check_versions(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
        Environment:
          Variables: {STAGE: !Ref Stage}
        ",
        &["{}", "{Stage: dev}", "{Stage: prod}"],
        expect![[r#"
            {}: A
            {Stage: dev}: A
            {Stage: prod}: B
        "#]],
    );
}

#[test]
fn the_version_hash_follows_only_the_branch_a_condition_takes() {
    check_versions(
        r"
        Parameters:
          Stage: {Type: String, Default: dev}
          Size: {Type: Number, Default: 128}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        MemorySize: !If [IsProd, 1024, !Ref Size]
        ",
        &[
            "{}",
            "{Stage: prod}",
            "{Stage: prod, Size: 256}",
            "{Size: 256}",
        ],
        expect![[r#"
            {}: A
            {Stage: prod}: B
            {Stage: prod, Size: 256}: B
            {Size: 256}: C
        "#]],
    );
}

#[test]
fn pseudo_parameters_from_the_context_enter_the_hash_and_unknown_ones_stay_as_written() {
    check_versions(
        r"
        Environment:
          Variables: {STACK: !Ref AWS::StackName, ACCOUNT: !Sub 'id-${AWS::AccountId}'}
        ",
        &[
            "{}",
            "{AWS::Region: eu-west-1}",
            "{AWS::AccountId: '210987654321'}",
        ],
        expect![[r#"
            {}: A
            {AWS::Region: eu-west-1}: A
            {AWS::AccountId: '210987654321'}: B
        "#]],
    );
}

#[test]
fn a_rotated_no_echo_value_still_publishes_a_new_version() {
    check_versions(
        r"
        Parameters:
          Secret: {Type: String, NoEcho: true, Default: one}
        Environment:
          Variables: {SECRET: !Ref Secret}
        ",
        &["{}", "{Secret: one}", "{Secret: two}"],
        expect![[r#"
            {}: A
            {Secret: one}: A
            {Secret: two}: B
        "#]],
    );
}
