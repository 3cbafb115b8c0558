//! Located errors and warnings.

use std::fmt;

use crate::path::TemplatePath;

/// What is wrong, independent of where. Messages are lowercase with no trailing period.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("expected {expected}, found {found}")]
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    #[error("missing required property `{0}`")]
    MissingProperty(String),
    #[error("unknown property `{name}`{}", suggestion_suffix(.suggestion.as_deref()))]
    UnknownProperty {
        name: String,
        suggestion: Option<String>,
    },
    #[error("{message}{}", suggestion_suffix(.suggestion.as_deref()))]
    InvalidValue {
        message: String,
        suggestion: Option<String>,
    },
    #[error("parameter `{0}` is referenced but has no value: give it a Default or pass a value")]
    ParameterWithoutValue(String),
    #[error(
        "logical ID `{0}` is generated here but already used by another resource in the template"
    )]
    LogicalIdCollision(String),
}

fn suggestion_suffix(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(suggestion) => format!("; did you mean `{suggestion}`?"),
        None => String::new(),
    }
}

impl ErrorKind {
    /// A plain message with no suggestion.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidValue {
            message: message.into(),
            suggestion: None,
        }
    }
}

/// One problem found in the input template.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {kind}")]
pub struct TransformError {
    pub path: TemplatePath,
    pub kind: ErrorKind,
}

impl TransformError {
    pub fn new(path: TemplatePath, kind: ErrorKind) -> Self {
        Self { path, kind }
    }
}

/// Every problem found in one run. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformErrors(Vec<TransformError>);

impl TransformErrors {
    /// `None` when there is nothing to report, so an empty error list cannot exist.
    pub fn from_vec(errors: Vec<TransformError>) -> Option<Self> {
        if errors.is_empty() {
            None
        } else {
            Some(Self(errors))
        }
    }

    /// A single error.
    pub fn one(error: TransformError) -> Self {
        Self(vec![error])
    }

    pub fn as_slice(&self) -> &[TransformError] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false; present because clippy pairs it with `len`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<TransformError> {
        self.0
    }
}

impl fmt::Display for TransformErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "{count} error{} in template",
            if count == 1 { "" } else { "s" }
        )?;
        for error in &self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransformErrors {}

/// Something the user should know that does not stop the transform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub path: TemplatePath,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}
