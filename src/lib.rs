//! Cairn: a service catalog and dependency knowledge base.
//!
//! `loader` turns a catalog directory into a [`model::Catalog`] snapshot plus diagnostics;
//! `validate` checks cross-references; `graph` builds the dependency graph that `impact`
//! queries; `score` rates production readiness; `onboarding` and `oncall` serve newcomers and
//! first responders; `cli` is the command line. See ARCHITECTURE.md for the module map.

// Nothing in Cairn needs `unsafe`; parsers of hostile input least of all.
#![forbid(unsafe_code)]

pub mod announce;
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
pub mod hostile;
pub mod ical;
pub mod impact;
pub mod loader;
pub mod model;
pub mod native;
pub mod observed;
pub mod onboarding;
pub mod oncall;
pub mod paging;
pub mod picture;
pub mod report;
pub mod scaffold;
pub mod score;
pub mod search;
pub mod snapshot;
pub mod sources;
pub mod text;
pub mod validate;
pub mod views;
pub mod web;

/// Turns transparent huge pages off for this process (Linux; elsewhere a no-op). Call first
/// thing in `main`. mimalloc asks for huge pages for its arenas, and each first touch of one
/// makes the kernel clear 2 MB, and peak RSS counts whole huge pages: without them a cold start
/// uses less memory and is no slower (docs/benchmarks.md, "Concurrent queries and huge pages").
pub fn without_huge_pages() {
    // Best effort: a kernel without the flag keeps huge pages, which only costs memory.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

pub use loader::{load, LoadOptions};
pub use model::Catalog;

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_turned_off_for_the_process() {
        super::without_huge_pages();
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        // Kernels before 6.x do not report the flag; where they do, it must be off.
        if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
            assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
        }
        let flag = rustix::thread::transparent_huge_pages_are_disabled();
        assert!(matches!(flag, Ok(true)), "{flag:?}");
    }
}
