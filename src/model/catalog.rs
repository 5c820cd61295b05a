//! The [`Catalog`] snapshot, its name indexes and lookups, and what an incremental load keeps
//! of them ([`NameIndexes`]); Backstage references.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::diag::Diagnostic;

use super::api::{Api, ApiRef};
use super::settings::Settings;
use super::system::{DocRef, System};
use super::team::{Domain, Team};
use super::{FileId, HeldFile, SourceFile};

/// What a Backstage entity reference names, in Cairn terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackstageTarget {
    System(String),
    /// An API by its Cairn name, with the systems that provide it.
    Api {
        name: String,
        providers: Vec<String>,
    },
    Team(String),
    Domain(String),
}

/// An immutable snapshot of a catalog directory, with every problem found while loading it.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    /// Shared, so an incremental reload reuses the systems of unchanged files instead of
    /// copying them (`loader::LoadCache`).
    pub systems: Vec<Arc<System>>,
    pub teams: Vec<Team>,
    pub domains: Vec<Domain>,
    /// The settings document, when the catalog has one.
    pub settings: Option<Settings>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files whose newest version has errors and is not served (in path order).
    pub held: Vec<HeldFile>,
    /// Markdown text of every doc and runbook named by a system, keyed by path relative to the
    /// root. Read at load time so a snapshot never mixes old YAML with newer docs.
    pub documents: BTreeMap<String, Arc<str>>,
    /// The docs of `documents` that are shown as plain text, not rendered ([`crate::docs::shown_as_text`]),
    /// with why; found once, when the doc is read.
    pub documents_as_text: BTreeMap<String, String>,
    /// Backstage entity references (`component:default/pkgdb`, `api:default/pkgdb-api`) of
    /// imported entities → what they became.
    pub backstage_refs: HashMap<String, BackstageTarget>,
    /// The sources the files came from, when the settings list `sources:` (docs/sources.md):
    /// each one's served revision and how its last fetch went.
    pub sources: Vec<super::SourceStatus>,
    // Name → position maps, hashed with FxHash: SipHash's DoS resistance buys nothing for
    // names read from the catalog's own files, and it costs a visible part of a reload
    // (docs/benchmarks.md).
    // Shared with the next catalog of an incremental load when no name changed
    // ([`NameIndexes`]).
    pub(crate) system_index: Arc<FxHashMap<String, usize>>,
    pub(crate) alias_index: Arc<FxHashMap<String, usize>>,
    pub(crate) team_index: FxHashMap<String, usize>,
    pub(crate) domain_index: FxHashMap<String, usize>,
    /// File id → file, when the ids in locations are not positions in `files`: an incremental
    /// reload keeps the ids of unchanged files (see `loader::LoadCache`), so this table only
    /// grows; `files` is still the catalog's files in walk order.
    pub(crate) file_table: Option<std::sync::Arc<Vec<SourceFile>>>,
}

impl Catalog {
    /// Builds the name indexes; the first declaration of a name wins.
    pub fn new<S: Into<Arc<System>>>(
        root: PathBuf,
        files: Vec<SourceFile>,
        systems: Vec<S>,
        teams: Vec<Team>,
        domains: Vec<Domain>,
    ) -> Catalog {
        Self::new_after(root, files, systems, teams, domains, None)
    }

