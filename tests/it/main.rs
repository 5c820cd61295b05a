//! Integration tests: one binary, one module per feature.

mod check;
mod format_doc;
mod impact;
mod search;
mod support;
