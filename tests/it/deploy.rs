//! The deployment files of `deploy/` (docs/deploy.md) against the server they deploy.
//!
//! Every YAML document of every file under `deploy/kubernetes` is read, so a new manifest is
//! checked without touching this file: each probe's port names a port of its container, which is
//! the port Cairn listens on there (`CAIRN_ADDR` or `--addr`, and not a loopback address the
//! kubelet cannot reach); each Service's and NetworkPolicy's port names a port of the pods they
//! select; the flags and `CAIRN_*` variables used exist in `cairn serve --help`. The systemd unit
//! listens where nginx proxies to. Then a real `cairn serve` on the example catalog answers every
//! probe path (and the scrape path of the Prometheus annotations) with 200 once ready.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_yaml::Value;

use crate::support::Server;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Cairn's listen address when none is given (`cairn serve --help`).
const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// Every YAML document of every `*.yaml` / `*.yml` file under `dir`, with where it is from
/// (`file #n`) for messages. Empty documents are skipped.
fn yaml_documents(dir: &Path) -> Vec<(String, Value)> {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    files(dir, &mut paths);
    paths.sort();
    let mut docs = Vec::new();
    for path in paths {
        let name = path
            .strip_prefix(repo())
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, de) in serde_yaml::Deserializer::from_str(&text).enumerate() {
            let doc = Value::deserialize(de).unwrap_or_else(|e| panic!("{name} #{}: {e}", i + 1));
            if !doc.is_null() {
                docs.push((format!("{name} #{}", i + 1), doc));
            }
        }
    }
    docs
}

/// A container of a pod template, as far as ports and probes go.
struct Container {
    /// `file #n`, container `name`
    at: String,
    ports: Vec<(Option<String>, u16)>,
    /// `Some` for a container that runs `cairn serve`: where it listens.
    listen: Option<String>,
    /// (probe kind, httpGet path, httpGet port)
    probes: Vec<(String, String, Value)>,
    /// Flags in `args` / `command` and the names of its `CAIRN_*` variables.
    flags: Vec<String>,
    env_names: Vec<String>,
}

/// A workload's pod template: its labels, annotations and containers.
struct Pod {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    containers: Vec<Container>,
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The pod template of a workload document (or the pod itself).
fn pod_template(doc: &Value) -> Option<(&Value, &Value)> {
    let template = match doc["kind"].as_str()? {
        "Pod" => doc,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            &doc["spec"]["template"]
        }
        "CronJob" => &doc["spec"]["jobTemplate"]["spec"]["template"],
        _ => return None,
    };
    Some((&template["metadata"], &template["spec"]))
}

fn pods(docs: &[(String, Value)]) -> Vec<Pod> {
    let mut out = Vec::new();
    for (at, doc) in docs {
        let Some((meta, spec)) = pod_template(doc) else {
            continue;
        };
        let mut containers = Vec::new();
        for list in ["initContainers", "containers"] {
            for c in spec[list].as_sequence().into_iter().flatten() {
                containers.push(container(at, c));
            }
        }
        out.push(Pod {
            labels: string_map(&meta["labels"]),
            annotations: string_map(&meta["annotations"]),
            containers,
        });
    }
    out
}

fn container(at: &str, c: &Value) -> Container {
    let name = c["name"].as_str().unwrap_or("?");
    let at = format!("{at}, container `{name}`");
    let ports = c["ports"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|p| {
            let number = p["containerPort"].as_u64().unwrap_or_else(|| {
                panic!("{at}: containerPort is not a number: {p:?}");
            });
            (
                p["name"].as_str().map(str::to_string),
                u16::try_from(number).unwrap_or_else(|_| panic!("{at}: port {number}")),
            )
        })
        .collect();
    let mut words = strings(&c["command"]);
    words.extend(strings(&c["args"]));
    let mut env = BTreeMap::new();
    for e in c["env"].as_sequence().into_iter().flatten() {
        if let (Some(k), Some(v)) = (e["name"].as_str(), e["value"].as_str()) {
            env.insert(k.to_string(), v.to_string());
        }
    }
    let runs_cairn =
        words.iter().any(|w| w == "serve") || env.keys().any(|k| k.starts_with("CAIRN_"));
    let listen = runs_cairn.then(|| {
        flag_value(&words, "--addr")
            .or_else(|| env.get("CAIRN_ADDR").cloned())
            .unwrap_or_else(|| DEFAULT_ADDR.to_string())
    });
    let mut probes = Vec::new();
    for kind in ["readinessProbe", "livenessProbe", "startupProbe"] {
        let probe = &c[kind];
        if probe.is_null() {
            continue;
        }
        let get = &probe["httpGet"];
        if get.is_null() {
            // tcpSocket: only its port can be checked; exec needs a shell the image lacks.
            if !probe["tcpSocket"].is_null() {
                probes.push((
                    kind.to_string(),
                    String::new(),
                    probe["tcpSocket"]["port"].clone(),
                ));
            }
            continue;
        }
        let path = get["path"].as_str().unwrap_or("/").to_string();
        probes.push((kind.to_string(), path, get["port"].clone()));
    }
    Container {
        at,
        ports,
        listen,
        probes,
        flags: flags(&words),
        env_names: env
            .into_keys()
            .filter(|k| k.starts_with("CAIRN_"))
            .collect(),
    }
}

