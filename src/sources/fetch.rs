//! Reading a source's files: a git repository through the `git` command (a shallow fetch into a
//! bare repository of the cache, then `ls-tree` and one `cat-file --batch`), or a directory
//! inside the catalog. Either way the result is the set of files to serve, in memory.
//!
//! Nothing from the settings reaches git as an option: URLs and refs were checked when the
//! settings were read (no leading `-`, no remote helpers), and they follow `--`. Git runs with
//! `GIT_ALLOW_PROTOCOL` limited to transports that fetch, no terminal prompts, no submodules,
//! and a time limit.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::glob;

/// How long one git command may take before it is stopped.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(120);

/// Files whose text a catalog file may name (docs, runbooks, definitions, feeds, traffic):
/// taken from a source besides its catalog files.
const DATA_EXTENSIONS: &[&str] = &["md", "markdown", "json", "ics", "csv"];

/// At most this many bytes are taken from one source (its catalog files and what they name);
/// a source over it is not read (its last good files stay), so a committed flood of JSON
/// cannot exhaust the server's memory or disk.
pub const MAX_SOURCE_BYTES: u64 = 512 * 1024 * 1024;
/// At most this many files are taken from one source.
pub const MAX_SOURCE_FILES: usize = 100_000;

fn too_big(files: usize, bytes: u64) -> Option<String> {
    (files > MAX_SOURCE_FILES || bytes > MAX_SOURCE_BYTES).then(|| {
        format!(
            "the source has over {MAX_SOURCE_FILES} files or {} MiB to take; not read (narrow it with `exclude`)",
            MAX_SOURCE_BYTES / (1024 * 1024)
        )
    })
}

/// The files of one source: path inside the source → bytes.
pub type FileSet = BTreeMap<String, Vec<u8>>;

/// What a source's entry says to take: its `include` and `exclude` globs.
#[derive(Clone, Copy, Debug)]
pub struct Take<'a> {
    pub include: &'a [String],
    pub exclude: &'a [String],
}

impl Take<'_> {
    fn excluded(&self, path: &str) -> bool {
        self.exclude.iter().any(|g| glob::matches(g, path))
    }
}

/// Whether a source's file is served: a catalog file (`include`), a file catalog files may
/// name ([`DATA_EXTENSIONS`]), or a YAML API description (OpenAPI, AsyncAPI) a catalog file
/// may name as its definition; never what `exclude` matches, hidden paths or build folders.
pub fn wanted(path: &str, take: Take<'_>, head: &[u8]) -> bool {
    if crate::loader::walk_skips(Path::new(path)) || take.excluded(path) {
        return false;
    }
    let include = take.include;
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if ext == "yaml" || ext == "yml" {
        include.iter().any(|g| glob::matches(g, path)) || is_api_description(head)
    } else {
        DATA_EXTENSIONS.contains(&ext)
    }
}

/// Whether the start of a YAML file is an OpenAPI, Swagger or AsyncAPI document's.
fn is_api_description(head: &[u8]) -> bool {
    let head = &head[..head.len().min(4096)];
    String::from_utf8_lossy(head).lines().any(|l| {
        ["openapi:", "swagger:", "asyncapi:"]
            .iter()
            .any(|k| l.starts_with(k))
    })
}

/// Whether `path` needs its content to decide [`wanted`] (YAML outside `include`).
fn needs_content(path: &str, take: Take<'_>) -> bool {
    let lower = path.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml"))
        && !take.excluded(path)
        && !crate::loader::walk_skips(Path::new(path))
        && !take.include.iter().any(|g| glob::matches(g, path))
}

