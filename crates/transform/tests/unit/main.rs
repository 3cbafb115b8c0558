//! Unit tests of the core's rules, one module per concept, written rust-analyzer style:
//! `check(snippet, expect![[...]])`, where the snippet is laid over one shared base template
//! (see `support`) and the expectation shows only the part of the output the rule is about.
//!
//! They go through the public API only, so they hold across refactorings of the modules they
//! describe. Bless changed expectations with
//! `UPDATE_EXPECT=1 cargo test -p gradual-transform --test unit`, then read the diff.

mod support;

mod guard;
mod iam;
mod preference;
mod sam;
mod scope;
