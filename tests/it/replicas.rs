//! Two replicas of `cairn serve` on one catalog, on loopback, under a mixed read load while
//! the catalog is edited (docs/deploy.md, "Replicas"): both converge on the new revision, no
//! answer mixes revisions, answers on one revision are byte-identical across replicas, and a
//! replica that restarts says 503 on `/readyz` until its snapshot is built.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;

/// How long a replica may take to serve an edit: the watcher's debounce (at most 0.75 s) plus
/// an incremental reload of a few hundred systems in a debug build, with a wide margin for a
/// busy 2-core CI machine.
const RELOAD_BOUND: Duration = Duration::from_secs(15);

fn serve_cmd(catalog: &Path) -> std::process::Command {
    let mut cmd = cairn_command();
    cmd.args([
        "--catalog",
        catalog.to_str().unwrap(),
        "serve",
        "--addr",
        "127.0.0.1:0",
    ])
    .env_remove("RUST_LOG");
    cmd
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The revision `/readyz` of the server at `url` names (None when not ready).
fn ready_revision(url: &str) -> Option<String> {
    let (status, _, body) = http_get(url, "/readyz");
    if status != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["revision"].as_str().map(str::to_string)
}

/// A generated system's file and name, and its file with a new description.
fn pick_system(root: &Path) -> (PathBuf, String) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            if text.starts_with("kind: system\n") && text.contains("\ndescription: ") {
                let name = text
                    .lines()
                    .find_map(|l| l.strip_prefix("name: "))
                    .unwrap()
                    .to_string();
                return (p, name);
            }
        }
    }
    panic!("no system file in {}", root.display());
}

#[derive(Debug)]
struct Answer {
    path: String,
    status: u16,
    revision: String,
    body: String,
}

