//! Sources (docs/sources.md): a catalog gathered from git repositories and directories, kept
//! fresh on an interval and by a signed webhook, each source keeping its last good revision
//! when it cannot be fetched, and every entity knowing where it came from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn::web::AppState;

use crate::support::*;

/// A repository at `dir` holding `files`, committed on `main`; returns the commit.
pub(crate) fn repo(dir: &Path, files: &[(&str, &str)]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    commit(dir, files, "first")
}

/// Writes `files` into the repository at `dir` and commits them; returns the commit.
pub(crate) fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

pub(crate) fn component(name: &str, owner: &str, description: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: {description}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
    )
}

/// A catalog directory whose settings list sources, with its own cache.
pub(crate) struct Fixture {
    pub dir: tempfile::TempDir,
    pub cache: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new(settings: &str) -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        };
        std::fs::write(f.dir.path().join("cairn.yaml"), settings).unwrap();
        f
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `cairn --catalog DIR --cache-dir CACHE ARGS...` in-process: (exit code, stdout, stderr).
    pub(crate) fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec![
            "--catalog",
            self.dir.path().to_str().unwrap(),
            "--cache-dir",
            self.cache.path().to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        cli(&all)
    }

    /// `cairn --catalog DIR --cache-dir CACHE serve --addr 127.0.0.1:0 EXTRA...` as a process.
    pub(crate) fn serve(&self, extra: &[&str]) -> Server {
        let mut cmd = cairn_command();
        cmd.args([
            "--catalog",
            self.dir.path().to_str().unwrap(),
            "--cache-dir",
            self.cache.path().to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env_remove("RUST_LOG");
        Server::start(cmd)
    }

    /// What the OpenAPI test serves: a git source with an edit-link pattern, a directory
    /// source, and a repository that is not there.
    pub(crate) fn openapi() -> Fixture {
        let f = Fixture::new(
            "kind: settings\ntitle: Sources\nsources:\n  - name: app\n    git: repos/app\n    ref: main\n    web: https://git.example.org/app/-/blob/{revision}/{path}\n  - name: local\n    path: local\n  - name: gone\n    git: repos/gone\n",
        );
        repo(
            &f.path("repos/app"),
            &[
                ("catalog-info.yaml", &component("app", "team-a", "The app.")),
                (
                    "org.yaml",
                    "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-a }\nspec: { type: team, children: [] }\n",
                ),
            ],
        );
        std::fs::create_dir_all(f.path("local")).unwrap();
        std::fs::write(
            f.path("local/catalog-info.yaml"),
            component("local-svc", "team-a", "A local one."),
        )
        .unwrap();
        f
    }

    /// The sources read now and served in-process, with `secret` for the refresh endpoint.
    pub(crate) fn state(&self, secret: Option<&str>) -> AppState {
        let sources = cairn::sources::Sources::open(
            self.dir.path(),
            Some(self.cache.path()),
            cairn::loader::LoadOptions::default().max_file_size,
        )
        .unwrap()
        .expect("the settings list sources");
        sources.refresh_all(true);
        let mut c = load(sources.tree());
        sources.attach(&mut c);
        let tree = sources.tree().to_path_buf();
        let st = AppState::new(c, &tree, Default::default()).unwrap();
        st.set_sources(Arc::new(sources), secret.map(|s| s.as_bytes().to_vec()));
        st
    }
}

/// `POST path` with `headers` and `body` to the server at `url`: status and body.
fn http_post(url: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// The issue's "done when": three repositories served as sources; a commit pushed to one
/// shows after the signed refresh (a bad signature gets 401 and changes nothing); then the
/// repository goes away and its last good revision is still served, with a stale-source
/// diagnostic, on the source list and the system's provenance.
#[test]
fn three_repositories_serve_refresh_on_a_signed_webhook_and_keep_the_last_good_revision() {
    let f = Fixture::new(
        "kind: settings\ntitle: Three repositories\nsources:\n  - name: payments\n    git: repos/payments\n    web: https://git.example.org/payments/blob/{revision}/{path}\n  - name: ledger\n    git: repos/ledger\n    ref: main\n  - name: org\n    git: repos/org\n",
    );
    let first = repo(
        &f.path("repos/payments"),
        &[
            (
                "catalog-info.yaml",
                &component("payments", "team-pay", "Takes payments."),
            ),
            ("docs/README.md", "# Payments\n"),
            // A CI file: not a catalog file (the default `include`), never loaded.
            (".github/workflows/ci.yaml", "on: push\n"),
            ("deploy/values.yaml", "replicas: 3\n"),
        ],
    );
    repo(
        &f.path("repos/ledger"),
        &[(
            "catalog-info.yaml",
            &component("ledger", "team-pay", "Keeps the books."),
        )],
    );
    repo(
        &f.path("repos/org"),
        &[(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-pay }\nspec: { type: team, children: [] }\n",
        )],
    );
    std::fs::write(f.path("secret"), "s3cret\n").unwrap();
    let secret = f.path("secret");
    let server = f.serve(&["--webhook-secret-file", secret.to_str().unwrap()]);

    // Served from the three sources, with clean diagnostics (the CI files are not read).
    let v = server.json("/api/v1/systems/payments");
    assert_eq!(v["description"], "Takes payments.", "{v}");
    assert_eq!(v["owner"]["in_catalog"], true, "{v}");
    assert_eq!(v["source"]["source"], "payments", "{v}");
    assert_eq!(v["source"]["path"], "catalog-info.yaml", "{v}");
    assert_eq!(v["source"]["revision"], first.as_str(), "{v}");
    assert_eq!(
        v["source"]["edit_url"],
        format!("https://git.example.org/payments/blob/{first}/catalog-info.yaml"),
        "{v}"
    );
    let d = server.json("/api/v1/diagnostics");
    assert_eq!(d["diagnostics"], serde_json::json!([]), "{d:#}");
    assert_eq!(d["sources"].as_array().unwrap().len(), 3, "{d:#}");

    // A push; a refresh with a wrong signature changes nothing.
    let second = commit(
        &f.path("repos/payments"),
        &[(
            "catalog-info.yaml",
            &component("payments", "team-pay", "Takes payments, and refunds them."),
        )],
        "refunds",
    );
    let body = r#"{"ref":"refs/heads/main"}"#;
    let (status, text) = http_post(
        &server.url,
        "/api/v1/sources/payments/refresh",
        &[(
            "X-Hub-Signature-256",
            &cairn::sources::webhook::sign(b"wrong", body.as_bytes()),
        )],
        body,
    );
    assert_eq!(status, 401, "{text}");
    let (status, text) = http_post(&server.url, "/api/v1/sources/payments/refresh", &[], body);
    assert_eq!(status, 401, "{text}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let v = server.json("/api/v1/systems/payments");
    assert_eq!(
        v["description"], "Takes payments.",
        "unsigned refreshes fetch nothing: {v}"
    );

    // Signed (GitHub's way): the change is served.
    let sig = cairn::sources::webhook::sign(b"s3cret", body.as_bytes());
    let (status, text) = http_post(
        &server.url,
        "/api/v1/sources/payments/refresh",
        &[("X-Hub-Signature-256", &sig)],
        body,
    );
    assert_eq!(status, 202, "{text}");
    let v = server.wait_for("/api/v1/systems/payments", "the pushed commit", |v| {
        v["description"] == "Takes payments, and refunds them."
    });
    assert_eq!(v["source"]["revision"], second.as_str(), "{v}");
    let page = server.get("/systems/payments").1;
    assert!(
        page.contains("Defined in <code>file://") && page.contains(&second[..12]),
        "the page shows where it is defined: {page}"
    );

    // The repository goes away (GitLab's token this time): the last good revision stays.
    std::fs::rename(f.path("repos/payments"), f.path("repos/moved")).unwrap();
    let (status, text) = http_post(
        &server.url,
        "/api/v1/sources/payments/refresh",
        &[("X-Gitlab-Token", "s3cret")],
        "{}",
    );
    assert_eq!(status, 202, "{text}");
    let d = server.wait_for("/api/v1/diagnostics", "the stale source", |d| {
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "source-stale")
    });
    let stale = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "source-stale")
        .unwrap();
    assert_eq!(stale["file"], "cairn.yaml", "{stale}");
    assert_eq!(stale["line"], 4, "at the source's entry: {stale}");
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains(&format!("serving revision {}", &second[..12])),
        "{stale}"
    );
    let payments = d["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "payments")
        .unwrap();
    assert_eq!(payments["revision"], second.as_str(), "{payments}");
    assert!(
        payments["error"].is_string() && payments["stale_since"].is_string(),
        "{payments}"
    );
    let v = server.json("/api/v1/systems/payments");
    assert_eq!(v["description"], "Takes payments, and refunds them.", "{v}");
    assert_eq!(v["source"]["stale"], true, "{v}");
    let page = server.get("/sources").1;
    assert!(
        page.contains("Stale") && page.contains("serving the last good revision"),
        "{page}"
    );
    let home = server.get("/").1;
    assert!(
        home.contains(
            r#"source <a href="/sources#source-payments"><code>payments</code></a> could not be read since"#
        ) && home.contains(&format!("revision <code>{}</code> is served", &second[..12])),
        "the banner says which source is stale: {home}"
    );
    // The other sources are untouched.
    assert_eq!(
        server.json("/api/v1/systems/ledger")["source"]["stale"],
        false
    );
}

