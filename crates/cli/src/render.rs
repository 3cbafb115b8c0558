//! How template errors and warnings are shown: located in the source where possible.

use gradual_transform::{TransformError, Warning};
use std::cell::OnceCell;

use gradual_yaml::{Format, Location, Locations};

/// The template being reported on.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    /// As given on the command line, or `<stdin>`.
    name: &'a str,
    format: Format,
    /// YAML input's positions, read with it.
    locations: &'a Locations,
    text: &'a str,
    /// JSON input's positions, found only when something in it is reported.
    json_locations: OnceCell<Locations>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(
        name: &'a str,
        format: Format,
        locations: &'a Locations,
        text: &'a str,
    ) -> Self {
        Self {
            name,
            format,
            locations,
            text,
            json_locations: OnceCell::new(),
        }
    }

    /// The line and column of the node at `json_pointer`, or of its closest located ancestor.
    fn locate(&self, json_pointer: &str) -> Option<Location> {
        let locations = match self.format {
            Format::Yaml => self.locations,
            Format::Json => self
                .json_locations
                .get_or_init(|| gradual_yaml::locate_json(self.text)),
        };
        locations.nearest(json_pointer)
    }
}

/// `file:line:column: path: message`, or `path: message` where the input can't be located.
pub(crate) fn error(source: &Source<'_>, error: &TransformError) -> String {
    match source.locate(&error.path.to_json_pointer()) {
        Some(location) => format!("{}:{location}: {error}", source.name),
        None => error.to_string(),
    }
}

/// `file:line:column: warning: path: message`, or `warning: path: message` where the input can't
/// be located.
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
        let source = Source::new(name, format, &document.locations, text);
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
    fn json_errors_are_located_once_there_is_one_to_report() {
        let errors = TransformErrors::from_vec(vec![TransformError::new(
            properties().key("AutoPublishAlias"),
            ErrorKind::invalid("must not be empty"),
        )])
        .expect("not empty");
        let json = "{\"Resources\": {\"Api\": {\"Properties\": {\n  \"AutoPublishAlias\": \"\"}}}}";
        assert_eq!(
            render_all("t.json", json, &errors),
            ["t.json:2:3: Resources.Api.Properties.AutoPublishAlias: must not be empty"]
        );
    }

    #[test]
    fn json_read_differently_as_yaml_carries_only_the_path() {
        let errors = TransformErrors::from_vec(vec![TransformError::new(
            properties().key("AutoPublishAlias"),
            ErrorKind::invalid("must not be empty"),
        )])
        .expect("not empty");
        // A duplicate key: serde_json keeps the last, so positions could point at the wrong one.
        let json = r#"{"Resources": {"Api": {"Properties": {"AutoPublishAlias": "", "AutoPublishAlias": "x"}}}}"#;
        assert_eq!(
            render_all("t.json", json, &errors),
            ["Resources.Api.Properties.AutoPublishAlias: must not be empty"]
        );
    }

    #[test]
    fn warnings_are_marked_and_located() {
        let (document, format) = gradual_yaml::parse_any(TEMPLATE).expect("parses");
        let source = Source::new("t.yaml", format, &document.locations, TEMPLATE);
        let note = Warning {
            path: properties().key("AutoPublishAlias"),
            message: "alias names are case-sensitive".to_owned(),
        };
        assert_eq!(
            warning(&source, &note),
            "t.yaml:5:7: warning: Resources.Api.Properties.AutoPublishAlias: alias names are case-sensitive"
        );
        let json_source = Source::new("t.json", Format::Json, &document.locations, "not JSON");
        assert_eq!(
            warning(&json_source, &note),
            "warning: Resources.Api.Properties.AutoPublishAlias: alias names are case-sensitive"
        );
    }
}