/// The files of the directory `rel` of the catalog `home` (canonical) to serve. Checked on
/// every read, not only when the settings were: the directory (once symlinks are followed) and
/// every file read must be inside the catalog. Symlinks and special files are left out; so is
/// a file over `max_file_size`.
///
/// `stamps` is what the previous read of this directory saw (size, modification and status
/// change times, whether the file was taken); a file whose stamp is the same and whose copy
/// is in `tree` is not read again but returned in the second set, "unchanged": a directory
/// source is read every few seconds, and a large one must not be read whole each time.
pub fn read_dir(
    home: &Path,
    rel: &str,
    take: Take<'_>,
    max_file_size: u64,
    stamps: &mut Stamps,
    tree: &Path,
) -> Result<(FileSet, std::collections::BTreeSet<String>), String> {
    let dir = home
        .join(rel)
        .canonicalize()
        .map_err(|e| format!("cannot read: {e}"))?;
    if !dir.starts_with(home) {
        return Err("the directory leaves the catalog (a symlink); not read".into());
    }
    let dir = dir.as_path();
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_dir() {
        return Err("is not a directory".into());
    }
    let mut out = FileSet::new();
    let mut unchanged = std::collections::BTreeSet::new();
    let mut seen = Stamps::new();
    let mut bytes_taken = 0u64;
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !e
                    .path()
                    .strip_prefix(dir)
                    .is_ok_and(|r| crate::loader::walk_skips(r) && e.file_type().is_dir())
        });
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot read: {e}"))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let Some(rel) = rel.to_str().map(|r| r.replace('\\', "/")) else {
            continue;
        };
        let stamp = entry.metadata().ok().map(|m| stamp_of(&m));
        if let (Some(now), Some((before, taken))) = (stamp, stamps.get(&rel)) {
            if now == *before && (!taken || tree.join(&rel).is_file()) {
                if *taken {
                    bytes_taken += now.0;
                    unchanged.insert(rel.clone());
                    if let Some(why) = too_big(out.len() + unchanged.len(), bytes_taken) {
                        return Err(why);
                    }
                }
                seen.insert(rel, (now, *taken));
                continue;
            }
        }
        if !wanted(&rel, take, b"") && !needs_content(&rel, take) {
            if let Some(now) = stamp {
                seen.insert(rel, (now, false));
            }
            continue;
        }
        // Through the loader's one safe read: a file swapped for a symlink since the walk
        // is refused when it leaves the catalog.
        let Ok(in_home) = entry.path().strip_prefix(home) else {
            continue;
        };
        let Ok(bytes) =
            crate::loader::read::read_in_catalog(home, &in_home.to_string_lossy(), max_file_size)
        else {
            continue;
        };
        let taken = wanted(&rel, take, &bytes);
        if let Some(now) = stamp {
            seen.insert(rel.clone(), (now, taken));
        }
        if taken {
            bytes_taken += bytes.len() as u64;
            out.insert(rel, bytes);
            if let Some(why) = too_big(out.len() + unchanged.len(), bytes_taken) {
                return Err(why);
            }
        }
    }
    *stamps = seen;
    Ok((out, unchanged))
}

/// What a directory source's files looked like at its last read: path → (stamp, taken).
pub type Stamps = std::collections::HashMap<String, (Stamp, bool)>;

/// Size, modification time and status change time (nanoseconds) of a file: a rewrite changes
/// one of them even within a second.
pub type Stamp = (u64, Option<std::time::SystemTime>, i128);

fn stamp_of(m: &std::fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let changed = {
        use std::os::unix::fs::MetadataExt;
        i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec())
    };
    #[cfg(not(unix))]
    let changed = 0;
    (m.len(), m.modified().ok(), changed)
}

