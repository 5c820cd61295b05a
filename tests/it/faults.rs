//! Fault tests: the real binary under SIGTERM, unreadable files and directories, a search index
//! directory that fills up, oversized files, 100,000 tiny files.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

#[cfg(unix)]
#[test]
fn serve_exits_cleanly_on_sigterm_even_during_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let src = data_dir().join("impact/catalog.yaml");
    std::fs::copy(&src, dir.path().join("catalog.yaml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "--catalog",
            dir.path().to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("server printed its URL").unwrap();
        if let Some(rest) = line.split("serving ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "binds to loopback: {url}"
    );
    // Start a reload (the watcher picks this up), then ask the server to stop.
    std::fs::write(
        dir.path().join("more.yaml"),
        "kind: system\nname: extra\nowner: core\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "clean exit, got {st:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

#[test]
fn a_file_over_ten_mib_is_refused_at_the_default_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "kind: system\nname: big\nowner: x\ndescription: \"{}\"\n",
        "x".repeat(10 * 1024 * 1024 + 10)
    );
    std::fs::write(dir.path().join("big.yaml"), big).unwrap();
    let c = cairn::load(dir.path(), &Default::default()).unwrap();
    assert_eq!(c.diagnostics.len(), 1, "{:#?}", c.diagnostics);
    assert_eq!(c.diagnostics[0].code, "file-too-large");
    assert!(c.systems.is_empty());
}

/// A copy of the example catalog in a temporary directory (readable by everyone, so the server
/// can read it when it runs without root's capabilities).
fn example_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&example_catalog(), tmp.path());
    set_mode(tmp.path(), 0o755);
    tmp
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[cfg(unix)]
fn set_mode(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Permissions are a Unix matter; elsewhere the tests that need them do not run.
#[cfg(not(unix))]
fn set_mode(_: &std::path::Path, _: u32) {}

fn serve_cmd(catalog: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = cairn_command();
    cmd.args([
        "--catalog",
        catalog.to_str().unwrap(),
        "serve",
        "--addr",
        "127.0.0.1:0",
    ]);
    cmd.args(extra);
    cmd
}

fn serving_last_good(v: &serde_json::Value) -> bool {
    v["serving_last_good"] == true
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_or_catalog_directory_keeps_the_last_good_catalog_and_says_why() {
    let tmp = example_copy();
    let root = tmp.path();
    let server = Server::start(serve_cmd(root, &[]));
    assert_eq!(server.get("/api/v1/systems/bodhi").0, 200);

    // One file loses its read permission.
    let file = root.join("teams.yaml");
    set_mode(&file, 0o000);
    // Per-file last good: that file's last good version stays served, the rest goes on.
    let v = server.wait_for("/api/v1/diagnostics", "the unreadable file", |v| {
        v["held"][0]["file"] == "teams.yaml" && v["held"][0]["served"] == "last-good"
    });
    let text = v.to_string();
    assert!(!serving_last_good(&v), "{v:#}");
    assert!(text.contains("teams.yaml"), "names the file: {v:#}");
    assert!(
        text.to_lowercase().contains("permission denied"),
        "says why: {v:#}"
    );
    assert_eq!(server.get("/api/v1/systems/bodhi").0, 200, "still serves");
    assert_eq!(
        server.get("/api/v1/teams/infra-apps").0,
        200,
        "the last good teams too"
    );
    set_mode(&file, 0o644);
    server.wait_for("/api/v1/diagnostics", "recovery", |v| {
        v["held"] == serde_json::json!([])
    });

    // The whole catalog directory becomes unreadable.
    let systems = root.join("systems");
    set_mode(&systems, 0o000);
    let v = server.wait_for(
        "/api/v1/diagnostics",
        "the unreadable directory",
        serving_last_good,
    );
    let text = v.to_string();
    assert!(text.contains("systems"), "names the directory: {v:#}");
    assert!(
        text.to_lowercase().contains("permission denied"),
        "says why: {v:#}"
    );
    let (status, body) = server.get("/systems/bodhi");
    assert_eq!(status, 200, "the page is still served: {body}");
    assert!(body.contains("Bodhi"));
    set_mode(&systems, 0o755);
    let v = server.wait_for("/api/v1/diagnostics", "recovery", |v| !serving_last_good(v));
    assert_eq!(v["summary"]["error_count"], 0, "{v:#}");
}

/// A disk that fills up while the index is written: a write limit of 1 KiB per file
/// (RLIMIT_FSIZE, with SIGXFSZ ignored so writes fail with EFBIG instead of killing the
/// process) makes persisting fail part way, the way ENOSPC does (docs/reliability.md).
#[cfg(unix)]
#[test]
fn serve_keeps_the_search_index_in_ram_when_its_directory_cannot_take_it() {
    let tmp = example_copy();
    let index = tempfile::tempdir().unwrap();
    set_mode(index.path(), 0o777);
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "trap '' XFSZ; ulimit -f 1; exec \"$@\"", "bash"]);
    let inner = serve_cmd(
        tmp.path(),
        &["--no-watch", "--index-dir", index.path().to_str().unwrap()],
    );
    cmd.arg(inner.get_program());
    cmd.args(inner.get_args());
    let server = Server::start(cmd);
    // The index is built after the server answers: its warning comes then.
    let warning = server.log_line(" WARN ");
    assert!(
        warning.contains("cannot keep the search index in"),
        "{warning}"
    );
    assert!(warning.contains("File too large"), "says why: {warning}");
    assert!(warning.contains("held in RAM"), "{warning}");
    // Searches are answered from RAM, and the API says where the index is.
    let hits = server.json("/api/v1/search?q=bodhi");
    assert_eq!(hits["results"][0]["name"], "bodhi", "{hits:#}");
    let d = server.json("/api/v1/diagnostics");
    assert_eq!(d["search_index"]["storage"], "memory", "{d:#}");
    assert!(
        d["search_index"]["fallback"]
            .as_str()
            .is_some_and(|s| s.contains("File too large")),
        "{d:#}"
    );
    // The half-written index is gone: its space is free and no later start can read it.
    let left: Vec<_> = std::fs::read_dir(index.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn serve_reuses_a_persisted_index_on_an_unchanged_catalog() {
    let tmp = example_copy();
    let index = tempfile::tempdir().unwrap();
    set_mode(index.path(), 0o777);
    let args = ["--no-watch", "--index-dir", index.path().to_str().unwrap()];
    let first = Server::start(serve_cmd(tmp.path(), &args));
    let built = first.log_line("search index");
    assert!(built.contains("search index built in"), "{built}");
    let want = first.json("/api/v1/search?q=critpath");
    assert_eq!(
        first.json("/api/v1/diagnostics")["search_index"]["storage"],
        "disk"
    );
    drop(first);
    let second = Server::start(serve_cmd(tmp.path(), &args));
    let reused = second.log_line("search index");
    assert!(reused.contains("search index reused"), "{reused}");
    assert_eq!(second.json("/api/v1/search?q=critpath"), want);
}

/// 100,000 files of one small system each: every one is loaded, none is lost, and a reference
/// to the last one resolves.
#[test]
fn a_catalog_of_100000_tiny_files_loads_whole() {
    const N: usize = 100_000;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("team.yaml"), "kind: team\nname: t\n").unwrap();
    for i in 0..N {
        let body = if i == 0 {
            format!(
                "kind: system\nname: s{i}\nowner: t\ndepends_on: [s{}]\n",
                N - 1
            )
        } else {
            format!("kind: system\nname: s{i}\nowner: t\n")
        };
        std::fs::write(tmp.path().join(format!("s{i}.yaml")), body).unwrap();
    }
    let c = cairn::load(tmp.path(), &Default::default()).unwrap();
    assert_eq!(
        c.errors(),
        0,
        "{:#?}",
        &c.diagnostics[..c.diagnostics.len().min(5)]
    );
    assert_eq!(c.systems.len(), N);
    assert_eq!(c.files.len(), N + 1);
    let g = cairn::graph::Graph::build(&c);
    let last = c
        .systems
        .iter()
        .position(|s| s.name.value == format!("s{}", N - 1));
    assert_eq!(g.dependents(last.unwrap()).len(), 1);
}

/// A catalog root that is a symlink swapped to a new directory at every update (git-sync's
/// `--link`, the old directory deleted after the swap): every swap is served, not only the
/// first (the watch moves to the new directory).
#[cfg(unix)]
#[test]
fn a_catalog_root_symlink_swapped_again_and_again_is_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let version = |n: usize| {
        let dir = tmp.path().join(format!("rev-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("catalog.yaml"),
            format!("kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\ndescription: version {n}\n"),
        )
        .unwrap();
        set_mode(&dir, 0o755);
        dir
    };
    let link = tmp.path().join("current");
    std::os::unix::fs::symlink(version(1), &link).unwrap();
    set_mode(tmp.path(), 0o755);
    let server = Server::start(serve_cmd(&link, &[]));
    let description = |s: &Server| s.json("/api/v1/systems/app")["description"].clone();
    assert_eq!(description(&server), "version 1");
    for n in 2..=4 {
        // As git-sync does: a new directory, a new link renamed over the old one, the old
        // directory removed.
        let new = version(n);
        let staged = tmp.path().join("current.tmp");
        std::os::unix::fs::symlink(&new, &staged).unwrap();
        std::fs::rename(&staged, &link).unwrap();
        std::fs::remove_dir_all(tmp.path().join(format!("rev-{}", n - 1))).unwrap();
        let want = format!("version {n}");
        // A reload that ran while the old directory was being removed may briefly serve a
        // catalog without `app` (404): what matters is that the new version comes.
        let started = std::time::Instant::now();
        loop {
            let (status, body) = server.get("/api/v1/systems/app");
            if status == 200 && body.contains(&want) {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "waited 30 s for {want}; last: {status} {body}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// The inotify watches a process holds (Linux: `/proc/PID/fdinfo`).
fn inotify_watches(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fdinfo"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|info| info.lines().filter(|l| l.starts_with("inotify wd")).count())
        .sum()
}

/// A committed symlink to a big folder outside the catalog (`/`, say) is not followed by the
/// watchers: neither the catalog's nor a directory source's walks and watches what it points
/// to (it took 15,519 watches and a second of CPU for a link to /usr).
#[test]
fn a_committed_symlink_out_of_the_catalog_is_not_watched() {
    let outside = tempfile::tempdir().unwrap();
    for i in 0..200 {
        std::fs::create_dir_all(outside.path().join(format!("d{i}/e"))).unwrap();
    }
    // The catalog itself, watched.
    let tmp = example_copy();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("evil")).unwrap();
    let server = Server::start(serve_cmd(tmp.path(), &[]));
    server.log_line("watching for changes");
    let catalog = inotify_watches(server.child.id());
    assert!(catalog < 100, "{catalog} inotify watches for the catalog");
    // A directory source, watched.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("cairn.yaml"),
        "kind: settings\nsources:\n  - name: local\n    path: local\n",
    )
    .unwrap();
    std::fs::create_dir_all(home.path().join("local")).unwrap();
    std::os::unix::fs::symlink(outside.path(), home.path().join("local/evil")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cache_arg = cache.path().to_str().unwrap();
    let server = Server::start(serve_cmd(
        home.path(),
        &["--no-watch", "--cache-dir", cache_arg],
    ));
    // The source's watchers are made before the server says where it serves.
    let source = inotify_watches(server.child.id());
    assert!(
        source < 100,
        "{source} inotify watches for a directory source"
    );
}
