//! Sources: the catalog gathered from where teams keep it (docs/sources.md). When the settings
//! file at the top of the catalog directory lists `sources:`, each one — a git repository or a
//! directory inside the catalog — is read into its own folder of a served tree in the cache
//! (`<cache>/sources/<catalog id>/tree/<source>/...`, beside a copy of the settings file), and
//! the loader reads that tree like any catalog directory: every rule of the loader (paths stay
//! inside, size limits, per-file last good) holds for sources too, and live reload sees a
//! refresh as the files it changed.
//!
//! A source that cannot be fetched keeps the files of its last good fetch, and says so: its
//! [`SourceStatus`] (put into every catalog a load builds, with a `source-stale` diagnostic at
//! its entry in the settings) carries the error and since when. Only the settings file of the
//! catalog directory names sources; a settings file inside a source is just a file there.

pub mod fetch;
pub mod glob;
pub mod sync;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::diag::Diagnostic;
use crate::model::{Catalog, SourceLocation, SourceSetting, SourceStatus};
use fetch::FileSet;

/// How often `cairn serve` fetches a source again when the settings do not say.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(300);

/// A git source is fetched at most this often on its interval, whatever `refresh` says (the
/// signed webhook fetches at once).
pub const GIT_REFRESH_MIN: Duration = Duration::from_secs(30);

/// How often a directory source is read again when its entry does not say.
pub const DIR_REFRESH: Duration = Duration::from_secs(2);

/// The settings files Cairn looks for at the top of a catalog directory.
const SETTINGS_FILES: &[&str] = &["cairn.yaml", "cairn.yml"];

/// The sources of one catalog directory, their served tree and their state.
pub struct Sources {
    home: PathBuf,
    settings_file: String,
    specs: Vec<SourceSetting>,
    default_refresh: Duration,
    workspace: PathBuf,
    tree: PathBuf,
    max_file_size: u64,
    /// Each source's state.
    status: Mutex<BTreeMap<String, SourceStatus>>,
    /// Held for a whole refresh: refreshes run one at a time (and, through
    /// [`Sources::workspace_lock`], one at a time across processes).
    refreshing: Mutex<()>,
    /// What each directory source's files looked like at its last read, so unchanged files
    /// are not read again (`fetch::read_dir`).
    stamps: Mutex<BTreeMap<String, fetch::Stamps>>,
    /// `--offline`: git sources are read from the cache, never fetched.
    offline: bool,
    /// `--source-allow`: the URL prefixes remote git sources must start with (none: no remote
    /// source is fetched).
    allow: Vec<String>,
    /// What reading the settings in the catalog directory found: checks that depend on where
    /// the file is (a `path:` that leaves the catalog through a symlink) do not hold in the
    /// served tree's copy, so these are added to every catalog (once).
    settings_diags: Vec<Diagnostic>,
    /// Sources a refresh was asked for that has not started yet: a burst of webhooks for
    /// one source makes one refresh, not a queue.
    pending: Mutex<std::collections::BTreeSet<String>>,
}

/// What refreshing one source did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub name: String,
    /// The commit now served (git sources).
    pub revision: Option<String>,
    /// Files written or removed in the served tree (0: nothing changed, nothing reloads).
    pub changed: usize,
    /// Why the fetch failed (the last good files are kept).
    pub error: Option<String>,
}

