//! Cross-crate tests live in this package's test targets.
