//! Integration tests of gradual-yaml.

/// The emitted YAML read by cfn-lint's own (PyYAML) loader, and linted by cfn-lint.
mod pyyaml;
/// `parse(to_yaml(v)) == v` for generated JSON values.
mod round_trip;
/// Shared proptest strategies.
mod strategy;