impl Sources {
    /// The sources the settings file of `catalog_dir` lists; `None` when it lists none (the
    /// directory is the catalog, as it always was). `cache_dir` defaults to the platform's
    /// cache directory.
    pub fn open(
        catalog_dir: &Path,
        cache_dir: Option<&Path>,
        max_file_size: u64,
    ) -> anyhow::Result<Option<Sources>> {
        let Ok(canonical) = catalog_dir.canonicalize() else {
            return Ok(None);
        };
        let Some((file, text)) = SETTINGS_FILES.iter().find_map(|f| {
            let bytes = crate::loader::read::read_in_catalog(&canonical, f, max_file_size).ok()?;
            Some((f.to_string(), String::from_utf8_lossy(&bytes).into_owned()))
        }) else {
            return Ok(None);
        };
        // Errors in the settings are reported by the load of the served tree (the file is
        // copied there); here only the sources that read well count.
        let (settings, settings_diags) =
            crate::loader::parse_settings_in(&text, catalog_dir, &file);
        let Some(settings) = settings.filter(|s| !s.sources.is_empty()) else {
            return Ok(None);
        };
        let home = catalog_dir
            .canonicalize()
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", catalog_dir.display()))?;
        let base = match cache_dir {
            Some(d) => d.to_path_buf(),
            None => default_cache_dir().ok_or_else(|| {
                anyhow::anyhow!("no cache directory (set --cache-dir, XDG_CACHE_HOME or HOME)")
            })?,
        };
        let id = {
            use std::hash::Hasher;
            let mut h = fnv::FnvHasher::default();
            h.write(home.to_string_lossy().as_bytes());
            format!("{:016x}", h.finish())
        };
        let workspace = base.join("sources").join(id);
        let tree = workspace.join("tree");
        sync::make_dir(&tree)
            .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", tree.display()))?;
        let known: BTreeMap<String, SourceStatus> = std::fs::read(workspace.join("state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<SourceStatus>>(&b).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let status = settings
            .sources
            .iter()
            .map(|spec| {
                let mut s = known.get(&spec.name).cloned().unwrap_or_default();
                let (kind, location, rev) = match &spec.location {
                    SourceLocation::Dir(p) => ("directory", p.clone(), None),
                    SourceLocation::Git { url, rev } => ("git", url.clone(), Some(rev.clone())),
                };
                if s.location != location || s.rev != rev {
                    // A different repository or ref: what was read before is not it, and its
                    // files must not be served under the new one's name.
                    s = SourceStatus::default();
                    let _ = std::fs::remove_dir_all(tree.join(&spec.name));
                }
                s.name = spec.name.clone();
                s.kind = kind.into();
                s.location = location;
                s.rev = rev;
                s.web = spec.web.clone();
                (spec.name.clone(), s)
            })
            .collect();
        Ok(Some(Sources {
            home,
            settings_file: file,
            specs: settings.sources,
            default_refresh: settings
                .refresh_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_REFRESH),
            workspace,
            tree,
            max_file_size,
            status: Mutex::new(status),
            refreshing: Mutex::new(()),
            stamps: Mutex::default(),
            offline: false,
            allow: Vec::new(),
            pending: Mutex::default(),
            settings_diags,
        }))
    }

    /// Never fetch: read git sources as the last fetch left them (`--offline`), at start and
    /// on every later refresh.
    pub fn offline(mut self, offline: bool) -> Sources {
        self.offline = offline;
        self
    }

    /// The URL prefixes remote git sources may be fetched from (`--source-allow`): the
    /// operator's choice, never the catalog's. Without any, only repositories inside the
    /// catalog directory are fetched.
    pub fn allow(mut self, prefixes: &[String]) -> Sources {
        self.allow = prefixes.to_vec();
        self
    }

    /// Asks for a refresh of `name`: `false` when one is already asked for and has not
    /// started (it will see the newest state anyway).
    pub fn ask(&self, name: &str) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string())
    }

    /// The served tree: the directory to load.
    pub fn tree(&self) -> &Path {
        &self.tree
    }

    /// The catalog directory whose settings list the sources.
    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn names(&self) -> Vec<String> {
        self.specs.iter().map(|s| s.name.clone()).collect()
    }

    /// The directory sources, by name, with the directory each is read from (inside the
    /// catalog): what `cairn serve` watches, so an edit there is read at once.
    pub fn directories(&self) -> Vec<(String, PathBuf)> {
        self.specs
            .iter()
            .filter_map(|s| match &s.location {
                SourceLocation::Dir(rel) => Some((s.name.clone(), self.home.join(rel))),
                SourceLocation::Git { .. } => None,
            })
            .collect()
    }

    /// How often `name` is read again: its `refresh`, else a directory every
    /// [`DIR_REFRESH`] (edits show up as they would with `--catalog DIR`), a git source
    /// every `refresh` of the settings (default [`DEFAULT_REFRESH`]).
    pub fn refresh_every(&self, name: &str) -> Duration {
        let Some(spec) = self.specs.iter().find(|s| s.name == name) else {
            return self.default_refresh;
        };
        match (spec.refresh_secs, &spec.location) {
            // A remote is not asked more often than every GIT_REFRESH_MIN.
            (Some(secs), SourceLocation::Git { .. }) => {
                Duration::from_secs(secs).max(GIT_REFRESH_MIN)
            }
            (Some(secs), _) => Duration::from_secs(secs),
            (None, SourceLocation::Dir(_)) => DIR_REFRESH,
            (None, SourceLocation::Git { .. }) => self.default_refresh,
        }
    }

    /// Copies the settings file and refreshes every source (`fetch: false` reads git sources
    /// from the cache only: what the last fetch got). Returns what each did.
    pub fn refresh_all(&self, fetch: bool) -> Vec<Refreshed> {
        let fetch = fetch && !self.offline;
        let mut done = Vec::new();
        if let Err(e) = self.sync_settings() {
            tracing::warn!("cannot copy the settings file into the served tree: {e}");
        }
        self.remove_unlisted();
        for spec in &self.specs {
            done.push(self.refresh_spec(spec, fetch));
        }
        done
    }

    /// Refreshes the source `name` now; `None` when there is no such source.
    pub fn refresh(&self, name: &str) -> Option<Refreshed> {
        let spec = self.specs.iter().find(|s| s.name == name)?;
        if let Err(e) = self.sync_settings() {
            tracing::warn!("cannot copy the settings file into the served tree: {e}");
        }
        Some(self.refresh_spec(spec, !self.offline))
    }

    /// An exclusive `flock` (Linux) on `refresh.lock` in the workspace, held until the file is
    /// dropped: two processes with one cache (a `cairn serve` and a `cairn check` on the same
    /// machine, both with the default cache) take turns writing the served tree, the bare
    /// repositories and `state.json`. `None` when the lock cannot be had (a file system
    /// without locks): then only this process's refreshes are kept apart.
    fn workspace_lock(&self) -> Option<std::fs::File> {
        std::fs::create_dir_all(&self.workspace).ok()?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.workspace.join("refresh.lock"))
            .ok()?;
        // `File::lock` is newer than the crate's rust-version: the Linux call directly.
        #[cfg(target_os = "linux")]
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).ok()?;
        Some(file)
    }

    fn refresh_spec(&self, spec: &SourceSetting, fetch: bool) -> Refreshed {
        // One refresh at a time; the state is locked only to read and to record, so a slow
        // fetch never holds up a reload (which reads the state to attach it).
        let _one = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        let _across = self.workspace_lock();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&spec.name);
        let prior = self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&spec.name)
            .cloned()
            .unwrap_or_default();
        let cached = prior.revision.clone();
        let dest = self.tree.join(&spec.name);
        let now = crate::date::Date::timestamp(SystemTime::now());
        let take = fetch::Take {
            include: &spec.include,
            exclude: &spec.exclude,
        };
        // (revision, files read, files unchanged and not read again)
        let read = match &spec.location {
            SourceLocation::Dir(rel) => {
                let mut stamps = self.stamps.lock().unwrap_or_else(|p| p.into_inner());
                let stamps = stamps.entry(spec.name.clone()).or_default();
                fetch::read_dir(&self.home, rel, take, self.max_file_size, stamps, &dest)
                    .map(|(files, unchanged)| (None, files, Some(unchanged)))
            }
            SourceLocation::Git { url, rev } => {
                let repo = self
                    .workspace
                    .join("git")
                    .join(format!("{}.git", spec.name));
                let commit = if fetch {
                    match url.strip_prefix("file://") {
                        Some(local) => fetch::check_local_repo(&self.home, Path::new(local)),
                        None => allowed(&self.allow, url),
                    }
                    .and_then(|()| fetch::fetch(&repo, url, rev))
                } else {
                    cached.ok_or_else(|| "not fetched yet (--offline)".to_string())
                };
                commit.and_then(|c| {
                    // The commit already served: nothing to read or write (a refresh on an
                    // interval mostly finds this).
                    if prior.revision.as_deref() == Some(c.as_str())
                        && prior.error.is_none()
                        && dest.is_dir()
                    {
                        return Ok((Some(c), FileSet::new(), None));
                    }
                    fetch::read_commit(&repo, &c, take, self.max_file_size)
                        .map(|files| (Some(c), files, Some(Default::default())))
                })
            }
        };
        let written = read.and_then(|(revision, files, unchanged)| match unchanged {
            // Git, the same commit: the served folder is it already.
            None => Ok((revision, prior.files, 0)),
            Some(unchanged) => sync::sync(&dest, &files, &unchanged)
                .map(|n| (revision, files.len() + unchanged.len(), n))
                .map_err(|e| format!("cannot write the served tree: {e}")),
        });
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let s = status.entry(spec.name.clone()).or_default();
        s.checked_at = Some(now.clone());
        let mut out = Refreshed {
            name: spec.name.clone(),
            revision: None,
            changed: 0,
            error: None,
        };
        match written {
            Ok((revision, files, changed)) => {
                s.revision = revision;
                s.fetched_at = Some(now);
                s.error = None;
                s.stale_since = None;
                s.files = files;
                out.changed = changed;
            }
            Err(e) => {
                if s.stale_since.is_none() {
                    s.stale_since = Some(now);
                }
                s.error = Some(e.clone());
                out.error = Some(e);
            }
        }
        out.revision = s.revision.clone();
        let all: Vec<SourceStatus> = status.values().cloned().collect();
        if let Ok(json) = serde_json::to_vec_pretty(&all) {
            // Written beside and renamed: a crash never leaves half a state.
            let tmp = self.workspace.join(".state.json.tmp");
            if std::fs::write(&tmp, json).is_ok() {
                let _ = std::fs::rename(&tmp, self.workspace.join("state.json"));
            }
        }
        out
    }

    /// The settings file, copied to the top of the served tree.
    fn sync_settings(&self) -> std::io::Result<bool> {
        // Never through a symlink that leaves the catalog (it is read every few seconds).
        let bytes = crate::loader::read::read_in_catalog(
            &self.home,
            &self.settings_file,
            self.max_file_size,
        )
        .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let target = self.tree.join(&self.settings_file);
        if std::fs::read(&target).ok().as_deref() == Some(&bytes[..]) {
            return Ok(false);
        }
        let tmp = self.tree.join(".cairn-tmp-settings");
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, &target).map(|()| true)
    }

    /// Copies the settings file into the served tree when it changed (its glossary, scorecard,
    /// ...: every setting but `sources:`, which is read at start); `true` when it did.
    pub fn copy_settings(&self) -> bool {
        match self.sync_settings() {
            Ok(changed) => changed,
            Err(e) => {
                tracing::warn!("cannot copy the settings file into the served tree: {e}");
                false
            }
        }
    }

    /// Removes what the settings no longer list from the top of the served tree.
    fn remove_unlisted(&self) {
        let Ok(entries) = std::fs::read_dir(&self.tree) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == self.settings_file || self.specs.iter().any(|s| s.name == name) {
                continue;
            }
            let p = e.path();
            let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
        }
        // And the bare repositories of git sources no longer listed.
        let Ok(repos) = std::fs::read_dir(self.workspace.join("git")) else {
            return;
        };
        for e in repos.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let listed = self.specs.iter().any(|s| {
                matches!(s.location, SourceLocation::Git { .. })
                    && format!("{}.git", s.name) == name
            });
            if !listed {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// Every source's state now.
    pub fn statuses(&self) -> Vec<SourceStatus> {
        let status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        self.specs
            .iter()
            .filter_map(|s| status.get(&s.name).cloned())
            .collect()
    }

    /// Puts the sources' state into a catalog loaded from the served tree, with a diagnostic
    /// at the settings entry of each source whose last fetch failed: `source-stale` (a
    /// warning: the last good files are served) or `source-unavailable` (an error: it was
    /// never read, its entities are missing).
    pub fn attach(&self, catalog: &mut Catalog) {
        catalog.sources = self.statuses();
        let settings_file = &self.settings_file;
        let line_of = |name: &str| -> (u32, u32) {
            catalog
                .settings
                .as_ref()
                .and_then(|s| s.sources.iter().find(|x| x.name == name))
                .map(|x| (x.loc.line, x.loc.col))
                .unwrap_or((1, 1))
        };
        let mut found = Vec::new();
        for s in &catalog.sources {
            let Some(error) = &s.error else {
                continue;
            };
            let (line, col) = line_of(&s.name);
            let d = match (&s.fetched_at, &s.revision) {
                (Some(at), revision) => Diagnostic::warning(
                    "source-stale",
                    settings_file,
                    line,
                    col,
                    format!(
                        "source `{}` could not be read since {}: {}; serving {} (read {at})",
                        s.name,
                        s.stale_since.as_deref().unwrap_or("now"),
                        error,
                        match revision {
                            Some(r) => format!("revision {}", short(r)),
                            None => "its last good files".into(),
                        }
                    ),
                ),
                (None, _) => Diagnostic::error(
                    "source-unavailable",
                    settings_file,
                    line,
                    col,
                    format!(
                        "source `{}` could not be read: {error}; nothing of it is in the catalog",
                        s.name
                    ),
                ),
            }
            .with_hint("see /sources and docs/sources.md; the next refresh tries again");
            found.push(d);
        }
        catalog.diagnostics.retain(|d| {
            !(d.file == *settings_file
                && matches!(
                    d.code,
                    "source-stale" | "source-unavailable" | "sources-changed"
                ))
        });
        // The settings' `sources:` is read at start: say so when the file now lists others.
        if let Some(now) = &catalog.settings {
            let listed: Vec<&str> = now.sources.iter().map(|s| s.name.as_str()).collect();
            let served: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
            if listed != served {
                found.push(
                    Diagnostic::warning(
                        "sources-changed",
                        settings_file,
                        now.loc.line,
                        now.loc.col,
                        format!(
                            "the settings now list the sources {}, but {} are served: `sources:` is read when Cairn starts",
                            list_or_none(&listed),
                            list_or_none(&served)
                        ),
                    )
                    .with_hint("restart `cairn serve` to read the new sources (docs/sources.md)"),
                );
            }
        }
        for d in &self.settings_diags {
            let known = catalog.diagnostics.iter().any(|k| {
                k.code == d.code && k.file == d.file && k.line == d.line && k.column == d.column
            });
            if !known {
                found.push(d.clone());
            }
        }
        catalog.diagnostics.extend(found);
        crate::diag::sort(&mut catalog.diagnostics);
    }
}

