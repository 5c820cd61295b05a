//! Incremental reload (`cairn serve`): after every edit of a random sequence, the snapshot the
//! server swapped in (files re-parsed selectively, search index updated by delete + add) must
//! equal a snapshot built from scratch from the same files: catalog, diagnostics, graph,
//! impact, readiness and search answers.

use std::path::Path;
use std::time::{Duration, SystemTime};

use cairn::loader::{self, LoadOptions};
use cairn::search::SearchOptions;
use cairn::snapshot::{Served, Snapshot};

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const QUERIES: &[&str] = &[
    "billing",
    "gateway service",
    "acc",
    "team-1",
    "owner:team-2",
    "tier:1",
    "kind:doc",
    "kind:system lifecycle:production",
    "postgres",
    "operations",
    "get",
    "renamed",
    "edited words",
    "zebra",
    "tag:rust",
    "\"load balancer\"",
    "scalabilty",
];

/// Writes a file and moves its modification time forward by a whole second each time, so
/// that two edits in the same clock tick are still seen.
fn write(path: &Path, text: &str, tick: &mut u64) {
    std::fs::write(path, text).unwrap();
    *tick += 1;
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(*tick))
        .unwrap();
}

/// Debug text with every `file: N` location replaced by the file's path: file ids differ
/// between an incremental and a full load (an incremental load keeps ids stable), paths not.
fn normalised(c: &cairn::model::Catalog, debug: String) -> String {
    debug
        .lines()
        .map(|l| {
            let t = l.trim_start();
            match t
                .strip_prefix("file: ")
                .and_then(|n| n.trim_end_matches(',').parse::<u32>().ok())
            {
                Some(id) => format!("file: {},", c.file_path(id)),
                None => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn catalog_text(c: &cairn::model::Catalog) -> String {
    let refs: std::collections::BTreeMap<_, _> = c
        .backstage_refs
        .iter()
        .map(|(k, v)| (k.clone(), format!("{v:?}")))
        .collect();
    let files: Vec<(&str, u64)> = c.files.iter().map(|f| (f.path.as_str(), f.size)).collect();
    normalised(
        c,
        format!(
            "{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}\n{refs:#?}",
            files, c.systems, c.teams, c.domains, c.settings, c.diagnostics, c.documents
        ),
    )
}

fn graph_text(s: &Snapshot) -> String {
    // Every list, in order: an updated graph must equal the graph built from scratch.
    normalised(&s.catalog, format!("{:#?}", s.graph()))
}

fn impact_text(s: &Snapshot) -> String {
    let at = cairn::date::Date::from_ymd(2026, 6, 1).unwrap();
    let mut out = String::new();
    // The oldest systems are the most consumed; and the newest one.
    let n = s.catalog.systems.len();
    for i in [0, 1, 2, n / 2, n - 1] {
        let name = &s.catalog.systems[i].name.value;
        let t = cairn::impact::resolve_target(&s.catalog, name, None).unwrap();
        let r = cairn::impact::impact(&s.catalog, s.graph(), &t, &Default::default(), at);
        out.push_str(&serde_json::to_string(&r).unwrap());
        out.push('\n');
    }
    out
}

fn compare(step: &str, inc: &Snapshot, full: &Snapshot) {
    assert_eq!(
        catalog_text(&inc.catalog),
        catalog_text(&full.catalog),
        "{step}: catalogs differ"
    );
    assert_eq!(graph_text(inc), graph_text(full), "{step}: graphs differ");
    assert_eq!(
        impact_text(inc),
        impact_text(full),
        "{step}: impact differs"
    );
    assert_eq!(
        format!("{:?}", inc.readiness()),
        format!("{:?}", full.readiness()),
        "{step}: readiness differs"
    );
    assert_eq!(
        inc.search_index().unwrap().num_docs(),
        full.search_index().unwrap().num_docs(),
        "{step}: documents"
    );
    for q in QUERIES {
        // Every hit (the catalog is small enough for one page), then the first page.
        let all = SearchOptions {
            limit: 1000,
            offset: 0,
        };
        let a = inc.search_index().unwrap().search(q, &all);
        let b = full.search_index().unwrap().search(q, &all);
        assert_eq!(a.total, b.total, "{step}: total for {q:?}");
        assert_eq!(a.facets, b.facets, "{step}: facets for {q:?}");
        let hits = |r: &cairn::search::SearchResponse| -> Vec<(String, f32)> {
            r.results
                .iter()
                .map(|h| {
                    (
                        format!("{} {} {} {}", h.kind, h.name, h.url, h.snippet),
                        h.score,
                    )
                })
                .collect()
        };
        let (ha, hb) = (hits(&a), hits(&b));
        if !q.contains(|c: char| c == ' ' || c.is_alphabetic())
            || q.split(' ').all(|w| w.contains(':'))
        {
            // Filters only: listed in `rank` order, which an update keeps exactly.
            assert_eq!(ha, hb, "{step}: listing for {q:?}");
        }
        // Ranked by BM25: the same hits; scores may drift a little because tantivy's BM25
        // statistics (document frequencies, field lengths) count deleted documents until their
        // segment is merged, so near-ties can swap places.
        let mut sa: Vec<_> = ha.iter().map(|h| h.0.clone()).collect();
        let mut sb: Vec<_> = hb.iter().map(|h| h.0.clone()).collect();
        sa.sort();
        sb.sort();
        assert_eq!(sa, sb, "{step}: hits for {q:?}");
        let scores: std::collections::HashMap<&str, f32> =
            hb.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        for (name, score) in &ha {
            let full_score = scores[name.as_str()];
            let tolerance = 0.15 * full_score.abs().max(1.0);
            assert!(
                (score - full_score).abs() <= tolerance,
                "{step}: score of {name} for {q:?}: {score} vs {full_score}"
            );
        }
        let page = SearchOptions::default();
        let (pa, pb) = (
            inc.search_index().unwrap().search(q, &page),
            full.search_index().unwrap().search(q, &page),
        );
        assert_eq!(
            (pa.total, &pa.facets),
            (pb.total, &pb.facets),
            "{step}: page of {q:?}"
        );
    }
}

fn full_build(root: &Path) -> cairn::model::Catalog {
    loader::load(root, &LoadOptions::default()).unwrap()
}

#[test]
fn incremental_reloads_equal_full_rebuilds() {
    random_edits(false);
}

/// The same edits, each reload told which paths changed (as the file watcher tells it): the
/// catalog is then walked only when files appeared or disappeared.
#[test]
fn reloads_told_the_changed_paths_equal_full_rebuilds() {
    random_edits(true);
}

fn random_edits(hinted: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("catalog");
    cairn::gen::generate(&root, 60, 7).unwrap();
    let mut cache = loader::LoadCache::default();
    let (catalog, _) =
        loader::load_incremental(&root, &LoadOptions::default(), &mut cache, &|_, _| {}).unwrap();
    assert_eq!(catalog.errors(), 0, "{:?}", catalog.diagnostics);
    let state = Served::new(catalog, &root, LoadOptions::default()).unwrap();
    state.set_load_cache(cache);
    state.prepare_reload();

    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut tick = 0u64;
    let mut added: Vec<(String, std::path::PathBuf)> = Vec::new();
    // A file broken by an earlier step: its path, its last good text, and how many other
    // edits were made while it stayed broken.
    let mut broken: Option<(std::path::PathBuf, String, u32)> = None;
    let system_files = |root: &Path| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(root.join("systems/0000"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        v.sort();
        v
    };
    let mut incremental_swaps = 0;
    let mut walks_skipped = 0;
    let mut graphs_kept = 0;
    let mut edits_while_broken = 0;
    for step in 0..40 {
        let before: std::collections::BTreeMap<std::path::PathBuf, (SystemTime, u64)> =
            listing(&root);
        let files = system_files(&root);
        let mut pick = files[rng.below(files.len())].clone();
        let fixing = matches!(&broken, Some((_, _, n)) if *n >= 2);
        if let Some((path, _, n)) = broken.as_mut().filter(|_| !fixing) {
            // One more edit while a file is broken: of another file, and one that keeps the
            // set of files (per-file last good: the edit goes live, the broken file stays
            // at its last good version).
            *n += 1;
            if pick == *path {
                pick = files[(files.iter().position(|f| f == path).unwrap() + 1) % files.len()]
                    .clone();
            }
        }
        let while_broken = broken.is_some() && !fixing;
        edits_while_broken += while_broken as usize;
        let text = std::fs::read_to_string(&pick).unwrap();
        let what = if fixing {
            let (path, good, _) = broken.take().unwrap();
            write(&path, &good, &mut tick);
            "fix the broken file"
        } else {
            // Every tenth step deprecates the picked system (drawn anyway, so the other steps'
            // random choices stay those of the sequence the tolerances below were set on).
            let choice = rng.below(9);
            let choice = match choice {
                2..=5 if while_broken => 0,
                c => c,
            };
            match if step % 10 == 9 {
                8
            } else if step % 10 == 4 {
                9
            } else {
                choice
            } {
                0 => {
                    let t = text.replacen(
                        "description: Handles",
                        "description: Edited words zebra; handles",
                        1,
                    );
                    write(&pick, &t, &mut tick);
                    "edit a description"
                }
                1 => {
                    let tier = 1 + rng.below(3);
                    let t: String = text
                        .lines()
                        .map(|l| {
                            if l.starts_with("tier:") {
                                format!("tier: {tier}\n")
                            } else if l.starts_with("owner:") {
                                format!("owner: team-{}\n", rng.below(3))
                            } else {
                                format!("{l}\n")
                            }
                        })
                        .collect();
                    write(&pick, &t, &mut tick);
                    "change tier and owner"
                }
                2 => {
                    let n = added.len();
                    let name = format!("added-system-{step}");
                    let target = &catalog_name(&files[rng.below(files.len())]);
                    let yaml = format!(
                        "kind: system\nname: {name}\ntitle: Added {n}\ndescription: A new gateway for billing.\nowner: team-1\ntier: 2\ntags: [rust]\nprovides:\n  - name: api0\n    version: 1\n    endpoints: [\"GET /renamed/{n}\"]\ndepends_on: [{target}]\n"
                    );
                    let path = root.join(format!("systems/0000/{name}.yaml"));
                    write(&path, &yaml, &mut tick);
                    added.push((name, path));
                    "add a file"
                }
                3 if !added.is_empty() => {
                    let (_, path) = added.remove(rng.below(added.len()));
                    std::fs::remove_file(path).unwrap();
                    "delete a file"
                }
                4 if !added.is_empty() => {
                    let i = rng.below(added.len());
                    let (old, path) = added[i].clone();
                    let new = format!("{old}-renamed");
                    let t = std::fs::read_to_string(&path)
                        .unwrap()
                        .replace(&format!("name: {old}\n"), &format!("name: {new}\n"));
                    write(&path, &t, &mut tick);
                    added[i].0 = new;
                    "rename a system"
                }
                5 => {
                    write(&pick, &format!("{text}\n  : : [broken\n"), &mut tick);
                    broken = Some((pick.clone(), text.clone(), 0));
                    "break a file"
                }
                6 => {
                    let docs: Vec<_> = std::fs::read_dir(root.join("systems/0000"))
                        .unwrap()
                        .map(|e| e.unwrap().path())
                        .filter(|p| p.extension().is_some_and(|e| e == "md"))
                        .collect();
                    let d = &docs[rng.below(docs.len())];
                    let md = std::fs::read_to_string(d).unwrap();
                    write(
                        d,
                        &format!("{md}\n## Zebra crossing\n\nOperations renamed the gateway.\n"),
                        &mut tick,
                    );
                    "edit a doc"
                }
                9 => {
                    // Every location of the file moves down a line and nothing else changes:
                    // a graph kept from the last snapshot would point at the old lines.
                    write(&pick, &format!("# moved\n{text}"), &mut tick);
                    "move every line down"
                }
                8 if step % 10 == 9 => {
                    // Its consumers' readiness changes with it (no_deprecated_consumption).
                    let t = text.replacen("lifecycle: production", "lifecycle: deprecated", 1);
                    write(&pick, &t, &mut tick);
                    "deprecate a system"
                }
                7 => {
                    let t = text
                        .replacen("docs: [", "runbook: ", 1)
                        .replacen(".md]", ".md", 1);
                    write(&pick, &t, &mut tick);
                    "turn a doc into a runbook"
                }
                _ => {
                    let teams = root.join("teams.yaml");
                    let t = std::fs::read_to_string(&teams).unwrap().replacen(
                        "title: Team 1\n",
                        &format!("title: Team one {step}\n"),
                        1,
                    );
                    write(&teams, &t, &mut tick);
                    "edit a team"
                }
            }
        };
        let step = format!("step {step} ({what})");
        // The paths a watcher would name: every file that changed, appeared or went away.
        let after = listing(&root);
        let mut touched = loader::Touched::default();
        for (path, stamp) in &before {
            if after.get(path) != Some(stamp) {
                touched.paths.insert(path.clone());
            }
        }
        touched
            .paths
            .extend(after.keys().filter(|p| !before.contains_key(*p)).cloned());
        let files_came_or_went = before.keys().ne(after.keys());
        let graph_before = state.live().snapshot.graph().clone();
        let scores_before = state.live().snapshot.readiness().to_vec();
        let report = if hinted {
            state.reload_touched(Some(&touched))
        } else {
            state.reload_report()
        };
        if hinted {
            assert_eq!(
                report.walked, files_came_or_went,
                "{step}: walked or not ({:?})",
                touched.paths
            );
            walks_skipped += !report.walked as usize;
        } else {
            assert!(report.walked, "{step}: not told what changed, must walk");
        }
        let full_catalog = full_build(&root);
        let live = state.live();
        if what == "edit a description" && report.swapped && report.incremental {
            // Only the edited system and its neighbours were validated again.
            assert!(
                report.validated * 4 < live.snapshot.catalog.systems.len(),
                "{step}: {} systems validated again after a description edit",
                report.validated
            );
            // Nothing the graph holds changed: the new snapshot shares the old graph.
            graphs_kept += std::sync::Arc::ptr_eq(&graph_before, live.snapshot.graph()) as usize;
            // And the other systems' scores are shared, not copied.
            let now = live.snapshot.readiness();
            let shared = scores_before
                .iter()
                .zip(now)
                .filter(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
                    _ => false,
                })
                .count();
            let scored = now.iter().flatten().count();
            // (A score is copied when its system moved in the list: added systems sort in.)
            assert!(
                shared * 4 >= scored * 3,
                "{step}: {shared} of {scored} scores shared after a description edit"
            );
        }
        // Every load is swapped in; a broken file is served at its last good version, so the
        // snapshot equals a full build of the files with that one at its last good text (and
        // the broken text's diagnostics).
        assert!(report.swapped, "{step}: not swapped: {report}");
        assert!(live.broken.is_none());
        incremental_swaps += report.incremental as usize;
        let held: Vec<(String, cairn::model::HeldAs)> = live
            .snapshot
            .catalog
            .held
            .iter()
            .map(|h| (h.path.clone(), h.served))
            .collect();
        let expected = match &broken {
            Some((path, good, _)) => {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                assert_eq!(held, [(rel, cairn::model::HeldAs::LastGood)], "{step}");
                served_while_broken(&root, path, good, full_catalog)
            }
            None => {
                assert!(held.is_empty(), "{step}: {held:?}");
                full_catalog
            }
        };
        compare(
            &step,
            &live.snapshot,
            &Snapshot::build(expected, 0).unwrap(),
        );
    }
    assert!(
        incremental_swaps >= 20,
        "only {incremental_swaps} incremental swaps"
    );
    assert!(graphs_kept >= 1, "no description edit kept the graph");
    assert!(
        edits_while_broken >= 2,
        "only {edits_while_broken} edits while a file was broken"
    );
    if hinted {
        assert!(
            walks_skipped >= 20,
            "only {walks_skipped} reloads without a walk"
        );
    }
}

/// What a server that saw `broken` good before serves now that it is not: a full build of the
/// catalog with `broken` at its `good` text, but with the diagnostics of the files on disk
/// (`on_disk`, a full build of `root`) for that file, and its size on disk.
fn served_while_broken(
    root: &Path,
    broken: &Path,
    good: &str,
    on_disk: cairn::model::Catalog,
) -> cairn::model::Catalog {
    let copy = tempfile::tempdir().unwrap();
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        let to = copy.path().join(e.path().strip_prefix(root).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    let rel = broken.strip_prefix(root).unwrap();
    std::fs::write(copy.path().join(rel), good).unwrap();
    let rel = rel.to_string_lossy();
    let mut c = full_build(copy.path());
    assert_eq!(c.errors(), 0, "the last good text has errors");
    c.diagnostics.retain(|d| d.file != rel);
    c.diagnostics
        .extend(on_disk.diagnostics.into_iter().filter(|d| d.file == rel));
    assert!(c.errors() > 0, "the broken text has no error");
    cairn::diag::sort(&mut c.diagnostics);
    let size = std::fs::metadata(broken).unwrap().len();
    for f in c.files.iter_mut().filter(|f| f.path == rel) {
        f.size = size;
    }
    c
}

/// Every file under `root` with its modification time and size.
fn listing(root: &Path) -> std::collections::BTreeMap<std::path::PathBuf, (SystemTime, u64)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            (e.path().to_path_buf(), (m.modified().unwrap(), m.len()))
        })
        .collect()
}

fn catalog_name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// A Backstage API whose definition is a `$text` substitution: editing only the substituted
/// file (not the catalog-info.yaml that names it) must show up on the next incremental load.
#[test]
fn editing_a_substituted_definition_reloads_the_entity_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut tick = 0;
    write(
        &root.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: apps }\nspec: { type: team, children: [] }\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: pkgdb }\n\
         spec: { type: service, lifecycle: production, owner: apps, providesApis: [pkgdb-api] }\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: { name: pkgdb-api }\n\
         spec:\n  type: openapi\n  lifecycle: production\n  owner: apps\n  definition:\n    $text: ./openapi.json\n",
        &mut tick,
    );
    let spec = |paths: &[&str]| {
        let ops: Vec<String> = paths
            .iter()
            .map(|p| format!("\"{p}\": {{ \"get\": {{ \"responses\": {{ \"200\": {{ \"description\": \"ok\" }} }} }} }}"))
            .collect();
        format!(
            "{{ \"openapi\": \"3.0.3\", \"info\": {{ \"title\": \"x\", \"version\": \"1\" }}, \"paths\": {{ {} }} }}",
            ops.join(", ")
        )
    };
    write(&root.join("openapi.json"), &spec(&["/a"]), &mut tick);
    let endpoints = |c: &cairn::model::Catalog| -> Vec<String> {
        c.system("pkgdb").unwrap().provides[0]
            .endpoints
            .iter()
            .map(|e| e.label())
            .collect()
    };
    let opts = LoadOptions::default();
    let mut cache = loader::LoadCache::default();
    let (first, _) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert_eq!(endpoints(&first), ["GET /a"], "{:#?}", first.diagnostics);

    write(&root.join("openapi.json"), &spec(&["/a", "/b"]), &mut tick);
    let (second, changes) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert_eq!(endpoints(&second), ["GET /a", "GET /b"]);
    assert!(changes.files.contains("catalog-info.yaml"), "{changes:?}");
    assert_eq!(endpoints(&second), endpoints(&full_build(root)));

    // Removed, then back: the entity says so, then recovers.
    std::fs::remove_file(root.join("openapi.json")).unwrap();
    let (gone, _) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert!(
        gone.diagnostics
            .iter()
            .any(|d| d.message.contains("openapi.json")),
        "{:#?}",
        gone.diagnostics
    );
    write(&root.join("openapi.json"), &spec(&["/c"]), &mut tick);
    let (back, _) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert_eq!(endpoints(&back), ["GET /c"]);
}