    /// [`Catalog::new`] after the catalog `previous` holds the names of: when every system is
    /// where it was with the same name and aliases (any edit that renames nothing), its
    /// system and alias indexes are shared instead of built again (100,000 names each).
    pub(crate) fn new_after<S: Into<Arc<System>>>(
        root: PathBuf,
        files: Vec<SourceFile>,
        systems: Vec<S>,
        teams: Vec<Team>,
        domains: Vec<Domain>,
        previous: Option<&NameIndexes>,
    ) -> Catalog {
        let mut c = Catalog {
            root,
            files,
            systems: systems.into_iter().map(Into::into).collect(),
            teams,
            domains,
            ..Default::default()
        };
        let same_names = previous.filter(|p| {
            p.systems.len() == c.systems.len()
                && p.systems.iter().zip(&c.systems).all(|(a, b)| {
                    Arc::ptr_eq(a, b)
                        || (a.name.value == b.name.value
                            && a.aliases.len() == b.aliases.len()
                            && a.aliases
                                .iter()
                                .zip(&b.aliases)
                                .all(|(x, y)| x.value == y.value))
                })
        });
        if let Some(p) = same_names {
            c.system_index = p.system.clone();
            c.alias_index = p.alias.clone();
        } else {
            let systems = &c.systems;
            let (by_name, by_alias) = rayon::join(
                || {
                    let mut m =
                        FxHashMap::with_capacity_and_hasher(systems.len(), Default::default());
                    for (i, s) in systems.iter().enumerate() {
                        if !m.contains_key(&s.name.value) {
                            m.insert(s.name.value.clone(), i);
                        }
                    }
                    m
                },
                || {
                    let mut m = FxHashMap::default();
                    for (i, s) in systems.iter().enumerate() {
                        for a in &s.aliases {
                            if !m.contains_key(&a.value) {
                                m.insert(a.value.clone(), i);
                            }
                        }
                    }
                    m
                },
            );
            c.system_index = Arc::new(by_name);
            c.alias_index = Arc::new(by_alias);
        }
        for (i, t) in c.teams.iter().enumerate() {
            c.team_index.entry(t.name.value.clone()).or_insert(i);
        }
        for (i, d) in c.domains.iter().enumerate() {
            c.domain_index.entry(d.name.value.clone()).or_insert(i);
        }
        c
    }

    pub fn system(&self, name: &str) -> Option<&System> {
        self.system_index.get(name).map(|&i| &*self.systems[i])
    }

    pub fn system_id(&self, name: &str) -> Option<usize> {
        self.system_index.get(name).copied()
    }

    /// A system by name or by one of its aliases.
    pub fn system_by_name_or_alias(&self, name: &str) -> Option<&System> {
        self.system(name)
            .or_else(|| self.alias_index.get(name).map(|&i| &*self.systems[i]))
    }

    pub fn team(&self, name: &str) -> Option<&Team> {
        self.team_index.get(name).map(|&i| &self.teams[i])
    }

    pub fn domain(&self, name: &str) -> Option<&Domain> {
        self.domain_index.get(name).map(|&i| &self.domains[i])
    }

    /// The held-back file `path`, if it is one.
    pub fn held_file(&self, path: &str) -> Option<&HeldFile> {
        self.held.iter().find(|h| h.path == path)
    }

    pub fn file_path(&self, id: FileId) -> &str {
        self.file_table
            .as_deref()
            .unwrap_or(&self.files)
            .get(id as usize)
            .map(|f| f.path.as_str())
            .unwrap_or("<unknown>")
    }