/// Whether the repository at `path` (a `file://` source) may be fetched: a plain directory
/// inside `home` with nothing in it that makes git read elsewhere — no symlink anywhere in it
/// (an `objects` or `refs` symlink to another repository), no `gitdir:` file, no
/// `alternates`, `http-alternates` or `commondir` file — so a committed directory cannot pass another repository of the
/// server's disk off as a source.
pub fn check_local_repo(home: &Path, path: &Path) -> Result<(), String> {
    let refused = |why: &str| Err(format!("the repository {why}; not fetched"));
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return refused("is not a directory (a `gitdir:` file or a symlink)"),
        Err(e) => return Err(format!("cannot read the repository: {e}")),
    }
    match path.canonicalize() {
        Ok(real) if real.starts_with(home) && real == path => {}
        _ => return refused("is reached through a symlink or leaves the catalog"),
    }
    for entry in walkdir::WalkDir::new(path).follow_links(false) {
        let entry = entry.map_err(|e| format!("cannot read the repository: {e}"))?;
        let t = entry.file_type();
        let name = entry.file_name().to_string_lossy();
        if t.is_symlink() {
            return refused(&format!(
                "holds a symlink (`{}`)",
                entry
                    .path()
                    .strip_prefix(path)
                    .unwrap_or(entry.path())
                    .display()
            ));
        }
        if matches!(
            name.as_ref(),
            "alternates" | "http-alternates" | "commondir"
        ) || (name == ".git" && !t.is_dir())
        {
            return refused(&format!("points git at another repository (`{name}`)"));
        }
    }
    Ok(())
}

/// Fetches `rev` of `url` into the bare repository `repo` (made on first use) and returns the
/// commit it names.
pub fn fetch(repo: &Path, url: &str, rev: &str) -> Result<String, String> {
    if url.starts_with('-') || rev.starts_with('-') {
        return Err("refused: an option-like URL or ref".into());
    }
    if !repo.join("HEAD").is_file() {
        std::fs::create_dir_all(repo).map_err(|e| format!("cannot create the cache: {e}"))?;
        git(repo, &["init", "--bare", "--quiet"])?;
    }
    // `+REV:refs/cairn/fetched` names what was fetched; a commit id is not a refspec source
    // for every server, so one is fetched by itself and then named.
    let named = format!("+{rev}:refs/cairn/fetched");
    fetch_args(repo, url, &named, &["--no-write-fetch-head"]).or_else(|e| {
        if rev.len() >= 7 && rev.chars().all(|c| c.is_ascii_hexdigit()) {
            fetch_args(repo, url, rev, &[])
                .and_then(|_| git(repo, &["update-ref", "refs/cairn/fetched", "FETCH_HEAD"]))
                .map_err(|_| e)
        } else {
            Err(e)
        }
    })?;
    let out = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "refs/cairn/fetched^{commit}",
        ],
    )?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// `git fetch --depth=1` of `what` from `url` into `repo`: no tags, no submodules, no remote
/// helper, the URL after `--`.
fn fetch_args(repo: &Path, url: &str, what: &str, extra: &[&str]) -> Result<Vec<u8>, String> {
    let mut args = vec![
        "-c",
        "protocol.ext.allow=never",
        "fetch",
        "--depth=1",
        "--no-tags",
        "--no-recurse-submodules",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args.extend(["--", url, what]);
    git(repo, &args)
}

/// The files of `commit` in `repo` to serve. Symlinks and submodules are left out; so is a
/// file over `max_file_size`.
pub fn read_commit(
    repo: &Path,
    commit: &str,
    take: Take<'_>,
    max_file_size: u64,
) -> Result<FileSet, String> {
    let listing = git(repo, &["ls-tree", "-r", "-z", "-l", "--full-tree", commit])?;
    let mut blobs: Vec<(String, String)> = Vec::new();
    let mut bytes = 0u64;
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let m: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, object, size] = m[..] else {
            continue;
        };
        let size: u64 = size.parse().unwrap_or(u64::MAX);
        if kind != "blob" || mode == "120000" || size > max_file_size || !safe_relative(path) {
            continue;
        }
        if wanted(path, take, b"") || needs_content(path, take) {
            blobs.push((path.to_string(), object.to_string()));
            bytes += size;
            if let Some(why) = too_big(blobs.len(), bytes) {
                return Err(why);
            }
        }
    }
    let contents = cat_blobs(repo, &blobs)?;
    Ok(blobs
        .into_iter()
        .zip(contents)
        .filter(|((path, _), bytes)| wanted(path, take, bytes))
        .map(|((path, _), bytes)| (path, bytes))
        .collect())
}