/// The watcher names the paths it saw, which for a symlinked catalog file is its target (here
/// in a hidden directory the walk never enters), not the link: symlinked files are stat-ed on
/// every reload, so the edit is seen without a walk. A new file the watcher names is found.
#[cfg(unix)]
/// A catalog with one team, an empty `systems/` and a hidden `.shared/` for symlink targets
/// (the walk skips hidden directories); with the `write` tick to go on with.
fn team_with_shared_dir() -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut tick = 0;
    write(
        &root.join("teams.yaml"),
        "kind: team\nname: apps\ntitle: Apps\n",
        &mut tick,
    );
    std::fs::create_dir_all(root.join(".shared")).unwrap();
    std::fs::create_dir_all(root.join("systems")).unwrap();
    (dir, tick)
}

#[test]
fn told_paths_cover_symlinked_files_and_new_files() {
    let (dir, mut tick) = team_with_shared_dir();
    let root = dir.path();
    let system = |name: &str, description: &str| {
        format!("kind: system\nname: {name}\nowner: apps\ndescription: {description}\n")
    };
    let target = root.join(".shared/pkgdb.yaml");
    write(&target, &system("pkgdb", "Old words."), &mut tick);
    std::os::unix::fs::symlink("../.shared/pkgdb.yaml", root.join("systems/pkgdb.yaml")).unwrap();
    let opts = LoadOptions::default();
    let mut cache = loader::LoadCache::default();
    let description =
        |c: &cairn::model::Catalog, name: &str| c.system(name).map(|s| s.description.clone());
    let (first, _) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert_eq!(first.errors(), 0, "{:?}", first.diagnostics);
    assert_eq!(description(&first, "pkgdb").as_deref(), Some("Old words."));

    write(&target, &system("pkgdb", "New words."), &mut tick);
    let touched = loader::Touched {
        paths: [target.clone()].into(),
        rescan: false,
    };
    let (second, changes) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&touched)).unwrap();
    assert!(!changes.walked);
    assert_eq!(description(&second, "pkgdb").as_deref(), Some("New words."));

    let new = root.join("systems/koji.yaml");
    write(&new, &system("koji", "Builds."), &mut tick);
    let touched = loader::Touched {
        paths: [new].into(),
        rescan: false,
    };
    let (third, changes) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&touched)).unwrap();
    assert!(changes.walked, "a new file needs a walk");
    assert_eq!(description(&third, "koji").as_deref(), Some("Builds."));

    // A path that is not under the root as given (nor its canonical form): walked, not ignored.
    let touched = loader::Touched {
        paths: [std::path::PathBuf::from("/elsewhere/systems/koji.yaml")].into(),
        rescan: false,
    };
    let (_, changes) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&touched)).unwrap();
    assert!(
        changes.walked,
        "an unrelated path is not proof that nothing changed"
    );

    // An overflowing watcher says `rescan`: walked, whatever the paths.
    let touched = loader::Touched {
        paths: Default::default(),
        rescan: true,
    };
    let (_, changes) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&touched)).unwrap();
    assert!(changes.walked);
}

