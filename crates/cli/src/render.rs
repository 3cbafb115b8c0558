//! How template errors and warnings are shown: located in the source where possible.

use gradual_transform::{TransformError, Warning};
use gradual_yaml::{Format, Location, Locations};

/// The template being reported on.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    /// As given on the command line, or `<stdin>`.
    pub(crate) name: &'a str,
    pub(crate) format: Format,
    pub(crate) locations: &'a Locations,
}

impl Source<'_> {
    /// The line and column of the node at `json_pointer`, or of its closest located ancestor.
    /// JSON input carries no positions.
    fn locate(&self, json_pointer: &str) -> Option<Location> {
        match self.format {
            Format::Yaml => self.locations.nearest(json_pointer),
            Format::Json => None,
        }
    }
}

/// `file:line:column: path: message` for YAML input, `path: message` for JSON input.
pub(crate) fn error(source: &Source<'_>, error: &TransformError) -> String {
    match source.locate(&error.path.to_json_pointer()) {
        Some(location) => format!("{}:{location}: {error}", source.name),
        None => error.to_string(),
    }
}

/// `file:line:column: warning: path: message` for YAML input, `warning: path: message` for JSON.
pub(crate) fn warning(source: &Source<'_>, warning: &Warning) -> String {
    match source.locate(&warning.path.to_json_pointer()) {
        Some(location) => format!("{}:{location}: warning: {warning}", source.name),
        None => format!("warning: {warning}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradual_transform::{ErrorKind, TemplatePath, TransformErrors};

    const TEMPLATE: &str = "\
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties:
      AutoPublishAlias: 5
      Layers:
        - !Ref Layer
";

    fn render_all(name: &str, text: &str, errors: &TransformErrors) -> Vec<String> {
        let (document, format) = gradual_yaml::parse_any(text).expect("test template parses");
        let source = Source {
            name,
            format,
            locations: &document.locations,
        };
        errors
            .as_slice()
            .iter()
            .map(|e| error(&source, e))
            .collect()
    }

    fn properties() -> TemplatePath {
        TemplatePath::resource("Api").key("Properties")
    }

    #[test]
    fn yaml_errors_point_at_the_key_or_its_nearest_located_ancestor() {
        let errors = TransformErrors::from_vec(vec![
            TransformError::new(
                properties().key("AutoPublishAlias"),
                ErrorKind::WrongType {
                    expected: "a string",
                    found: "a number",
                },
            ),
            TransformError::new(
                properties().key("DeploymentPreference"),
                ErrorKind::MissingProperty("DeploymentPreference".to_owned()),
            ),
            TransformError::new(
                properties().key("Layers").index(0).key("Ref"),
                ErrorKind::invalid("no such layer"),
            ),
        ])
        .expect("not empty");
        assert_eq!(
            render_all("t.yaml", TEMPLATE, &errors),
            [
                "t.yaml:5:7: Resources.Api.Properties.AutoPublishAlias: expected a string, found a number",
                "t.yaml:4:5: Resources.Api.Properties.DeploymentPreference: missing required property `DeploymentPreference`",
                "t.yaml:7:11: Resources.Api.Properties.Layers[0].Ref: no such layer",
            ]
        );
    }

    #[test]
    fn json_errors_carry_only_the_path() {
        let errors = TransformErrors::from_vec(vec![TransformError::new(
            properties().key("AutoPublishAlias"),
            ErrorKind::invalid("must not be empty"),
        )])
        .expect("not empty");
        let json = r#"{"Resources": {"Api": {"Properties": {"AutoPublishAlias": ""}}}}"#;
        assert_eq!(
            render_all("t.json", json, &errors),
            ["Resources.Api.Properties.AutoPublishAlias: must not be empty"]
        );
    }

    #[test]
    fn warnings_are_marked_and_located() {
        let (document, format) = gradual_yaml::parse_any(TEMPLATE).expect("parses");
        let source = Source {
            name: "t.yaml",
            format,
            locations: &document.locations,
        };
        let note = Warning {
            path: properties().key("AutoPublishAlias"),
            message: "alias names are case-sensitive".to_owned(),
        };
        assert_eq!(
            warning(&source, &note),
            "t.yaml:5:7: warning: Resources.Api.Properties.AutoPublishAlias: alias names are case-sensitive"
        );
        let json_source = Source {
            format: Format::Json,
            ..source
        };
        assert_eq!(
            warning(&json_source, &note),
            "warning: Resources.Api.Properties.AutoPublishAlias: alias names are case-sensitive"
        );
    }
}
