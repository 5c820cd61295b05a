//! Shared helpers: load fixture catalogs, run the CLI in-process, render diagnostics.

use std::path::{Path, PathBuf};

use cairn::cli::{Args, Out};
use cairn::{Catalog, LoadOptions};
use clap::Parser;

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn example_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

pub fn load(dir: &Path) -> Catalog {
    cairn::load(dir, &LoadOptions::default()).expect("catalog directory loads")
}

/// Runs `cairn ARGS...` in-process; returns (exit code, stdout, stderr). A catalog read from
/// sources gets a cache of its own (unless ARGS name one), so tests never share one.
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let cache = tempfile::tempdir().expect("a cache directory");
    let cache_arg = cache.path().to_string_lossy().into_owned();
    let mut argv = vec!["cairn"];
    if !args.contains(&"--cache-dir") {
        argv.extend(["--cache-dir", cache_arg.as_str()]);
    }
    argv.extend_from_slice(args);
    let args = Args::try_parse_from(argv).expect("arguments parse");
    let mut out = Out::captured();
    let code = match cairn::cli::run(&args, &mut out) {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("{e:#}"));
            2
        }
    };
    (code, out.stdout_text(), out.stderr_text())
}

/// Sorted names of the subdirectories of `dir`.
pub fn cases(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A `cairn serve` child process on a loopback port, killed on drop.
pub struct Server {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// What the server printed on stderr before it said where it serves.
    pub startup: Vec<String>,
    /// What it printed after (the search index is built after it serves).
    later: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `cairn serve --addr 127.0.0.1:0` through `cmd` (the binary, or a wrapper that
    /// execs it) with `args` before and after `serve`, and waits until it names its URL.
    pub fn start(mut cmd: std::process::Command) -> Server {
        use std::io::{BufRead, BufReader};
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("cairn serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
        let mut startup = Vec::new();
        let url = loop {
            let mut line = String::new();
            let n = lines.read_line(&mut line).expect("stderr reads");
            assert!(n > 0, "cairn serve exited before serving: {startup:#?}");
            if let Some(rest) = line.split("serving ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
            startup.push(line.trim_end().to_string());
        };
        // Keep draining stderr so the server never blocks on a full pipe; the first lines are
        // kept for `log_line`.
        let later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = later.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let mut kept = kept.lock().unwrap();
                if kept.len() < 1000 {
                    kept.push(line.trim_end().to_string());
                }
                line.clear();
            }
        });
        Server {
            child,
            url,
            startup,
            later,
        }
    }

    /// A server started by the caller, who reads its stderr.
    pub fn attach(child: std::process::Child, url: String) -> Server {
        Server {
            child,
            url,
            startup: Vec::new(),
            later: Default::default(),
        }
    }

    /// The first line the server printed (after it said where it serves) that contains
    /// `needle`, waiting up to 30 s for it.
    pub fn log_line(&self, needle: &str) -> String {
        let started = std::time::Instant::now();
        loop {
            if let Some(l) = self
                .later
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "waited 30 s for a log line with {needle:?}: {:#?}",
                self.later.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// `GET path` over a fresh connection: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = http_get(&self.url, path);
        (status, body)
    }

    /// `GET path` as JSON, asserting a 200.
    pub fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("JSON body")
    }

    /// Polls `GET path` (JSON) until `done` holds, for up to 30 s.
    pub fn wait_for(
        &self,
        path: &str,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = std::time::Instant::now();
        loop {
            let v = self.json(path);
            if done(&v) {
                return v;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "waited 30 s for {what}; last {path}: {v:#}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` from the server at `url` (`http://HOST:PORT`, a trailing `/` allowed) over a
/// fresh connection: status, headers (names in lower case) and body.
pub fn http_get(url: &str, path: &str) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response reads");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, headers, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A command that runs the `cairn` binary. As root, it runs without the capabilities that let
/// root read files whatever their permissions (through `setpriv`, which must then exist), so
/// permission tests mean the same for every user.
pub fn cairn_command() -> std::process::Command {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--bounding-set",
            "-dac_override,-dac_read_search",
            "--inh-caps",
            "-dac_override,-dac_read_search",
            env!("CARGO_BIN_EXE_cairn"),
        ]);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
    }
}

/// Runs git in `dir` with a fixed identity and no user or system configuration, asserting it
/// succeeds; its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Cairn Test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