#[test]
fn told_paths_cover_docs_plain_and_symlinked() {
    let (dir, mut tick) = team_with_shared_dir();
    let root = dir.path();
    write(
        &root.join("systems/pkgdb.yaml"),
        "kind: system\nname: pkgdb\nowner: apps\ndocs: [plain.md, linked.md]\n",
        &mut tick,
    );
    let plain = root.join("systems/plain.md");
    let target = root.join(".shared/linked.md");
    write(&plain, "# Plain\n\nOld plain.\n", &mut tick);
    write(&target, "# Linked\n\nOld linked.\n", &mut tick);
    std::os::unix::fs::symlink("../.shared/linked.md", root.join("systems/linked.md")).unwrap();
    let opts = LoadOptions::default();
    let mut cache = loader::LoadCache::default();
    let doc = |c: &cairn::model::Catalog, p: &str| c.document(p).unwrap_or_default().to_string();
    let told = |paths: &[&Path]| loader::Touched {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        rescan: false,
    };
    let (first, _) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert_eq!(first.errors(), 0, "{:?}", first.diagnostics);
    assert!(doc(&first, "systems/linked.md").contains("Old linked."));

    // A plain doc the watcher names is read again.
    write(&plain, "# Plain\n\nNew plain.\n", &mut tick);
    let (c, changes) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&told(&[&plain]))).unwrap();
    assert!(!changes.walked);
    assert!(doc(&c, "systems/plain.md").contains("New plain."));
    assert!(changes.docs.contains("systems/plain.md"), "{changes:?}");

    // A symlinked doc is checked whatever the paths: its target's events name the target.
    write(&target, "# Linked\n\nNew linked.\n", &mut tick);
    let (c, _) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&told(&[&target]))).unwrap();
    assert!(doc(&c, "systems/linked.md").contains("New linked."));

    // The watcher's paths are trusted: a plain doc none of them names is not looked at...
    write(&plain, "# Plain\n\nUnannounced.\n", &mut tick);
    let teams = root.join("teams.yaml");
    let (c, _) =
        loader::load_touched(root, &opts, &mut cache, &|_, _| {}, Some(&told(&[&teams]))).unwrap();
    assert!(doc(&c, "systems/plain.md").contains("New plain."));
    // ... a directory above it is a change to it ...
    let systems = root.join("systems");
    let (c, _) = loader::load_touched(
        root,
        &opts,
        &mut cache,
        &|_, _| {},
        Some(&told(&[&systems])),
    )
    .unwrap();
    assert!(doc(&c, "systems/plain.md").contains("Unannounced."));
    // ... and a load without paths looks at everything.
    write(&plain, "# Plain\n\nLast.\n", &mut tick);
    let (c, changes) = loader::load_incremental(root, &opts, &mut cache, &|_, _| {}).unwrap();
    assert!(changes.walked);
    assert!(doc(&c, "systems/plain.md").contains("Last."));
}