#[test]
fn two_replicas_converge_on_an_edit_under_load_and_a_restarting_one_is_not_ready() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("catalog");
    // Big enough that a (re)start takes a visible while in a debug build.
    cairn::gen::generate(&root, 400, 11).unwrap();
    let (file, name) = pick_system(&root);
    let a = Server::start(serve_cmd(&root));
    let mut b = Server::start(serve_cmd(&root));
    let rev0 = ready_revision(&a.url).expect("A is ready");
    assert_eq!(ready_revision(&b.url).as_deref(), Some(rev0.as_str()));
    // The load below searches: both with their search index built (it is built after they
    // serve; a search meanwhile would wait, then answer 503).
    for url in [&a.url, &b.url] {
        let started = Instant::now();
        while !http_get(url, "/readyz").2.contains("\"search\":\"ready\"") {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no search index"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    // The mixed read load: JSON (one system, search, impact, teams) and a page, on both.
    let paths: Vec<String> = vec![
        format!("/api/v1/systems/{name}"),
        format!("/api/v1/search?q={name}"),
        format!("/api/v1/impact?target={name}"),
        "/api/v1/teams".to_string(),
        format!("/systems/{name}"),
    ];
    let answers = Arc::new(Mutex::new(Vec::<(usize, Answer)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let urls = [a.url.clone(), b.url.clone()];
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (answers, stop, urls, paths) =
                (answers.clone(), stop.clone(), urls.clone(), paths.clone());
            std::thread::spawn(move || {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let replica = i % 2;
                    let path = &paths[i % paths.len()];
                    let (status, headers, body) = http_get(&urls[replica], path);
                    let revision = header(&headers, "x-cairn-revision")
                        .unwrap_or_default()
                        .to_string();
                    answers.lock().unwrap().push((
                        replica,
                        Answer {
                            path: path.clone(),
                            status,
                            revision,
                            body,
                        },
                    ));
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));

    // The edit, written whole (a rename, as git and most editors do).
    let edited = "Edited while two replicas were under load.";
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("description: "))
        .unwrap()
        .to_string();
    let staged = tmp.path().join("staged.yaml");
    std::fs::write(
        &staged,
        text.replace(&line, &format!("description: {edited}")),
    )
    .unwrap();
    let edited_at = Instant::now();
    std::fs::rename(&staged, &file).unwrap();

    // Each replica converges on a new revision within the reload bound, the same one.
    let mut converged = [None, None];
    while converged.iter().any(Option::is_none) {
        for (i, url) in urls.iter().enumerate() {
            if converged[i].is_none() {
                if let Some(r) = ready_revision(url).filter(|r| *r != rev0) {
                    converged[i] = Some((r, edited_at.elapsed()));
                }
            }
        }
        assert!(
            edited_at.elapsed() < RELOAD_BOUND,
            "not converged within {RELOAD_BOUND:?}: {converged:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let [(rev_a, took_a), (rev_b, took_b)] = converged.map(Option::unwrap);
    assert_eq!(rev_a, rev_b, "both replicas serve the same new revision");
    let rev1 = rev_a;
    std::thread::sleep(Duration::from_millis(400));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    eprintln!("converged after {took_a:?} (A) and {took_b:?} (B)");

    // No answer mixes revisions: for each path and revision, every answer from either
    // replica is the same bytes (pages: the same revision in the footer as in the header,
    // their "loaded 3 s ago" moves with time), and the system's own answer shows the
    // description of its revision.
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    assert!(answers.len() > 40, "only {} answers", answers.len());
    let mut seen: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut per_revision: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for (replica, ans) in &answers {
        assert_eq!(ans.status, 200, "{ans:?}");
        assert!(
            ans.revision == rev0 || ans.revision == rev1,
            "{} is neither {rev0} nor {rev1}",
            ans.revision
        );
        per_revision.entry(&ans.revision).or_default()[*replica] += 1;
        if ans.path.starts_with("/api/") {
            let first = seen
                .entry((ans.path.clone(), ans.revision.clone()))
                .or_insert(&ans.body);
            assert_eq!(*first, ans.body, "{} on {}", ans.path, ans.revision);
        } else {
            assert!(
                ans.body
                    .contains(&format!("revision <code title=\"{}", ans.revision)),
                "the page names another revision than its header {}",
                ans.revision
            );
        }
        if ans.path == format!("/api/v1/systems/{name}") {
            assert_eq!(
                ans.body.contains(edited),
                ans.revision == rev1,
                "revision {} answered {}",
                ans.revision,
                ans.body
            );
        }
    }
    // The load really spanned the edit, on both replicas.
    for rev in [&rev0, &rev1] {
        let n = per_revision.get(rev.as_str()).copied().unwrap_or_default();
        assert!(n[0] > 0 && n[1] > 0, "answers on {rev}: {per_revision:?}");
    }
    // The reload was counted.
    let (_, _, metrics) = http_get(&a.url, "/metrics");
    assert!(
        metrics.lines().any(
            |l| l.starts_with("cairn_reloads_total{result=\"swapped\"} ") && !l.ends_with(" 0")
        ),
        "{metrics}"
    );

    // B restarts: from the moment it listens, /readyz says 503 (never a refused connection)
    // until its snapshot is built; then it serves A's revision.
    let _ = b.child.kill();
    let _ = b.child.wait();
    let mut cmd = serve_cmd(&root);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    b.child = child;
    let mut lines = BufReader::new(b.child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("B logs").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches(';')
                .to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let (status, headers, body) = http_get(&url, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "starting", "{body}");
    assert_eq!(http_get(&url, "/healthz").0, 200, "alive while starting");
    assert_eq!(http_get(&url, "/api/v1/teams").0, 503);
    let started = Instant::now();
    let mut not_ready = 1;
    let revision = loop {
        let (status, _, body) = http_get(&url, "/readyz");
        match status {
            200 => {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                break v["revision"].as_str().unwrap().to_string();
            }
            503 => not_ready += 1,
            s => panic!("/readyz answered {s} while starting: {body}"),
        }
        assert!(started.elapsed() < Duration::from_secs(60), "B never ready");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(revision, rev1, "the restarted replica serves what A serves");
    eprintln!(
        "{} answers under load; the restarted replica said 503 {not_ready} times over {:?}",
        answers.len(),
        started.elapsed()
    );
    let (status, headers, _) = http_get(&url, &format!("/api/v1/systems/{name}"));
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-cairn-revision"), Some(rev1.as_str()));
}
