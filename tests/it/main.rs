//! Integration tests: one binary, one module per feature.

mod check;
mod impact;
mod support;
