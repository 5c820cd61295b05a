//! Cairn: a service catalog and dependency knowledge base.
//!
//! `loader` turns a catalog directory into a [`model::Catalog`] snapshot plus diagnostics;
//! `validate` checks cross-references; `graph` builds the dependency graph that `impact`
//! queries; `score` rates production readiness; `onboarding` and `oncall` serve newcomers and
//! first responders; `cli` is the command line. See ARCHITECTURE.md for the module map.

// Nothing in Cairn needs `unsafe`; parsers of hostile input least of all.
#![forbid(unsafe_code)]

pub mod cli;
pub mod date;
pub mod diag;
pub mod diff;
pub mod docs;
pub mod drift;
pub mod export;
pub mod fuzzing;
pub mod gen;
pub mod graph;
pub mod impact;
pub mod loader;
pub mod model;
pub mod native;
pub mod observed;
pub mod onboarding;
pub mod oncall;
pub mod report;
pub mod scaffold;
pub mod score;
pub mod search;
pub mod validate;
pub mod views;
pub mod web;

pub use loader::{load, LoadOptions};
pub use model::Catalog;
