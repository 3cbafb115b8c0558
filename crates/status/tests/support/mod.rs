//! The fake AWS endpoint and the scenarios behind it, shared by the test crates.
pub mod fake_aws;
pub mod scenarios;