/// Whether the remote `url` starts with one of the operator's `prefixes` (each ending in `/` or
/// `:`, so `https://git.example.org/` never matches `https://git.example.org.evil.com/`), and
/// has no `..` segment, encoded dot or backslash that could climb out of it.
pub fn allowed(prefixes: &[String], url: &str) -> Result<(), String> {
    if prefixes.is_empty() {
        return Err(format!(
            "`{url}` is not fetched: the server allows no remote sources (start it with --source-allow PREFIX, docs/sources.md)"
        ));
    }
    let lower = url.to_ascii_lowercase();
    let climbs = url.split(['/', ':']).any(|seg| seg == ".." || seg == ".")
        || lower.contains("%2e")
        || lower.contains("%2f")
        || url.contains('\\');
    let under = prefixes
        .iter()
        .any(|p| (p.ends_with('/') || p.ends_with(':')) && url.starts_with(p.as_str()));
    if under && !climbs {
        Ok(())
    } else {
        Err(format!(
            "`{url}` is not fetched: it is not under a prefix the server allows (--source-allow {})",
            prefixes.join(",")
        ))
    }
}

/// `a, b, c`, or `none`.
fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first twelve characters of a commit id.
pub fn short(revision: &str) -> &str {
    &revision[..revision.len().min(12)]
}