#[test]
fn catching_up_after_the_watch_starts_finds_what_changed_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("catalog");
    cairn::gen::generate(&root, 30, 5).unwrap();
    let opts = LoadOptions::default();
    let mut cache = loader::LoadCache::default();
    let (catalog, _) = loader::load_incremental(&root, &opts, &mut cache, &|_, _| {}).unwrap();
    let state = Served::new(catalog, &root, opts).unwrap();
    // Without a load cache there is nothing to compare with.
    assert!(state.catch_up().is_none());
    state.set_load_cache(cache);
    state.prepare_reload();
    let generation = || state.live().snapshot.generation;
    let g0 = generation();

    // Nothing changed since the load: no walk result is swapped in.
    assert!(state.catch_up().is_none());
    assert_eq!(generation(), g0);

    // An edit between the load and the watch starting (no event for it): found by the walk.
    let mut tick = 0;
    let file = std::fs::read_dir(root.join("systems/0000"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "yaml"))
        .unwrap();
    let name = catalog_name(&file);
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("description: ", "description: Caught up zebra; ", 1);
    assert_ne!(text, edited);
    write(&file, &edited, &mut tick);
    let report = state.catch_up().expect("a change was there to catch");
    assert!(report.swapped && report.walked, "{report}");
    let live = state.live();
    assert!(live
        .snapshot
        .catalog
        .system(&name)
        .unwrap()
        .description
        .starts_with("Caught up zebra; "));
    assert_eq!(generation(), g0 + 1);
    // Searchable too: the walk's changes reached the search update.
    compare(
        "caught up",
        &live.snapshot,
        &Snapshot::build(full_build(&root), 0).unwrap(),
    );

    // The next edit is told its path and is not walked.
    let again = text.replacen("description: ", "description: Told; ", 1);
    write(&file, &again, &mut tick);
    let touched = loader::Touched {
        paths: [file.clone()].into(),
        rescan: false,
    };
    let report = state.reload_touched(Some(&touched));
    assert!(
        report.swapped && !report.walked && report.incremental,
        "{report}"
    );
    let full = Snapshot::build(full_build(&root), 0).unwrap();
    compare("after catching up", &state.live().snapshot, &full);
}
