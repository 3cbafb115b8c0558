//! The one error type of this crate.

use crate::Location;

/// Why a template could not be read, and where when known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location_prefix(.location))]
pub struct YamlError {
    location: Option<Location>,
    message: String,
}

fn location_prefix(location: &Option<Location>) -> String {
    match location {
        Some(location) => format!("{location}: "),
        None => String::new(),
    }
}

impl YamlError {
    pub(crate) fn at(location: Location, message: impl Into<String>) -> Self {
        Self {
            location: Some(location),
            message: message.into(),
        }
    }

    pub(crate) fn unlocated(message: impl Into<String>) -> Self {
        Self {
            location: None,
            message: message.into(),
        }
    }

    /// Where the problem is, when the parser could tell.
    pub fn location(&self) -> Option<Location> {
        self.location
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}