/// The bytes of every blob, in order, through one `git cat-file --batch`.
fn cat_blobs(repo: &Path, blobs: &[(String, String)]) -> Result<Vec<Vec<u8>>, String> {
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = command(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(spawn_error)?;
    let mut stdin = child.stdin.take().ok_or("cannot talk to git")?;
    let ids: String = blobs.iter().map(|(_, id)| format!("{id}\n")).collect();
    // Written from another thread: git answers while we are still asking.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(ids.as_bytes());
    });
    let stdout = child.stdout.take().ok_or("cannot talk to git")?;
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::with_capacity(blobs.len());
    let mut result = Ok(());
    for (path, _) in blobs {
        let mut header = String::new();
        if let Err(e) = reader.read_line(&mut header) {
            result = Err(format!("git could not read `{path}`: {e}"));
            break;
        }
        let mut parts = header.trim_end().split(' ');
        let (Some(_), Some("blob"), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
            result = Err(format!("git could not read `{path}` ({})", header.trim()));
            break;
        };
        let Ok(size) = size.parse::<usize>() else {
            result = Err(format!("unexpected answer from git: {}", header.trim()));
            break;
        };
        let mut body = vec![0u8; size + 1];
        if let Err(e) = reader.read_exact(&mut body) {
            result = Err(format!("git could not read `{path}`: {e}"));
            break;
        }
        body.truncate(size);
        out.push(body);
    }
    drop(reader);
    let _ = writer.join();
    let _ = child.wait();
    result.map(|()| out)
}

fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Variables of Cairn's own environment that would point git at another repository, work tree
/// or configuration (`cairn check` run from a git hook has `GIT_DIR` set): never passed on.
const GIT_ENV_REMOVED: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_PROTOCOL_FROM_USER",
    "GIT_ALLOW_PROTOCOL",
];

fn command(repo: &Path) -> Command {
    let mut c = Command::new("git");
    for v in GIT_ENV_REMOVED {
        c.env_remove(v);
    }
    c.arg("-C")
        .arg(repo)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", "https:http:ssh:git:file")
        .stdin(Stdio::null());
    // ssh never asks on a terminal; an operator's own GIT_SSH_COMMAND (a deploy key) is kept.
    if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
        c.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    c
}

/// Kills `child` and every process of its group (it leads one: `process_group(0)`).
fn stop_group(child: &mut std::process::Child) {
    #[cfg(target_os = "linux")]
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
}

fn spawn_error(e: std::io::Error) -> String {
    format!("cannot run `git` (needed for git sources): {e}")
}