/// The value of `--flag VALUE` or `--flag=VALUE` among `words`.
fn flag_value(words: &[String], flag: &str) -> Option<String> {
    words.iter().enumerate().find_map(|(i, w)| {
        if w == flag {
            words.get(i + 1).cloned()
        } else {
            w.strip_prefix(flag)?.strip_prefix('=').map(str::to_string)
        }
    })
}

fn flags(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.split('=').next().unwrap_or(w).to_string())
        .collect()
}

/// The port of `HOST:PORT` (`[::]:7878` too).
fn port_of(addr: &str) -> u16 {
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("`{addr}` is not HOST:PORT"))
}

fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h)
}

/// The container port a probe's, Service's or policy's `port` names: a port name of the
/// container, or one of its port numbers.
fn resolve(port: &Value, ports: &[(Option<String>, u16)]) -> Option<u16> {
    match port {
        Value::String(name) => ports
            .iter()
            .find(|(n, _)| n.as_deref() == Some(name))
            .map(|p| p.1),
        Value::Number(n) => {
            let n = n.as_u64()?;
            ports.iter().find(|p| u64::from(p.1) == n).map(|p| p.1)
        }
        _ => None,
    }
}

/// The pods a selector (`matchLabels`, or a Service's plain map) picks.
fn selected<'a>(pods: &'a [Pod], selector: &Value) -> Vec<&'a Pod> {
    let wanted = string_map(selector);
    assert!(!wanted.is_empty(), "empty selector: {selector:?}");
    pods.iter()
        .filter(|p| wanted.iter().all(|(k, v)| p.labels.get(k) == Some(v)))
        .collect()
}

/// What the manifests ask of the running server: (what, path) pairs that must answer 200 once
/// `/readyz`-like readiness paths do.
struct Expectations {
    readiness: Vec<String>,
    others: Vec<(String, String)>,
    flags: Vec<(String, String)>,
    env_names: Vec<(String, String)>,
}