    /// Every owner's systems (positions in `systems`, catalog order), found in one pass. For
    /// answers about every team: [`Catalog::systems_owned_by`] once per team walks the systems
    /// as many times as there are teams (5,000 × 100,000 at the largest benchmark, ~1 minute).
    pub fn systems_by_owner(&self) -> FxHashMap<&str, Vec<usize>> {
        let mut by: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, s) in self.systems.iter().enumerate() {
            if let Some(o) = s.owner_name() {
                by.entry(o).or_default().push(i);
            }
        }
        by
    }

    /// Systems owned by a team, in catalog order.
    pub fn systems_owned_by<'a>(&'a self, team: &'a str) -> impl Iterator<Item = &'a System> + 'a {
        self.systems
            .iter()
            .map(|s| &**s)
            .filter(move |s| s.owner_name() == Some(team))
    }

    /// The APIs matched by a reference: one for `sys/api@N`, every version for `sys/api`,
    /// every API of the system for `sys`.
    pub fn resolve_api_ref<'a>(&'a self, r: &ApiRef) -> Vec<&'a Api> {
        let Some(sys) = self.system(&r.system) else {
            return Vec::new();
        };
        sys.provides
            .iter()
            .filter(|a| r.api.as_deref().is_none_or(|n| a.name.value == n))
            .filter(|a| r.version.is_none_or(|v| a.version == v))
            .collect()
    }

    /// Every `system/api@N` reference in the catalog, for suggestions.
    pub fn all_api_refs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.systems {
            for a in &s.provides {
                out.push(a.reference(&s.name.value));
            }
        }
        out
    }

    /// The Markdown text of a doc or runbook, by path relative to the root.
    pub fn document(&self, path: &str) -> Option<&str> {
        self.documents.get(path).map(|t| &**t)
    }

    /// Paths of a system's docs and runbook (when it is a path), in declaration order.
    pub fn doc_paths<'a>(&'a self, s: &'a System) -> impl Iterator<Item = &'a str> + 'a {
        s.docs
            .iter()
            .map(|d| d.value.as_str())
            .chain(s.runbook.iter().filter_map(|r| match &r.value {
                DocRef::Path(p) => Some(p.as_str()),
                DocRef::Url(_) => None,
            }))
    }

    /// Looks up a Backstage reference (`api:pkgdb-api`, `component:default/pkgdb`), case-insensitively,
    /// with the namespace defaulting to `default`.
    pub fn backstage_ref(&self, reference: &str) -> Option<&BackstageTarget> {
        let (kind, rest) = reference.trim().split_once(':')?;
        let (ns, name) = rest.split_once('/').unwrap_or(("default", rest));
        let key = format!(
            "{}:{}/{}",
            kind.to_ascii_lowercase(),
            ns.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        self.backstage_refs.get(&key)
    }

    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    pub fn api_count(&self) -> usize {
        self.systems.iter().map(|s| s.provides.len()).sum()
    }
}

/// A catalog's systems and its name indexes, kept by an incremental load for the next
/// catalog ([`Catalog::new_after`]).
#[derive(Clone, Default)]
pub(crate) struct NameIndexes {
    systems: Vec<Arc<System>>,
    system: Arc<FxHashMap<String, usize>>,
    alias: Arc<FxHashMap<String, usize>>,
}

impl Catalog {
    pub(crate) fn name_indexes(&self) -> NameIndexes {
        NameIndexes {
            systems: self.systems.clone(),
            system: self.system_index.clone(),
            alias: self.alias_index.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Loc, Spanned};

    #[test]
    fn name_indexes_are_shared_only_while_every_name_stays() {
        let system = |name: &str, alias: &str| {
            Arc::new(System {
                name: Spanned::new(name.to_string(), Loc::default()),
                aliases: vec![Spanned::new(alias.to_string(), Loc::default())],
                ..Default::default()
            })
        };
        let make = |systems: Vec<Arc<System>>, prev: Option<&NameIndexes>| {
            Catalog::new_after(PathBuf::new(), vec![], systems, vec![], vec![], prev)
        };
        let first = make(vec![system("koji", "k"), system("pkgdb", "p")], None);
        let names = first.name_indexes();
        // Another description, the same names: the indexes are the previous ones.
        let mut edited = (*first.systems[1]).clone();
        edited.description = "new words".into();
        let same = make(
            vec![first.systems[0].clone(), Arc::new(edited)],
            Some(&names),
        );
        assert!(Arc::ptr_eq(&same.system_index, &first.system_index));
        assert!(Arc::ptr_eq(&same.alias_index, &first.alias_index));
        // A renamed system, a new alias, or one system more: built again, and right.
        for systems in [
            vec![first.systems[0].clone(), system("pkgdb2", "p")],
            vec![first.systems[0].clone(), system("pkgdb", "q")],
            vec![
                first.systems[0].clone(),
                first.systems[1].clone(),
                system("mdapi", "m"),
            ],
        ] {
            let c = make(systems.clone(), Some(&names));
            assert!(!Arc::ptr_eq(&c.system_index, &first.system_index));
            for (i, s) in systems.iter().enumerate() {
                assert_eq!(c.system_id(&s.name.value), Some(i));
                assert_eq!(
                    c.system_by_name_or_alias(&s.aliases[0].value)
                        .map(|x| &x.name.value),
                    Some(&s.name.value)
                );
            }
        }
    }
}