/// Runs `git -C repo ARGS` with [`GIT_TIMEOUT`]; stdout on success, git's first message line
/// on failure.
fn git(repo: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = command(repo);
    // Its own process group, so a time-out stops what git started too (ssh, a remote helper).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    // Read both pipes on threads so a chatty git never blocks on a full pipe.
    let mut so = child.stdout.take().ok_or("cannot talk to git")?;
    let se = child.stderr.take().ok_or("cannot talk to git")?;
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.take(64 * 1024).read_to_end(&mut b);
        b
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > GIT_TIMEOUT => {
                stop_group(&mut child);
                let _ = child.wait();
                return Err(format!(
                    "`git {}` took longer than {}s; stopped",
                    args.iter().find(|a| !a.starts_with('-')).unwrap_or(&""),
                    GIT_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("git failed: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        let msg = String::from_utf8_lossy(&stderr);
        Err(msg
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim_start_matches("fatal: ")
            .trim_start_matches("error: ")
            .to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_time_out_stops_what_git_started_too() {
        use std::io::BufRead;
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & echo $!; wait"])
            .stdout(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let grandchild: u32 = line.trim().parse().unwrap();
        stop_group(&mut child);
        let _ = child.wait();
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            // Gone, or a zombie waiting for a reaper that is not us.
            std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                .map(|s| s.split_whitespace().nth(2) == Some("Z"))
                .unwrap_or(true)
        });
        assert!(gone, "the grandchild {grandchild} still runs");
    }

    #[test]
    fn a_directory_read_again_reads_only_what_changed() {
        let home = tempfile::tempdir().unwrap();
        let home = home.path().canonicalize().unwrap();
        let tree = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.join("src/docs")).unwrap();
        std::fs::write(home.join("src/catalog-info.yaml"), "kind: team\nname: a\n").unwrap();
        std::fs::write(home.join("src/docs/README.md"), "# one\n").unwrap();
        let include = vec!["**/catalog-info.yaml".to_string()];
        let take = Take {
            include: &include,
            exclude: &[],
        };
        let mut stamps = Stamps::new();
        let read = |stamps: &mut Stamps| {
            let (files, unchanged) =
                read_dir(&home, "src", take, 1 << 20, stamps, tree.path()).unwrap();
            crate::sources::sync::sync(tree.path(), &files, &unchanged).unwrap();
            let mut files: Vec<String> = files.into_keys().collect();
            files.sort();
            (files, unchanged.into_iter().collect::<Vec<_>>())
        };
        let (files, unchanged) = read(&mut stamps);
        assert_eq!(files, ["catalog-info.yaml", "docs/README.md"]);
        assert!(unchanged.is_empty());
        let (files, unchanged) = read(&mut stamps);
        assert!(files.is_empty(), "nothing read again: {files:?}");
        assert_eq!(unchanged, ["catalog-info.yaml", "docs/README.md"]);
        // Rewritten with the same size: read again. Removed: gone from the tree.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(home.join("src/docs/README.md"), "# two\n").unwrap();
        std::fs::remove_file(home.join("src/catalog-info.yaml")).unwrap();
        let (files, unchanged) = read(&mut stamps);
        assert_eq!(files, ["docs/README.md"]);
        assert!(unchanged.is_empty());
        assert!(!tree.path().join("catalog-info.yaml").exists());
        assert_eq!(
            std::fs::read_to_string(tree.path().join("docs/README.md")).unwrap(),
            "# two\n"
        );
        // A copy gone from the tree is read again, whatever the stamp says.
        std::fs::remove_file(tree.path().join("docs/README.md")).unwrap();
        let (files, _) = read(&mut stamps);
        assert_eq!(files, ["docs/README.md"]);
    }

    #[test]
    fn a_source_over_its_limits_is_not_read() {
        assert!(too_big(MAX_SOURCE_FILES, MAX_SOURCE_BYTES).is_none());
        assert!(too_big(MAX_SOURCE_FILES + 1, 0).is_some());
        assert!(too_big(1, MAX_SOURCE_BYTES + 1).is_some());
    }

    #[test]
    fn what_a_source_gives() {
        let include = vec!["**/catalog-info.yaml".to_string()];
        let exclude = vec!["testdata/**".to_string()];
        let include = Take {
            include: &include,
            exclude: &exclude,
        };
        assert!(wanted("a/catalog-info.yaml", include, b""));
        assert!(!wanted("testdata/x/catalog-info.yaml", include, b""));
        assert!(!wanted("testdata/big.json", include, b""));
        assert!(!wanted(".github/workflows/ci.yaml", include, b"on: push"));
        assert!(!wanted("deploy/values.yaml", include, b"replicas: 3"));
        assert!(wanted(
            "api/openapi.yaml",
            include,
            b"# c\nopenapi: 3.0.0\n"
        ));
        assert!(wanted("docs/README.md", include, b""));
        assert!(!wanted("node_modules/x/README.md", include, b""));
        assert!(!wanted("src/main.go", include, b""));
    }
}
