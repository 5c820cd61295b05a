//! Per-file last good: which version of each catalog file a catalog is built from.
//!
//! A file whose newest version has an error of its own — it does not parse, a field is
//! unknown or missing, a reference is malformed, a doc it names does not exist — is *held
//! back*: the catalog is built from its last good version; when it never had one, from what
//! could be read of it (the entities that converted: leaving them out would drop their
//! consumptions from impact reports), or without it when nothing could be read. Every other
//! file's newest version is served. The rule is the same for a cold start
//! (no file has a last good version yet) and for a reload. docs/reliability.md, "Per-file last
//! good", states it with its cross-file cases.
//!
//! Errors *between* files (a consumption of an API version the provider does not have, an
//! unknown endpoint) are reported and hold nothing back: which side is wrong is not knowable,
//! holding back either would change what every other file sees, and the file is meaningful
//! without the reference. So an edit to a provider that breaks its consumers goes live, and
//! the consumers get their diagnostics. The one cross-file case that does hold back is a
//! name: a file that declares a system, team or domain name a file already served (and not
//! changed since) declares is held back, so a duplicate keeps the older declaration; on a cold
//! start neither is older and the first in path order is kept (and the second reported).

use std::time::SystemTime;

use crate::diag::{Diagnostic, Severity};
use crate::model::{Catalog, HeldAs, HeldFile};

use super::document::Entity;

/// One catalog file as the settling sees it.
pub(crate) struct Version<'a> {
    pub rel: &'a str,
    /// The newest version's entities and own diagnostics (parse and conversion).
    pub now: &'a [Entity],
    pub own: &'a [Diagnostic],
    /// The last version served without errors, when `now` is not it.
    pub good: Option<&'a [Entity]>,
    /// `now` was not yet served without errors.
    pub fresh: bool,
    /// Names an unparseable `now` seems to declare (read off its text), so that references
    /// to them can be tied to its syntax error.
    pub recovered: &'a [String],
    /// When `now` was first found broken, if it was before this load.
    pub held_since: Option<SystemTime>,
}

/// What one build of the catalog gave: the catalog (its `diagnostics` those of assembling and
/// validating, not the files' own) and how many systems were validated.
pub(crate) type Built = (Catalog, usize);

/// The outcome: the catalog with every diagnostic (unsorted), which files are held, and how
/// many systems the last validation checked.
pub(crate) struct Settled {
    pub catalog: Catalog,
    /// Positions (in `files`) of files whose newest version is not accepted.
    pub held: Vec<usize>,
    pub checked: usize,
}

