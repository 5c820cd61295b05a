//! Integration tests: one binary, one module per feature.

mod backstage;
mod check;
mod drift;
mod format_doc;
mod impact;
mod openapi;
mod search;
mod support;
mod web;
