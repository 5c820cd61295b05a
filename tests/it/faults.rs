//! Fault tests: the real binary under SIGTERM, oversized files at the default limit.

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
