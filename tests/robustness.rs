//! No input may make the core panic. Arbitrary JSON documents, and random mutations of every
//! fixture, must each come back as a template or as a non-empty list of located errors.

use std::fs;
use std::path::Path;

use gradual_transform::{transform, Context, Segment};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Words that steer generated documents into the paths the transform actually reads.
const KEYS: &[&str] = &[
    "Resources",
    "Parameters",
    "Mappings",
    "Conditions",
    "Outputs",
    "Type",
    "Properties",
    "Condition",
    "DependsOn",
    "Default",
    "AutoPublishAlias",
    "AutoPublishCodeSha256",
    "VersionDescription",
    "VersionDeletionPolicy",
    "ProvisionedConcurrencyConfig",
    "DeploymentPreference",
    "Enabled",
    "Hooks",
    "PreTraffic",
    "PostTraffic",
    "Alarms",
    "Role",
    "TriggerConfigurations",
    "PassthroughCondition",
    "RollbackEvents",
    "IgnoreAlarms",
    "PropagateTags",
    "Tags",
    "Environment",
    "Variables",
    "Code",
    "Ref",
    "Fn::If",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::FindInMap",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Fn",
    "Api",
];
const STRINGS: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::Serverless::Function",
    "AWS::S3::Bucket",
    "AWS::CodeDeploy::DeploymentConfig",
    "live",
    "Api",
    "Api.Alias",
    "Api.Version",
    "Api.Alias.Name",
    "${Api.Alias}",
    "${P}",
    "${!x}",
    "${",
    "AWS::NoValue",
    "AWS::Region",
    "P",
    "C",
    "Canary10Percent5Minutes",
    "Canary5Percent2Minutes",
    "Linear99PercentEvery99999Minutes",
    "AllAtOnce",
    "true",
    "false",
    "",
    "{{IntrinsicFunction:x}}",
    "DEPLOYMENT_FAILURE",
    "Retain",
    "0",
    "é\u{1F600}",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        proptest::sample::select(STRINGS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |entries| Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect()
                )
            ),
        ]
    })
}

fn context() -> Context {
    let mut parameter_values = Map::new();
    parameter_values.insert("P".into(), Value::from("v"));
    Context {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        parameter_values,
        ..Context::default()
    }
}

fn check(template: Value) -> Result<(), TestCaseError> {
    match transform(template, &context()) {
        Ok(output) => prop_assert!(output.template.is_object()),
        Err(errors) => {
            prop_assert!(!errors.as_slice().is_empty());
            for error in errors.as_slice() {
                prop_assert!(!error.to_string().is_empty());
                // Located: every error names a place, and only a non-object template is the root.
                if error.path.segments().is_empty() {
                    prop_assert!(errors.len() == 1);
                }
                prop_assert!(!matches!(
                    error.path.segments().first(),
                    Some(Segment::Index(_))
                ));
            }
        }
    }
    Ok(())
}

/// Read once: every fixture input, ok and err alike.
fn fixture_inputs() -> &'static [Value] {
    static INPUTS: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    INPUTS.get_or_init(read_fixture_inputs)
}

fn read_fixture_inputs() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut inputs = Vec::new();
    for kind in ["ok", "err"] {
        let Ok(entries) = fs::read_dir(root.join(kind)) else {
            continue;
        };
        let mut dirs: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            if let Ok(text) = fs::read_to_string(dir.join("input.yaml")) {
                if let Ok(document) = gradual_yaml::parse(&text) {
                    inputs.push(document.value);
                }
            }
        }
    }
    inputs
}

/// Every place in `value`, as a list of steps.
fn places(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match value {
        Value::Object(object) => {
            for (key, item) in object {
                here.push(Step::Key(key.clone()));
                places(item, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                here.push(Step::Index(i));
                places(item, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'v>(value: &'v mut Value, steps: &[Step]) -> Option<&'v mut Value> {
    let mut current = value;
    for step in steps {
        current = match (step, current) {
            (Step::Key(key), Value::Object(object)) => object.get_mut(key)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_documents_never_panic(template in document()) {
        check(template)?;
    }

    #[test]
    fn arbitrary_resources_never_panic(resources in proptest::collection::vec((proptest::sample::select(KEYS), document()), 0..6)) {
        let resources: Map<String, Value> = resources.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        check(serde_json::json!({"Parameters": {"P": {"Type": "String"}}, "Resources": resources}))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic(which in any::<prop::sample::Index>(), place in any::<prop::sample::Index>(), replacement in document(), delete in any::<bool>()) {
        let inputs = fixture_inputs();
        // An empty or unreadable fixture set would make this test pass without testing anything.
        prop_assert!(inputs.len() >= 90, "only {} fixture inputs could be read", inputs.len());
        let mut template = inputs[which.index(inputs.len())].clone();
        let mut all = Vec::new();
        places(&template, &mut Vec::new(), &mut all);
        let steps = all[place.index(all.len())].clone();
        match (delete, steps.split_last()) {
            (true, Some((Step::Key(key), parent))) => {
                if let Some(Value::Object(object)) = at(&mut template, parent) {
                    object.shift_remove(key);
                }
            }
            _ => {
                if let Some(slot) = at(&mut template, &steps) {
                    *slot = replacement;
                }
            }
        }
        check(template)?;
    }
}
