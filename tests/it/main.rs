//! Integration tests: one binary, one module per feature.

mod backstage;
mod check;
mod format_doc;
mod impact;
mod openapi;
mod score;
mod search;
mod support;
mod web;