/// Two sources declaring one name: the duplicate is diagnosed naming both places.
#[test]
fn a_name_in_two_sources_names_both() {
    let f = Fixture::new(
        "kind: settings\nsources:\n  - name: one\n    path: one\n  - name: two\n    path: two\n",
    );
    for (dir, d) in [("one", "First."), ("two", "Second.")] {
        std::fs::create_dir_all(f.path(dir)).unwrap();
        std::fs::write(
            f.path(&format!("{dir}/catalog-info.yaml")),
            component("shared", "team-a", d),
        )
        .unwrap();
    }
    let (code, out, err) = f.cli(&["--format", "json", "check"]);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dup = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "duplicate-name")
        .unwrap_or_else(|| panic!("{v:#}"));
    // A file's path is SOURCE/PATH: the diagnostic names both sources and both files.
    assert_eq!(dup["file"], "two/catalog-info.yaml", "{dup}");
    assert!(
        dup["hint"]
            .as_str()
            .unwrap()
            .contains("one/catalog-info.yaml:4"),
        "{dup}"
    );
}

/// What a committer can write in `sources:` cannot make git run a command, read a
/// repository outside the catalog, or take an option: each is a located error and nothing
/// is fetched.
#[test]
fn hostile_source_entries_are_refused_at_their_line() {
    let cases = [
        ("git: \"ext::touch\"", "remote helper"),
        (
            "git: --upload-pack=touch /tmp/cairn-pwned",
            "not a repository URL",
        ),
        ("git: /etc", "absolute path"),
        ("git: ../outside", "leaves the catalog"),
        ("git: \"file:///etc\"", "absolute path"),
        (
            "git: https://example.org/r.git\n    ref: --output=/tmp/x",
            "not a branch",
        ),
        ("path: ../../etc", "leaves the catalog"),
        ("git: fd::3", "remote helper"),
        ("path: .\n    include: [\"LONG\"]", "at most 256"),
    ];
    for (entry, why) in cases {
        let entry = entry.replace("LONG", &"**/".repeat(200));
        let text = format!("kind: settings\nsources:\n  - name: evil\n    {entry}\n");
        let (settings, diags) =
            cairn::loader::parse_settings_in(&text, Path::new("/nonexistent"), "cairn.yaml");
        assert!(
            settings.as_ref().is_some_and(|s| s.sources.is_empty()),
            "{entry}: accepted"
        );
        let d = diags
            .iter()
            .find(|d| d.message.contains(why))
            .unwrap_or_else(|| panic!("{entry}: {diags:#?}"));
        // At the line of the value refused (`ref:` is on the line after `git:`).
        let line = if entry.contains("ref:") || entry.contains("include:") {
            5
        } else {
            4
        };
        assert_eq!(d.line, line, "{entry}: {d:?}");
    }
    assert!(!Path::new("/tmp/cairn-pwned").exists());
}