/// The static checks of the Kubernetes manifests; returns what the live server must answer.
fn check_kubernetes() -> Expectations {
    let docs = yaml_documents(&repo().join("deploy/kubernetes"));
    assert!(!docs.is_empty(), "no manifests under deploy/kubernetes");
    let pods = pods(&docs);
    let mut exp = Expectations {
        readiness: Vec::new(),
        others: Vec::new(),
        flags: Vec::new(),
        env_names: Vec::new(),
    };
    let mut cairn_containers = 0;
    for pod in &pods {
        for c in &pod.containers {
            for (kind, path, port) in &c.probes {
                let number = resolve(port, &c.ports).unwrap_or_else(|| {
                    panic!(
                        "{}: {kind} port {port:?} is not a port of the container ({:?})",
                        c.at, c.ports
                    )
                });
                if let Some(listen) = &c.listen {
                    assert_eq!(
                        port_of(listen),
                        number,
                        "{}: {kind} probes port {number}, but Cairn listens on {listen}",
                        c.at
                    );
                    if path.is_empty() {
                        continue;
                    }
                    if kind == "readinessProbe" {
                        exp.readiness.push(path.clone());
                    } else {
                        exp.others.push((format!("{} {kind}", c.at), path.clone()));
                    }
                }
            }
            let Some(listen) = &c.listen else {
                continue;
            };
            cairn_containers += 1;
            let host = host_of(listen);
            assert!(
                !matches!(host, "127.0.0.1" | "localhost" | "[::1]"),
                "{}: Cairn listens on {listen}, which the kubelet's probes and the Service cannot reach",
                c.at
            );
            assert!(
                c.ports.iter().any(|p| p.1 == port_of(listen)),
                "{}: Cairn listens on {listen}, which is not among the container's ports {:?}",
                c.at,
                c.ports
            );
            for kind in ["readinessProbe", "livenessProbe"] {
                assert!(
                    c.probes.iter().any(|p| p.0 == kind && !p.1.is_empty()),
                    "{}: no httpGet {kind}",
                    c.at
                );
            }
            exp.flags
                .extend(c.flags.iter().map(|f| (c.at.clone(), f.clone())));
            exp.env_names
                .extend(c.env_names.iter().map(|e| (c.at.clone(), e.clone())));
            if pod
                .annotations
                .get("prometheus.io/scrape")
                .map(String::as_str)
                == Some("true")
            {
                if let Some(port) = pod.annotations.get("prometheus.io/port") {
                    assert_eq!(
                        port.parse::<u16>().ok(),
                        Some(port_of(listen)),
                        "{}: prometheus.io/port {port}, but Cairn listens on {listen}",
                        c.at
                    );
                }
                let path = pod
                    .annotations
                    .get("prometheus.io/path")
                    .cloned()
                    .unwrap_or_else(|| "/metrics".into());
                exp.others
                    .push((format!("{} prometheus.io/path", c.at), path));
            }
        }
    }
    assert!(cairn_containers > 0, "no container runs `cairn serve`");

    let mut services = 0;
    for (at, doc) in &docs {
        match doc["kind"].as_str() {
            Some("Service") => {
                services += 1;
                let targets = selected(&pods, &doc["spec"]["selector"]);
                assert!(
                    !targets.is_empty(),
                    "{at}: the selector picks no pod template"
                );
                for port in doc["spec"]["ports"].as_sequence().into_iter().flatten() {
                    let target = match &port["targetPort"] {
                        Value::Null => &port["port"],
                        t => t,
                    };
                    for pod in &targets {
                        let hit = pod
                            .containers
                            .iter()
                            .find_map(|c| resolve(target, &c.ports).map(|n| (c, n)));
                        let (c, n) = hit.unwrap_or_else(|| {
                            panic!("{at}: targetPort {target:?} is no port of the selected pods")
                        });
                        if let Some(listen) = &c.listen {
                            assert_eq!(
                                port_of(listen),
                                n,
                                "{at}: targetPort {target:?} is {n}, but {} listens on {listen}",
                                c.at
                            );
                        }
                    }
                }
            }
            Some("NetworkPolicy") => {
                let targets = selected(&pods, &doc["spec"]["podSelector"]["matchLabels"]);
                assert!(
                    !targets.is_empty(),
                    "{at}: the podSelector picks no pod template"
                );
                for rule in doc["spec"]["ingress"].as_sequence().into_iter().flatten() {
                    for port in rule["ports"].as_sequence().into_iter().flatten() {
                        for pod in &targets {
                            assert!(
                                pod.containers
                                    .iter()
                                    .any(|c| resolve(&port["port"], &c.ports).is_some()),
                                "{at}: port {:?} is no port of the selected pods",
                                port["port"]
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert!(services > 0, "no Service under deploy/kubernetes");
    exp
}

/// `cairn serve --help`.
fn serve_help() -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--help"])
        .output()
        .expect("cairn serve --help runs");
    assert!(out.status.success(), "cairn serve --help failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `help` names `word` as a whole word (`--addr` is not found in `--address`).
fn names(help: &str, word: &str) -> bool {
    help.match_indices(word).any(|(i, _)| {
        !help[i + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// `Environment=` assignments of a unit line: `A=b "C=d e"`.
fn unit_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for ch in value.chars() {
        match ch {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The unit's (listen address, flags, CAIRN_* names).
fn systemd_unit() -> (String, Vec<String>, Vec<String>) {
    let text =
        std::fs::read_to_string(repo().join("deploy/cairn.service")).expect("deploy/cairn.service");
    let mut exec = None;
    let mut env = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key.trim() {
            "ExecStart" => {
                assert!(
                    exec.is_none(),
                    "deploy/cairn.service: more than one ExecStart"
                );
                exec = Some(unit_words(value));
            }
            "Environment" => {
                for w in unit_words(value) {
                    let (k, v) = w.split_once('=').expect("Environment=NAME=VALUE");
                    env.insert(k.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    let exec = exec.expect("deploy/cairn.service: no ExecStart");
    assert!(
        exec.iter().any(|w| w == "serve"),
        "deploy/cairn.service: ExecStart does not run `cairn serve`: {exec:?}"
    );
    let listen = flag_value(&exec, "--addr")
        .or_else(|| env.get("CAIRN_ADDR").cloned())
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let names = env
        .into_keys()
        .filter(|k| k.starts_with("CAIRN_"))
        .collect();
    (listen, flags(&exec), names)
}

/// The addresses nginx proxies to: `server HOST:PORT` in `upstream` blocks and literal
/// `proxy_pass http://HOST:PORT`.
fn nginx_upstreams(conf: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_upstream = false;
    for line in conf.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with("upstream ") {
            in_upstream = true;
        } else if in_upstream && line.starts_with('}') {
            in_upstream = false;
        } else if in_upstream && line.starts_with("server ") {
            out.push(
                line["server ".len()..]
                    .split([' ', ';'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
            );
        } else if let Some(rest) = line.strip_prefix("proxy_pass http://") {
            let target = rest.split(['/', ';']).next().unwrap_or("");
            if target.contains(':') {
                out.push(target.to_string());
            }
        }
    }
    out
}

#[test]
fn kubernetes_probes_services_and_policies_name_the_port_cairn_listens_on() {
    let exp = check_kubernetes();
    assert!(!exp.readiness.is_empty(), "no readiness probe path");
}

#[test]
fn the_systemd_unit_listens_where_nginx_proxies_to() {
    let (listen, _, _) = systemd_unit();
    let nginx =
        std::fs::read_to_string(repo().join("deploy/nginx.conf")).expect("deploy/nginx.conf");
    let upstreams = nginx_upstreams(&nginx);
    assert!(
        !upstreams.is_empty(),
        "deploy/nginx.conf proxies to no address"
    );
    for up in &upstreams {
        let host = host_of(&listen);
        assert!(
            port_of(up) == port_of(&listen)
                && (host == host_of(up) || host == "0.0.0.0" || host == "[::]"),
            "deploy/nginx.conf proxies to {up}, but deploy/cairn.service listens on {listen}"
        );
    }
}

#[test]
fn deploy_files_use_only_flags_and_variables_of_cairn_serve() {
    let help = serve_help();
    let exp = check_kubernetes();
    let (_, unit_flags, unit_env) = systemd_unit();
    let unit = |x: String| ("deploy/cairn.service".to_string(), x);
    let used = exp
        .flags
        .into_iter()
        .chain(exp.env_names)
        .chain(unit_flags.into_iter().map(unit))
        .chain(unit_env.into_iter().map(unit));
    let missing: Vec<String> = used
        .filter(|(_, word)| !names(&help, word))
        .map(|(at, word)| format!("{at}: {word}"))
        .collect();
    assert!(
        missing.is_empty(),
        "not in `cairn serve --help`:\n{}\n--- help:\n{help}",
        missing.join("\n")
    );
}

/// The probe paths (and the Prometheus scrape path) against a real `cairn serve` on the
/// example catalog: each readiness path answers 503 while starting and 200 within 30 s, every
/// other path 200 after that.
#[test]
fn every_probe_path_answers_200_on_the_real_server_once_ready() {
    let exp = check_kubernetes();
    let catalog = repo().join("catalog");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"));
    // The test's own settings only: a CAIRN_* variable or RUST_LOG of the environment could move
    // the server or silence the line that says where it serves.
    for (k, _) in std::env::vars() {
        if k.starts_with("CAIRN_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--catalog")
        .arg(&catalog)
        .args(["serve", "--no-watch", "--addr", "127.0.0.1:0"]);
    let server = Server::start(cmd);
    let deadline = Instant::now() + Duration::from_secs(30);
    for path in &exp.readiness {
        loop {
            let (status, body) = server.get(path);
            if status == 200 {
                break;
            }
            // 503 is "starting"; anything else will not become 200.
            assert!(
                status == 503 && Instant::now() < deadline,
                "readinessProbe {path}: {status} {body}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    for (what, path) in &exp.others {
        let (status, body) = server.get(path);
        assert_eq!(status, 200, "{what} {path}: {body}");
    }
}