/// Builds the catalog from the newest version of every file that can be served, holding back
/// the rest. `build(serve)` assembles and validates a catalog from, per file, the entities
/// `serve(i)` gives.
pub(crate) fn settle<'a>(
    files: &[Version<'a>],
    walk_diags: Vec<Diagnostic>,
    mut build: impl FnMut(&dyn Fn(usize) -> &'a [Entity]) -> Built,
) -> Settled {
    // What each file serves: `None` its newest version, else what it is held as.
    let mut held: Vec<Option<HeldAs>> = files
        .iter()
        .map(|f| {
            has_error(f.own).then_some(match (f.good, f.now.is_empty()) {
                (Some(_), _) => HeldAs::LastGood,
                (None, false) => HeldAs::AsRead,
                (None, true) => HeldAs::LeftOut,
            })
        })
        .collect();
    let duplicates = hold_duplicates(files, &mut held);
    // Only held files are looked up by path (usually none: no map of every file per reload).
    let index: rustc_hash::FxHashMap<&str, usize> = (0..files.len())
        .filter(|&i| held[i].is_some())
        .map(|i| (files[i].rel, i))
        .collect();
    let serve = |i: usize| -> &'a [Entity] {
        let f = &files[i];
        match held[i] {
            None | Some(HeldAs::AsRead) => f.now,
            Some(HeldAs::LastGood) => f.good.unwrap_or(&[]),
            Some(HeldAs::LeftOut) => &[],
        }
    };
    let (mut catalog, checked) = build(&serve);

    // Diagnostics describe the files as they are on disk: a held file's are those of its
    // newest version, not of the version served in its place.
    let mut diags = walk_diags;
    diags.extend(
        std::mem::take(&mut catalog.diagnostics)
            .into_iter()
            .filter(|d| {
                index
                    .get(d.file.as_str())
                    .is_none_or(|&i| held[i] != Some(HeldAs::LastGood))
            }),
    );
    for f in files {
        diags.extend(f.own.iter().cloned());
    }
    diags.extend(duplicates);
    let now = SystemTime::now();
    let held_at: Vec<usize> = (0..files.len()).filter(|&i| held[i].is_some()).collect();
    // Per held file: its first error (root causes first) and how many it has.
    let mut first: rustc_hash::FxHashMap<usize, (&Diagnostic, usize)> = Default::default();
    for d in diags
        .iter()
        .filter(|d| d.severity == Severity::Error && !index.is_empty())
    {
        let Some(&i) = index.get(d.file.as_str()) else {
            continue;
        };
        let key = |d: &Diagnostic| (crate::diag::rank(d), d.line, d.column);
        let e = first.entry(i).or_insert((d, 0));
        e.1 += 1;
        if key(d) < key(e.0) {
            e.0 = d;
        }
    }
    let records: Vec<(usize, Diagnostic, usize)> = held_at
        .iter()
        .filter_map(|i| first.get(i).map(|&(d, n)| (*i, d.clone(), n)))
        .collect();
    link_consequences(files, &records, &mut diags);
    catalog.held = records
        .into_iter()
        .map(|(i, cause, errors)| HeldFile {
            path: files[i].rel.to_string(),
            served: held[i].unwrap_or(HeldAs::AsRead),
            since: files[i].held_since.unwrap_or(now),
            cause,
            errors,
        })
        .collect();
    catalog.held.sort_by(|a, b| a.path.cmp(&b.path));
    catalog.diagnostics = diags;
    Settled {
        catalog,
        held: held_at,
        checked,
    }
}

fn has_error(d: &[Diagnostic]) -> bool {
    d.iter().any(|d| d.severity == Severity::Error)
}

/// The names a file's entities declare (systems, teams, domains; Backstage entities by their
/// metadata name).
fn names(entities: &[Entity]) -> impl Iterator<Item = &str> {
    entities.iter().map(|e| match e {
        Entity::System(s) => s.name.value.as_str(),
        Entity::Team(t) => t.name.value.as_str(),
        Entity::Domain(d) => d.name.value.as_str(),
        Entity::Settings(_) => "",
        Entity::Backstage(b) => b.name.as_str(),
    })
}

/// What a native entity declares: its kind, name and where.
fn declared(e: &Entity) -> Option<(&'static str, &str, crate::model::Loc)> {
    match e {
        Entity::System(s) => Some(("system", s.name.value.as_str(), s.name.loc)),
        Entity::Team(t) => Some(("team", t.name.value.as_str(), t.name.loc)),
        Entity::Domain(d) => Some(("domain", d.name.value.as_str(), d.name.loc)),
        _ => None,
    }
}

/// Held so that nothing of its newest version is served (so it takes no name).
fn serves_nothing_new(h: Option<HeldAs>) -> bool {
    matches!(h, Some(HeldAs::LastGood | HeldAs::LeftOut))
}

