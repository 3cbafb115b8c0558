//! CloudFormation YAML front end (being written).