/// Where a path of the served tree comes from: the source (its first folder) and the path
/// inside it.
pub fn split_path<'a>(catalog: &'a Catalog, path: &'a str) -> Option<(&'a SourceStatus, &'a str)> {
    let (first, rest) = path.split_once('/')?;
    catalog
        .sources
        .iter()
        .find(|s| s.name == first)
        .map(|s| (s, rest))
}

/// `$XDG_CACHE_HOME/cairn`, else `~/.cache/cairn` (`~/Library/Caches/cairn` on macOS).
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("cairn"));
    }
    let home = PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?);
    if cfg!(target_os = "macos") {
        Some(home.join("Library/Caches/cairn"))
    } else {
        Some(home.join(".cache/cairn"))
    }
}

#[cfg(test)]
mod tests {
    use super::allowed;

    /// Two processes with one cache take turns: while another holds the workspace's lock (as
    /// a `cairn check` refreshing the same sources would), a refresh waits, then goes on.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_refresh_waits_for_another_process_refreshing_the_same_cache() {
        let home = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("cairn.yaml"),
            "kind: settings\nsources:\n  - name: local\n    path: local\n",
        )
        .unwrap();
        std::fs::create_dir(home.path().join("local")).unwrap();
        std::fs::write(home.path().join("local/catalog-info.yaml"), "x: 1\n").unwrap();
        let sources = super::Sources::open(home.path(), Some(cache.path()), 1 << 20)
            .unwrap()
            .expect("the settings list sources");
        let sources = std::sync::Arc::new(sources);
        // The other process: an open file description of its own, locked.
        let other = sources.workspace_lock().expect("the lock");
        let (done, finished) = std::sync::mpsc::channel();
        let s = sources.clone();
        std::thread::spawn(move || {
            let r = s.refresh("local");
            let _ = done.send(r.map(|r| r.changed));
        });
        // Not done while the other holds the lock (however long we wait here).
        let waited = finished.recv_timeout(std::time::Duration::from_millis(300));
        assert!(
            waited.is_err(),
            "refreshed under another's lock: {waited:?}"
        );
        drop(other);
        let changed = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the refresh goes on once the lock is released");
        assert_eq!(changed, Some(1));
    }

    #[test]
    fn only_urls_under_the_operators_prefixes_are_fetched() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let github = p(&["https://github.com/example/", "git@github.com:example/"]);
        assert!(allowed(&github, "https://github.com/example/payments.git").is_ok());
        assert!(allowed(&github, "git@github.com:example/ledger.git").is_ok());
        for bad in [
            "https://github.com/other/x.git",
            "https://github.com/example-evil/x.git",
            "https://github.com/example/../other/x.git",
            "https://github.com/example/%2e%2e/other/x.git",
            "https://github.com/example/..%2fother/x.git",
            "http://internal.example.org/admin",
        ] {
            assert!(allowed(&github, bad).is_err(), "{bad}");
        }
        // A prefix without its final `/` allows nothing (`https://git.example.org` would
        // also match `https://git.example.org.evil.com/`).
        assert!(allowed(
            &p(&["https://git.example.org"]),
            "https://git.example.org/x.git"
        )
        .is_err());
        let none = allowed(&[], "https://github.com/example/x.git").unwrap_err();
        assert!(none.contains("--source-allow"), "{none}");
    }
}