/// A fresh file declaring a system, team or domain name that a file which is not fresh
/// already serves is held back: the older declaration is kept. Returns the errors saying so.
fn hold_duplicates(files: &[Version<'_>], held: &mut [Option<HeldAs>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if files.iter().all(|f| f.fresh) {
        return out;
    }
    // The names fresh, not yet held files declare: a reload's few, looked for among the rest
    // in one pass (no index of every name per reload).
    let wanted: rustc_hash::FxHashSet<(&str, &str)> = files
        .iter()
        .enumerate()
        .filter(|&(i, f)| f.fresh && !serves_nothing_new(held[i]))
        .flat_map(|(_, f)| f.now.iter().filter_map(declared))
        .map(|(kind, name, _)| (kind, name))
        .collect();
    if wanted.is_empty() {
        return out;
    }
    let mut settled: rustc_hash::FxHashMap<(&str, &str), &str> = Default::default();
    for f in files.iter().filter(|f| !f.fresh) {
        for (kind, name, _) in f.good.unwrap_or(f.now).iter().filter_map(declared) {
            if wanted.contains(&(kind, name)) {
                settled.entry((kind, name)).or_insert(f.rel);
            }
        }
    }
    if settled.is_empty() {
        return out;
    }
    for (i, f) in files.iter().enumerate() {
        if !f.fresh || serves_nothing_new(held[i]) {
            continue;
        }
        for (kind, name, loc) in f.now.iter().filter_map(declared) {
            if let Some(first) = settled.get(&(kind, name)) {
                held[i] = Some(if f.good.is_some() {
                    HeldAs::LastGood
                } else {
                    HeldAs::LeftOut
                });
                out.push(
                    Diagnostic::error(
                        "duplicate-name",
                        f.rel,
                        loc.line,
                        loc.col,
                        format!("duplicate {kind} name `{name}`"),
                    )
                    .with_hint(format!(
                        "`{name}` is already declared in {first}, which is kept; rename one of them"
                    )),
                );
            }
        }
    }
    out
}

/// The bare name of a reference: `group:default/team-a` → `team-a`.
fn bare(r: &str) -> &str {
    let r = r.rsplit_once(':').map_or(r, |(_, n)| n);
    r.rsplit_once('/').map_or(r, |(_, n)| n)
}

/// A "not in the catalog" reference to a name that a held file's newest version declares (or
/// seems to, when it does not parse) is a consequence of that file's problem: it says so
/// (`cause`) and is listed under it.
fn link_consequences(
    files: &[Version<'_>],
    held: &[(usize, Diagnostic, usize)],
    diags: &mut [Diagnostic],
) {
    if held.is_empty() {
        return;
    }
    let mut cause_of: rustc_hash::FxHashMap<&str, String> = Default::default();
    for (i, cause, _) in held {
        let f = &files[*i];
        let at = format!("{}:{}:{}", cause.file, cause.line, cause.column);
        for n in names(f.now).chain(f.recovered.iter().map(String::as_str)) {
            if !n.is_empty() {
                cause_of.entry(n).or_insert_with(|| at.clone());
            }
        }
    }
    for d in diags.iter_mut() {
        if let Some(r) = &d.refers_to {
            if let Some(at) = cause_of.get(bare(r)) {
                d.cause = Some(at.clone());
            }
        }
    }
}

/// Names a file that does not parse seems to declare: `name:` at the start of a line or
/// indented by two spaces (a native document's name, a Backstage entity's `metadata.name`).
/// Only for tying follow-on diagnostics to the syntax error; nothing else reads them.
pub(crate) fn recover_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let rest = line
            .strip_prefix("name:")
            .or_else(|| line.strip_prefix("  name:"));
        if let Some(v) = rest {
            let v = v.split(" #").next().unwrap_or("").trim();
            let v = v.trim_matches(|c| c == '"' || c == '\'');
            if !v.is_empty() && v.len() <= 200 {
                out.push(v.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recovered_from_text_that_does_not_parse() {
        let text = "kind: system\nname: pkgdb\nprovides: [\n---\nmetadata:\n  name: \"koji\" # x\n  title: K\n";
        assert_eq!(recover_names(text), vec!["pkgdb", "koji"]);
    }

    #[test]
    fn references_are_reduced_to_their_bare_name() {
        assert_eq!(bare("group:default/team-a"), "team-a");
        assert_eq!(bare("team-a"), "team-a");
        assert_eq!(bare("api:pkgdb-api"), "pkgdb-api");
    }
}
