//! Integration tests: one binary, one module per feature.

mod announce;
mod architecture;
mod backstage;
mod check;
mod deploy;
mod diff;
mod drift;
mod faults;
mod format_doc;
mod fuzz_corpus;
mod impact;
mod incremental;
mod mattermost;
mod oncall_ical;
mod openapi;
mod ops;
mod props;
mod replicas;
mod score;
mod search;
mod security;
mod sources;
mod support;
mod web;