/// A source's files are taken by its `include` globs plus what catalog files may name (docs,
/// JSON, YAML API descriptions); other YAML (CI, deployment) is never read as a catalog file.
#[test]
fn a_source_gives_its_catalog_files_and_what_they_name() {
    let f = Fixture::new(
        "kind: settings\nsources:\n  - name: svc\n    git: repos/svc\n    include: [\"services/*/catalog-info.yaml\"]\n    exclude: [\"**/testdata/**\"]\n",
    );
    repo(
        &f.path("repos/svc"),
        &[
            ("services/a/catalog-info.yaml", &component("a", "t", "A.")),
            (
                "catalog-info.yaml",
                &component("outside-include", "t", "Not taken."),
            ),
            (
                "services/a/api/openapi.yaml",
                "openapi: 3.0.0\ninfo: { title: A, version: '1' }\npaths: {}\n",
            ),
            ("services/a/README.md", "# A\n"),
            ("services/a/testdata/huge.json", "{}"),
            (
                "services/b/testdata/catalog-info.yaml",
                &component("fixture", "t", "No."),
            ),
            (".gitlab-ci.yml", "stages: [test]\n"),
            ("big/values.yaml", "replicas: 3\n"),
        ],
    );
    let (code, out, err) = f.cli(&["--format", "json", "check"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["system_count"], 1, "{v:#}");
    let tree = std::fs::read_dir(f.cache.path().join("sources"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("tree/svc");
    let mut taken: Vec<String> = walk(&tree);
    taken.sort();
    assert_eq!(
        taken,
        [
            "services/a/README.md",
            "services/a/api/openapi.yaml",
            "services/a/catalog-info.yaml"
        ]
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            for sub in walk(&p) {
                out.push(format!("{}/{sub}", e.file_name().to_string_lossy()));
            }
        } else {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

/// `--offline` reads git sources as the last fetch left them, without fetching: a repository
/// that is gone since is no news then; without `--offline` it is the warning `source-stale`.
#[test]
fn offline_reads_the_cache_without_fetching() {
    let f = Fixture::new("kind: settings\nsources:\n  - name: svc\n    git: repos/svc\n");
    repo(
        &f.path("repos/svc"),
        &[("catalog-info.yaml", &component("svc", "team-a", "Cached."))],
    );
    let run = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend(["--format", "json", "check"]);
        let (_, out, err) = f.cli(&args);
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap_or_else(|e| panic!("{e}: {out}{err}"))
    };
    let codes = |v: &serde_json::Value| -> Vec<String> {
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    // Never fetched: offline has nothing to read.
    assert!(codes(&run(&["--offline"])).contains(&"source-unavailable".to_string()));
    let v = run(&[]);
    assert_eq!(v["summary"]["system_count"], 1, "{v:#}");
    std::fs::remove_dir_all(f.path("repos/svc")).unwrap();
    let v = run(&["--offline"]);
    assert_eq!(v["summary"]["system_count"], 1, "{v:#}");
    assert!(!codes(&v).iter().any(|c| c.starts_with("source-")), "{v:#}");
    let v = run(&[]);
    assert_eq!(
        v["summary"]["system_count"], 1,
        "the last good files: {v:#}"
    );
    assert!(codes(&v).contains(&"source-stale".to_string()), "{v:#}");
}

/// With sources, an edit to the settings file (its title here) goes live within seconds, as in
/// a directory catalog, and so does an edit in a directory source.
#[test]
fn settings_and_directory_edits_go_live() {
    let f =
        Fixture::new("kind: settings\ntitle: Before\nsources:\n  - name: local\n    path: local\n");
    std::fs::create_dir_all(f.path("local")).unwrap();
    std::fs::write(
        f.path("local/catalog-info.yaml"),
        component("svc", "team-a", "Before."),
    )
    .unwrap();
    let server = f.serve(&[]);
    assert!(server.get("/start").1.contains("Before"));
    std::fs::write(
        f.path("cairn.yaml"),
        "kind: settings\ntitle: After the edit\nsources:\n  - name: local\n    path: local\n",
    )
    .unwrap();
    std::fs::write(
        f.path("local/catalog-info.yaml"),
        component("svc", "team-a", "After."),
    )
    .unwrap();
    server.wait_for("/api/v1/systems/svc", "the directory edit", |v| {
        v["description"] == "After."
    });
    let started = std::time::Instant::now();
    while !server.get("/start").1.contains("After the edit") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the settings edit never went live"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A new source needs a restart, and the server says so.
    std::fs::write(
        f.path("cairn.yaml"),
        "kind: settings\ntitle: After the edit\nsources:\n  - name: local\n    path: local\n  - name: extra\n    path: local\n",
    )
    .unwrap();
    let d = server.wait_for("/api/v1/diagnostics", "sources-changed", |v| {
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "sources-changed")
    });
    assert!(d.to_string().contains("restart"), "{d}");
}

/// A directory source is watched: with its polling interval an hour, an edit still goes live
/// within seconds, and a new file too.
#[test]
fn a_directory_source_is_watched_not_only_polled() {
    let f = Fixture::new(
        "kind: settings\nsources:\n  - name: local\n    path: local\n    refresh: 1h\n",
    );
    std::fs::create_dir_all(f.path("local/deeper")).unwrap();
    std::fs::write(
        f.path("local/catalog-info.yaml"),
        component("svc", "team-a", "Before."),
    )
    .unwrap();
    let server = f.serve(&["--no-watch"]);
    assert_eq!(server.json("/api/v1/systems/svc")["description"], "Before.");
    std::fs::write(
        f.path("local/catalog-info.yaml"),
        component("svc", "team-a", "After."),
    )
    .unwrap();
    server.wait_for("/api/v1/systems/svc", "the watched edit", |v| {
        v["description"] == "After."
    });
    std::fs::write(
        f.path("local/deeper/catalog-info.yaml"),
        component("other", "team-a", "New."),
    )
    .unwrap();
    let started = std::time::Instant::now();
    while server.get("/api/v1/systems/other").0 != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the new file never went live"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `ref:` may be a branch, a tag or a commit id: the source is read at exactly that.
#[test]
fn a_source_is_read_at_its_ref() {
    let f = Fixture::new("");
    let dir = f.path("repos/svc");
    let first = repo(
        &dir,
        &[("catalog-info.yaml", &component("svc", "t", "First."))],
    );
    git(&dir, &["tag", "v1"]);
    commit(
        &dir,
        &[("catalog-info.yaml", &component("svc", "t", "Second."))],
        "second",
    );
    for (rev, want) in [
        ("main", "Second."),
        ("v1", "First."),
        (first.as_str(), "First."),
    ] {
        std::fs::write(
            f.path("cairn.yaml"),
            format!(
                "kind: settings\nsources:\n  - name: svc\n    git: repos/svc\n    ref: {rev}\n"
            ),
        )
        .unwrap();
        let (code, out, err) = f.cli(&["--format", "json", "show", "svc"]);
        assert_eq!(code, 0, "{rev}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["description"], want, "ref {rev}: {v:#}");
    }
}

/// A committed directory cannot pass another repository of the server's disk off as a local
/// `git:` source (a `gitdir:` file, `objects` and `refs` symlinks, `alternates`), a directory
/// source swapped for a symlink that leaves the catalog is not read again, and a settings file
/// that becomes such a symlink is not copied. Each is said, and the secret is never served.
#[cfg(unix)]
#[test]
fn a_committer_cannot_read_other_repositories_or_directories_through_a_source() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    repo(
        &secret,
        &[(
            "catalog-info.yaml",
            &component("secret-svc", "t", "Secret."),
        )],
    );
    std::fs::create_dir_all(outside.path().join("dir")).unwrap();
    std::fs::write(
        outside.path().join("dir/catalog-info.yaml"),
        component("outside-svc", "t", "Outside."),
    )
    .unwrap();
    let f = Fixture::new(
        "kind: settings\nsources:\n  - name: gitfile\n    git: gitfile\n  - name: linked\n    git: linked\n  - name: alt\n    git: alt\n  - name: local\n    path: x/local\n",
    );
    std::fs::write(
        f.path("gitfile"),
        format!("gitdir: {}\n", secret.join(".git").display()),
    )
    .unwrap();
    std::fs::create_dir_all(f.path("linked")).unwrap();
    std::fs::write(f.path("linked/HEAD"), "ref: refs/heads/main\n").unwrap();
    for d in ["objects", "refs"] {
        std::os::unix::fs::symlink(secret.join(".git").join(d), f.path(&format!("linked/{d}")))
            .unwrap();
    }
    repo(&f.path("alt"), &[("README.md", "# alt\n")]);
    std::fs::write(
        f.path("alt/.git/objects/info/alternates"),
        format!("{}\n", secret.join(".git/objects").display()),
    )
    .unwrap();
    std::fs::create_dir_all(f.path("x/local")).unwrap();
    std::fs::write(
        f.path("x/local/catalog-info.yaml"),
        component("inside", "t", "In."),
    )
    .unwrap();

    let st = f.state(None);
    let c = &st.live().snapshot.catalog;
    let names: Vec<&str> = c.systems.iter().map(|s| s.name.value.as_str()).collect();
    assert_eq!(names, ["inside"], "{:#?}", c.diagnostics);
    for name in ["gitfile", "linked", "alt"] {
        let s = c.sources.iter().find(|s| s.name == name).unwrap();
        assert!(
            s.error
                .as_deref()
                .is_some_and(|e| e.contains("not fetched")),
            "{name}: {s:?}"
        );
    }

    // The directory source becomes a symlink out of the catalog, the settings file too.
    std::fs::remove_dir_all(f.path("x")).unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("x")).unwrap();
    std::fs::rename(f.path("x/dir"), outside.path().join("local")).ok();
    let settings = std::fs::read_to_string(f.path("cairn.yaml")).unwrap();
    std::fs::write(
        outside.path().join("cairn.yaml"),
        settings.replace("sources:", "title: Hijacked\nsources:"),
    )
    .unwrap();
    std::fs::remove_file(f.path("cairn.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("cairn.yaml"), f.path("cairn.yaml")).unwrap();
    let (sources, _) = st.sources().unwrap();
    assert!(
        !sources.copy_settings(),
        "a settings symlink out of the catalog is not copied"
    );
    let done = sources.refresh("local").unwrap();
    assert!(
        done.error
            .as_deref()
            .is_some_and(|e| e.contains("leaves the catalog")),
        "{done:?}"
    );
    st.reload_report();
    let c = &st.live().snapshot.catalog;
    let names: Vec<&str> = c.systems.iter().map(|s| s.name.value.as_str()).collect();
    assert_eq!(
        names,
        ["inside"],
        "the last good files, nothing from outside"
    );
    assert!(c.settings.as_ref().is_none_or(|s| s.title != "Hijacked"));
}

/// A settings document inside a source never takes the place of the catalog's own settings
/// file, though the source's files sort first; it is the duplicate, at its line.
#[test]
fn a_source_cannot_replace_the_settings() {
    let f = Fixture::new(
        "kind: settings\ntitle: The real one\nsources:\n  - name: app\n    path: app\n    include: [\"*.yaml\"]\n",
    );
    std::fs::create_dir_all(f.path("app")).unwrap();
    std::fs::write(f.path("app/aaa.yaml"), "kind: settings\ntitle: Hijacked\n").unwrap();
    let st = f.state(None);
    let c = &st.live().snapshot.catalog;
    assert_eq!(c.settings.as_ref().unwrap().title, "The real one");
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "duplicate-settings")
        .unwrap_or_else(|| panic!("{:#?}", c.diagnostics));
    assert_eq!((d.file.as_str(), d.line), ("app/aaa.yaml", 1));
}

/// `--offline` holds for the server's later refreshes too, not only the first read.
#[test]
fn offline_sources_are_never_fetched_later() {
    let f = Fixture::new("kind: settings\nsources:\n  - name: svc\n    git: repos/svc\n");
    let dir = f.path("repos/svc");
    repo(
        &dir,
        &[("catalog-info.yaml", &component("svc", "t", "First."))],
    );
    let limit = cairn::loader::LoadOptions::default().max_file_size;
    let online = cairn::sources::Sources::open(f.dir.path(), Some(f.cache.path()), limit)
        .unwrap()
        .unwrap();
    online.refresh_all(true);
    commit(
        &dir,
        &[("catalog-info.yaml", &component("svc", "t", "Second."))],
        "2",
    );
    let offline = cairn::sources::Sources::open(f.dir.path(), Some(f.cache.path()), limit)
        .unwrap()
        .unwrap()
        .offline(true);
    offline.refresh_all(true);
    let done = offline.refresh("svc").unwrap();
    assert_eq!(done.changed, 0, "{done:?}");
    let text = std::fs::read_to_string(offline.tree().join("svc/catalog-info.yaml")).unwrap();
    assert!(text.contains("First."), "{text}");
}

/// An entry the settings refuse where they are (a `path:` symlink out of the catalog) is
/// reported by `check`, although the served tree's copy of the settings cannot see why.
#[cfg(unix)]
#[test]
fn a_refused_source_entry_is_reported() {
    let outside = tempfile::tempdir().unwrap();
    let f = Fixture::new(
        "kind: settings\nsources:\n  - name: ok\n    path: ok\n  - name: out\n    path: link\n",
    );
    std::fs::create_dir_all(f.path("ok")).unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("link")).unwrap();
    let (_, out, err) = f.cli(&["--format", "json", "check"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}{err}"));
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "path-outside-catalog")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("cairn.yaml"), Some(6)),
        "{d}"
    );
}

/// A source removed from the settings leaves the cache at the next start: its files are no
/// longer served and its bare repository is deleted.
#[test]
fn a_removed_source_leaves_the_cache() {
    let f = Fixture::new(
        "kind: settings\nsources:\n  - name: a\n    git: repos/a\n  - name: b\n    git: repos/b\n",
    );
    repo(
        &f.path("repos/a"),
        &[("catalog-info.yaml", &component("a", "t", "A."))],
    );
    repo(
        &f.path("repos/b"),
        &[("catalog-info.yaml", &component("b", "t", "B."))],
    );
    let st = f.state(None);
    assert_eq!(st.live().snapshot.catalog.systems.len(), 2);
    let workspace = std::fs::read_dir(f.cache.path().join("sources"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(workspace.join("git/b.git").is_dir());
    std::fs::write(
        f.path("cairn.yaml"),
        "kind: settings\nsources:\n  - name: a\n    git: repos/a\n",
    )
    .unwrap();
    let st = f.state(None);
    let names: Vec<String> = st
        .live()
        .snapshot
        .catalog
        .systems
        .iter()
        .map(|s| s.name.value.clone())
        .collect();
    assert_eq!(names, ["a"]);
    assert!(!workspace.join("git/b.git").exists());
    assert!(!workspace.join("tree/b").exists());
}
