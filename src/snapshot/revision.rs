//! The snapshot's revision: the identity of what it serves, the same on every replica that
//! serves the same content (docs/deploy.md, "Replicas").
//!
//! It is a hash of the served content itself — systems, teams, domains, settings, docs,
//! diagnostics, the files held back and the observed traffic — not of file times or paths on
//! this machine, so two replicas with their own checkouts of one git revision agree, and a
//! replica that holds a broken file at its last good version differs from one that never saw
//! it good (they do serve different answers). The binary's version is part of it: another
//! build may answer differently from the same catalog.
//!
//! The parts are hashed through their `Debug` form, which holds every field (the model has no
//! hash maps whose order could differ) and costs no hand-written walk to keep in step with the
//! model. Systems and docs are hashed on both cores.

use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::model::Catalog;
use crate::observed::Observed;

/// A fixed seed: every replica (and every run) hashes alike.
fn hasher() -> foldhash::quality::FoldHasher<'static> {
    foldhash::quality::FixedState::with_seed(0x0063_6169_726e_2d72).build_hasher()
}

/// A [`Hasher`] that `write!` can feed.
struct Sink(foldhash::quality::FoldHasher<'static>);

impl std::fmt::Write for Sink {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

fn digest(f: impl FnOnce(&mut Sink)) -> u64 {
    let mut s = Sink(hasher());
    f(&mut s);
    s.0.finish()
}

/// A hash of `bytes` with the revision's fixed seed (the web answers' `ETag`).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

/// The digests of a snapshot's systems and docs, by the address of their shared allocation
/// (`Arc<System>`, `Arc<str>`): the next snapshot hashes again only what it does not share
/// with this one. An edit to one file of 100,000 systems then hashes one system, not all of
/// them (docs/benchmarks.md, "Revision").
#[derive(Default)]
pub struct Memo {
    systems: FxHashMap<usize, u64>,
    docs: FxHashMap<usize, u64>,
}

/// The revision of a snapshot of `catalog` with `observed` traffic: 16 lower-case hex digits.
pub fn of(catalog: &Catalog, observed: Option<&Observed>) -> String {
    of_after(catalog, observed, None).0
}

/// [`of`], reusing the digests of `previous` (the [`Memo`] of a snapshot that is still alive
/// while this runs: its allocations cannot have been freed, so an address it knows is the same
/// system or doc, unchanged — both are immutable once shared).
pub fn of_after(
    catalog: &Catalog,
    observed: Option<&Observed>,
    previous: Option<&Memo>,
) -> (String, Memo) {
    let (systems, docs) = rayon::join(
        || {
            catalog
                .systems
                .par_iter()
                .map(|s| {
                    let at = Arc::as_ptr(s) as usize;
                    let known = previous.and_then(|m| m.systems.get(&at).copied());
                    let d = known.unwrap_or_else(|| {
                        digest(|h| {
                            let _ = write!(h, "{s:?}");
                        })
                    });
                    (at, d)
                })
                .collect::<Vec<(usize, u64)>>()
        },
        || {
            catalog
                .documents
                .par_iter()
                .map(|(path, text)| {
                    let at = text.as_ptr() as usize;
                    let known = previous.and_then(|m| m.docs.get(&at).copied());
                    let d = known.unwrap_or_else(|| hash_bytes(text.as_bytes()));
                    (path, at, d)
                })
                .collect::<Vec<(&String, usize, u64)>>()
        },
    );
    let rest = digest(|h| {
        let c = catalog;
        let _ = write!(
            h,
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|",
            env!("CARGO_PKG_VERSION"),
            c.teams,
            c.domains,
            c.settings,
            c.diagnostics,
            c.documents_as_text
        );
        for f in &c.files {
            let _ = write!(h, "{}:{}|", f.path, f.size);
        }
        for held in &c.held {
            // Not `since`: when a replica first saw the file broken is its own history.
            let _ = write!(
                h,
                "{}:{:?}:{:?}:{}|",
                held.path, held.served, held.cause, held.errors
            );
        }
        if let Some(o) = observed {
            let _ = write!(h, "{:?}|{:?}", o.sources, o.edges);
        }
    });
    let mut h = hasher();
    h.write_u64(rest);
    h.write_usize(systems.len());
    systems.iter().for_each(|(_, d)| h.write_u64(*d));
    h.write_usize(docs.len());
    for (path, _, d) in &docs {
        h.write(path.as_bytes());
        h.write_u8(0);
        h.write_u64(*d);
    }
    let revision = format!("{:016x}", h.finish());
    let memo = Memo {
        systems: systems.into_iter().collect(),
        docs: docs.into_iter().map(|(_, at, d)| (at, d)).collect(),
    };
    (revision, memo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(yaml: &str) -> Catalog {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.yaml"), yaml).unwrap();
        crate::loader::load(dir.path(), &Default::default()).unwrap()
    }

    const ONE: &str = "kind: team\nname: core\n---\nkind: system\nname: a\nowner: core\n";

    #[test]
    fn the_same_content_anywhere_has_the_same_revision_and_any_change_another() {
        let a = of(&catalog(ONE), None);
        // Another directory, another modification time: the same content.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(of(&catalog(ONE), None), a);
        assert_eq!(a.len(), 16);
        let described = ONE.replace("owner: core", "owner: core\ndescription: x");
        assert_ne!(of(&catalog(&described), None), a);
        let observed = Observed::default();
        assert_ne!(of(&catalog(ONE), Some(&observed)), a);
    }

    #[test]
    fn reusing_the_digests_of_shared_systems_gives_the_revision_of_a_fresh_hash() {
        let two = format!("{ONE}---\nkind: system\nname: b\nowner: core\n");
        let c = catalog(&two);
        let (first, memo) = of_after(&c, None, None);
        assert_eq!(of_after(&c, None, Some(&memo)).0, first);
        // A catalog sharing one system with `c` and changing the other.
        let mut next = c.clone();
        let mut b = (*next.systems[1]).clone();
        b.description = "changed".into();
        next.systems[1] = Arc::new(b);
        let reused = of_after(&next, None, Some(&memo)).0;
        assert_ne!(reused, first);
        assert_eq!(
            reused,
            of(&next, None),
            "the memo changes nothing but the time"
        );
    }
}
