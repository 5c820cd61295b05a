//! `cairn impact` and `cairn deps` on tests/data/impact and the example catalog.

use cairn::date::Date;
use cairn::graph::Graph;
use cairn::impact::{impact, resolve_target, ImpactOptions, ImpactReport};

use crate::support::*;

fn fixture() -> cairn::Catalog {
    load(&data_dir().join("impact"))
}

fn run(target: &str, endpoint: Option<&str>, opts: ImpactOptions) -> ImpactReport {
    let c = fixture();
    let g = Graph::build(&c);
    let t = resolve_target(&c, target, endpoint).expect("target resolves");
    impact(&c, &g, &t, &opts, Date::parse("2026-01-14").unwrap())
}

/// `(system, depth, usage)` for every affected system, in report order.
fn rows(r: &ImpactReport) -> Vec<(String, u32, &'static str)> {
    r.affected
        .iter()
        .map(|a| (a.system.clone(), a.depth, a.usage))
        .collect()
}

fn names(r: &ImpactReport) -> Vec<&str> {
    r.affected.iter().map(|a| a.system.as_str()).collect()
}

#[test]
fn endpoint_filtering_with_declared_and_unknown_usage() {
    let r = run(
        "pkgdb/api@2",
        Some("GET /api/critpath"),
        ImpactOptions::default(),
    );
    let direct: Vec<_> = rows(&r).into_iter().filter(|x| x.1 == 1).collect();
    assert_eq!(
        direct,
        vec![
            ("bodhi".into(), 1, "declared"),
            ("listed-only".into(), 1, "unknown"),
            ("mdapi".into(), 1, "unknown"),
            ("mirror".into(), 1, "unknown"),
        ]
    );
    assert!(
        !names(&r).contains(&"packages"),
        "packages uses only GET /api/packages"
    );
    assert!(
        !names(&r).contains(&"old-script"),
        "old-script consumes @1 only"
    );
    assert_eq!(r.summary.usage_unknown, 3);
    assert!(
        r.affected[0].via_text.contains("uses GET /api/critpath"),
        "{}",
        r.affected[0].via_text
    );
}

#[test]
fn version_discrimination() {
    let v1 = run("pkgdb/api@1", None, ImpactOptions::default());
    assert!(names(&v1).contains(&"old-script"));
    assert!(
        !names(&v1).contains(&"bodhi"),
        "consumers of @2 are not hit by a change to @1"
    );
    assert!(
        v1.external.is_empty(),
        "rel-eng scripts are listed on @2 only"
    );
    let v2 = run("pkgdb/api@2", None, ImpactOptions::default());
    assert!(!names(&v2).contains(&"old-script"));
    assert!(
        names(&v2).contains(&"packages"),
        "an API-wide change hits every consumer of the version"
    );
    // Unversioned and system-wide targets cover both versions.
    let all = run("pkgdb/api", None, ImpactOptions::default());
    assert!(names(&all).contains(&"old-script") && names(&all).contains(&"bodhi"));
    let sys = run("pkgdb", None, ImpactOptions::default());
    assert_eq!(names(&sys).len(), names(&all).len());
    let mirror = sys.affected.iter().find(|a| a.system == "mirror").unwrap();
    assert_eq!(
        (mirror.usage, mirror.via_text.as_str()),
        ("declared", "depends on pkgdb")
    );
}

#[test]
fn transitive_depth_shortest_paths_and_cycles() {
    let r = run(
        "pkgdb/api@2",
        Some("GET /api/critpath"),
        ImpactOptions::default(),
    );
    let deep = r.affected.iter().find(|a| a.system == "deep").unwrap();
    assert_eq!(deep.depth, 4);
    assert_eq!(deep.path, vec!["pkgdb", "bodhi", "blocker", "cyc1", "deep"]);
    // Through packages the path is shorter, but packages is only affected by an API-wide change.
    let r = run("pkgdb/api@2", None, ImpactOptions::default());
    let deep = r.affected.iter().find(|a| a.system == "deep").unwrap();
    assert_eq!(
        (deep.depth, deep.path.clone()),
        (
            2,
            vec!["pkgdb".to_string(), "packages".into(), "deep".into()]
        )
    );
    // blocker <-> cyc1 is a cycle, and back -> bodhi -> pkgdb -> back runs through the target:
    // every system once, the target never.
    let mut seen = names(&r);
    let n = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), n, "a system listed twice");
    assert!(
        !seen.contains(&"pkgdb"),
        "the changed system is not affected by itself"
    );
    assert!(seen.contains(&"back"));
}

#[test]
fn depth_limits() {
    let direct = run(
        "pkgdb/api@2",
        None,
        ImpactOptions {
            direct_only: true,
            ..Default::default()
        },
    );
    assert!(direct.affected.iter().all(|a| a.depth == 1));
    assert_eq!(direct.summary.transitive, 0);
    let two = run(
        "pkgdb/api@2",
        None,
        ImpactOptions {
            max_depth: Some(2),
            ..Default::default()
        },
    );
    assert_eq!(two.summary.max_depth_reached, 2);
    assert!(two.affected.iter().any(|a| a.depth == 2));
}

#[test]
fn external_consumers_and_teams_to_notify() {
    let r = run(
        "pkgdb/api@2",
        Some("GET /api/critpath"),
        ImpactOptions::default(),
    );
    assert_eq!(r.external.len(), 1);
    assert_eq!(
        (
            r.external[0].name.as_str(),
            r.external[0].contact.as_deref()
        ),
        ("rel-eng scripts", Some("rel-eng@example.org"))
    );
    let teams: Vec<(&str, Vec<String>)> = r
        .teams
        .iter()
        .map(|t| (t.name.as_str(), t.systems.clone()))
        .collect();
    assert_eq!(
        teams[0].0, "apps",
        "the team with a tier-1 system comes first"
    );
    assert!(teams[0].1.contains(&"bodhi".to_string()));
    let core = r.teams.iter().find(|t| t.name == "core").unwrap();
    assert_eq!(
        core.contacts.get("email").map(String::as_str),
        Some("core@example.org")
    );
    // Rotation starts 2026-01-05, weekly [a, b, c]: 2026-01-14 falls in b's week.
    let oc = core.oncall.as_ref().unwrap();
    assert_eq!(
        (
            oc.primary.as_deref(),
            oc.backup.as_deref(),
            oc.lead.as_deref()
        ),
        (Some("b"), Some("c"), Some("l"))
    );
}

#[test]
fn on_call_follows_at() {
    let dir = data_dir().join("impact");
    let (_, out, _) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "show",
        "core",
        "--at",
        "2026-01-19",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["oncall"]["primary"], "c");
    assert_eq!(v["oncall"]["backup"], "a");
    assert_eq!(v["oncall"]["until"], "2026-01-25");
    let (code, _, err) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "show",
        "core",
        "--at",
        "tomorrow",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn unknown_targets_fail_with_suggestions() {
    let dir = data_dir().join("impact");
    let d = dir.to_str().unwrap();
    for (target, endpoint, wanted) in [
        ("pkgbd", None, "did you mean `pkgdb`?"),
        ("pkgdb/api@3", None, "did you mean `pkgdb/api@2`?"),
        ("pkgdb/apx@2", None, "did you mean `pkgdb/api@2`?"),
        (
            "pkgdb/api@2",
            Some("GET /api/critpat"),
            "did you mean `GET /api/critpath`?",
        ),
        ("pkgdb/api@2", Some("critpath"), "not an endpoint"),
        ("Not A Target", None, "is not a target"),
    ] {
        let mut args = vec!["--catalog", d, "impact", target];
        if let Some(e) = endpoint {
            args.extend(["--endpoint", e]);
        }
        let (code, out, err) = cli(&args);
        assert_eq!(code, 2, "{target}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(wanted), "{target} {endpoint:?}: {err}");
    }
}

#[test]
fn inline_endpoint_in_target() {
    let dir = data_dir().join("impact");
    let (code, out, _) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "impact",
        "pkgdb/api@2 \"GET /api/critpath\"",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["target"], "pkgdb/api@2 GET /api/critpath");
}

#[test]
fn example_catalog_reports_snapshot() {
    let cat = example_catalog();
    let c = cat.to_str().unwrap();
    let (code, json, _) = cli(&[
        "--catalog",
        c,
        "impact",
        "pkgdb/api@1",
        "--at",
        "2026-11-23",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    insta::assert_json_snapshot!("example-impact-pkgdb-api1", v);
    let (_, md, _) = cli(&[
        "--catalog",
        c,
        "impact",
        "pkgdb/api@2",
        "--endpoint",
        "GET /api/critpath",
        "--at",
        "2026-11-23",
        "--format",
        "md",
    ]);
    insta::assert_snapshot!("example-impact-critpath-md", md);
    let (_, text, _) = cli(&[
        "--catalog",
        c,
        "impact",
        "pkgdb/api@2",
        "--endpoint",
        "GET /api/critpath",
        "--at",
        "2026-11-23",
    ]);
    insta::assert_snapshot!("example-impact-critpath-text", text);
}

#[test]
fn deps_walks_the_other_way() {
    let dir = data_dir().join("impact");
    let (code, out, _) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "deps",
        "deep",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let deps: Vec<(String, u64)> = v["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["system"].as_str().unwrap().to_string(),
                d["depth"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(deps.contains(&("pkgdb".into(), 2)), "{deps:?}");
    assert!(deps.contains(&("cyc1".into(), 1)));
    assert!(deps.contains(&("bodhi".into(), 3)));
    assert!(!deps.iter().any(|(n, _)| n == "deep"));
}

#[test]
fn graph_exports() {
    let dir = data_dir().join("impact");
    let d = dir.to_str().unwrap();
    let (_, dot, _) = cli(&["--catalog", d, "graph", "--format", "dot"]);
    assert!(dot.starts_with("digraph cairn {"));
    assert!(
        dot.contains("\"bodhi\" -> \"pkgdb\" [label=\"pkgdb/api@2\"]"),
        "{dot}"
    );
    assert!(dot.contains("\"mirror\" -> \"pkgdb\" [style=dashed]"));
    let (_, mm, _) = cli(&[
        "--catalog",
        d,
        "graph",
        "--format",
        "mermaid",
        "--focus",
        "mdapi",
        "--depth",
        "1",
    ]);
    insta::assert_snapshot!("graph-mermaid-focus", mm);
    let (_, json, _) = cli(&[
        "--catalog",
        d,
        "graph",
        "--format",
        "json",
        "--team",
        "apps",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["old-script", "bodhi", "packages", "mdapi"]);
    let (code, _, _) = cli(&["--catalog", d, "graph", "--team", "nobody"]);
    assert_eq!(code, 2);
}

#[test]
fn check_reports_the_cycles() {
    let c = fixture();
    let cycles: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == "dependency-cycle")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        cycles,
        vec![
            "dependency cycle: pkgdb → back → bodhi → pkgdb",
            "dependency cycle: blocker → cyc1 → blocker"
        ]
    );
}

/// A consumer's `consumes` and its provider's `consumers` entry are one dependency: no export
/// prints it twice (the example catalog declares most dependencies on both sides).
#[test]
fn every_export_has_one_edge_per_dependency() {
    let dir = example_catalog();
    let d = dir.to_str().unwrap();
    let (_, json, _) = cli(&["--catalog", d, "graph", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let edges = v["edges"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut both = 0;
    for e in edges {
        let key = (
            e["from"].as_str().unwrap().to_string(),
            e["to"].as_str().unwrap().to_string(),
            e["api"].as_str().map(str::to_string),
        );
        assert!(seen.insert(key.clone()), "twice in JSON: {key:?}");
        both += (e["declared_by"] == "both") as usize;
    }
    assert!(
        both > 10,
        "the example declares many dependencies on both sides"
    );
    // DOT and Mermaid: one line per edge, none repeated.
    let (_, dot, _) = cli(&["--catalog", d, "graph", "--format", "dot"]);
    let (_, mm, _) = cli(&["--catalog", d, "graph", "--format", "mermaid"]);
    for (name, text, arrow) in [("dot", &dot, " -> "), ("mermaid", &mm, "-->")] {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(arrow) || l.contains("-.->"))
            .collect();
        let distinct: std::collections::BTreeSet<&str> = lines.iter().copied().collect();
        assert_eq!(lines.len(), distinct.len(), "an edge twice in {name}");
        assert_eq!(lines.len(), edges.len(), "{name} and JSON disagree");
    }
}

/// A format a command does not print is a usage error naming it as typed, never silently text.
#[test]
fn unsupported_formats_are_usage_errors_named_as_typed() {
    let dir = example_catalog();
    let d = dir.to_str().unwrap();
    for (args, msg) in [
        (
            &["show", "bodhi", "--format", "mermaid"][..],
            "`show` cannot print mermaid output",
        ),
        (
            &["impact", "bodhi", "--format", "dot"][..],
            "`impact` cannot print dot output",
        ),
        (
            &["score", "--format", "dot"][..],
            "`score` cannot print dot output",
        ),
    ] {
        let mut argv = vec!["--catalog", d];
        argv.extend_from_slice(args);
        let (code, out, err) = cli(&argv);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.starts_with("error: ") && err.contains(msg),
            "{args:?}: {err}"
        );
    }
    // `graph --help` says what its default prints.
    use clap::Parser as _;
    let help = cairn::cli::Args::try_parse_from(["cairn", "graph", "--help"])
        .unwrap_err()
        .to_string();
    assert!(help.contains("for `graph`, text is DOT"), "{help}");
    // A search that finds nothing says so once.
    let (code, out, _) = cli(&["--catalog", d, "search", "zzzqqq"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("results").count(), 1, "{out}");
    assert!(
        out.contains("no results") && !out.contains("0 results"),
        "{out}"
    );
}

/// `cairn oncall` names each team once: a title that already holds the team's name is not
/// followed by it again ("Core Sysadmins (sysadmin-main) (sysadmin-main)").
#[test]
fn oncall_names_each_team_once() {
    let dir = example_catalog();
    let (code, out, _) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "oncall",
        "--at",
        "2026-12-07",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("\nCore Sysadmins (sysadmin-main)\n"), "{out}");
    assert!(!out.contains("(sysadmin-main) (sysadmin-main)"), "{out}");
    assert!(
        out.contains("\nInfrastructure Applications (infra-apps)\n"),
        "{out}"
    );
}

/// Issue #24 point 7: a rotation's shift end is a time with its zone: the handover as the day
/// after the shift's last day starts, in UTC (rotation dates are UTC days).
#[test]
fn oncall_says_when_the_shift_hands_over_with_time_and_zone() {
    let dir = example_catalog();
    let (code, out, _) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "oncall",
        "--team",
        "infra-apps",
        "--at",
        "2026-12-07",
    ]);
    assert_eq!(code, 0, "{out}");
    // infra-apps: two-week shifts from Monday 2026-01-05; the one holding 2026-12-07 ends
    // Sunday 2026-12-20 and is handed over on Monday 2026-12-21 at 00:00 UTC.
    assert!(out.contains("until 2026-12-21 00:00 UTC"), "{out}");
}

/// `affected[].through` (#24): every edge of an affected system towards the change, as data —
/// the kind (`consumes`, `listed`, `depends_on`), the system depended on, the API and the
/// endpoints the consumer declares it uses (null: it does not say) — while `via_text` keeps the
/// sentence. The CLI's JSON carries both; its text output still prints the sentence.
#[test]
fn affected_systems_say_through_which_apis_and_endpoints() {
    let dir = data_dir().join("impact");
    let d = dir.to_str().unwrap();
    let (code, out, err) = cli(&[
        "--catalog",
        d,
        "--format",
        "json",
        "impact",
        "pkgdb/api@2",
        "--endpoint",
        "GET /api/critpath",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let through = |name: &str| -> serde_json::Value {
        let a = v["affected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["system"] == name)
            .unwrap_or_else(|| panic!("{name} affected: {v:#}"));
        assert!(a.get("via").is_none(), "the sentence is `via_text`: {a}");
        assert!(a["via_text"].is_string(), "{a}");
        a["through"].clone()
    };
    let edge = |kind: &str, system: &str, api: Option<&str>, endpoints: serde_json::Value| serde_json::json!([{ "kind": kind, "system": system, "api": api, "endpoints": endpoints }]);
    assert_eq!(
        through("bodhi"),
        edge(
            "consumes",
            "pkgdb",
            Some("pkgdb/api@2"),
            serde_json::json!([{ "method": "GET", "path": "/api/critpath" }])
        )
    );
    assert_eq!(
        through("mdapi"),
        edge(
            "consumes",
            "pkgdb",
            Some("pkgdb/api@2"),
            serde_json::Value::Null
        ),
        "no `uses`: it may use any endpoint"
    );
    assert_eq!(
        through("listed-only"),
        edge(
            "listed",
            "pkgdb",
            Some("pkgdb/api@2"),
            serde_json::Value::Null
        )
    );
    assert_eq!(
        through("mirror"),
        edge("depends_on", "pkgdb", None, serde_json::Value::Null)
    );
    // Deeper systems: the edge to the system before them in `path`.
    assert_eq!(
        through("blocker"),
        edge(
            "consumes",
            "bodhi",
            Some("bodhi/api@1"),
            serde_json::Value::Null
        )
    );
    for a in v["affected"].as_array().unwrap() {
        let path = a["path"].as_array().unwrap();
        let before = &path[path.len() - 2];
        let edges = a["through"].as_array().unwrap();
        assert!(!edges.is_empty(), "{a}");
        assert!(edges.iter().all(|e| &e["system"] == before), "{a}");
    }
    assert_eq!(v["external"][0]["api"], "pkgdb/api@2", "{v:#}");
    // The text output is the sentence, as before.
    let (_, text, _) = cli(&[
        "--catalog",
        d,
        "impact",
        "pkgdb/api@2",
        "--endpoint",
        "GET /api/critpath",
    ]);
    assert!(
        text.contains("consumes pkgdb/api@2, uses GET /api/critpath"),
        "{text}"
    );
}

/// Every affected system has at least one edge in `through`; the direct ones into the changed
/// system, through the API version they consume (the library's view of the same field).
#[test]
fn every_affected_system_has_an_edge_through() {
    let r = run("pkgdb", None, ImpactOptions::default());
    for a in &r.affected {
        assert!(!a.through.is_empty(), "{}", a.system);
        if a.depth == 1 {
            assert!(
                a.through.iter().all(|e| e.system == "pkgdb"),
                "{}",
                a.system
            );
        }
    }
    let old = r
        .affected
        .iter()
        .find(|a| a.system == "old-script")
        .unwrap();
    assert_eq!(old.through.len(), 1);
    assert_eq!(
        (old.through[0].kind, old.through[0].api.as_deref()),
        ("consumes", Some("pkgdb/api@1"))
    );
}

/// Issue #21: along a chain a committer can make thousands long, each "why" path names at
/// most 8 systems from each end and says how many it leaves out, so the report grows linearly
/// with the chain (naming every system of every path was 209 MB of JSON for 5,000 systems);
/// `through` still names each system's predecessor. `cargo bench --bench hostile` times it
/// at 5,000 and 10,000 systems.
#[test]
fn paths_along_a_long_chain_keep_their_ends() {
    let dir = tempfile::tempdir().unwrap();
    // The chain, and a leaf hanging off every seventh system of it (paths that share their
    // first half with the chain's).
    let mut y = cairn::hostile::chain(300);
    for i in (0..300).step_by(7) {
        y.push_str(&format!(
            "---\nkind: system\nname: leaf{i}\nowner: t\nconsumes: [s{i}/api@1]\n"
        ));
    }
    std::fs::write(dir.path().join("catalog.yaml"), y).unwrap();
    let c = dir.path().to_str().unwrap();
    let (code, out, err) = cli(&["--catalog", c, "impact", "s0", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let affected = v["affected"].as_array().unwrap();
    assert_eq!(affected.len(), 299 + 43);
    let last = affected.iter().find(|a| a["system"] == "s299").unwrap();
    let path: Vec<&str> = last["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..8).chain(292..300).map(|i| format!("s{i}")).collect();
    assert_eq!(path, want);
    assert_eq!(last["path_left_out"], 284, "300 names, 16 shown");
    assert_eq!(last["through"][0]["system"], "s298");
    // Short paths say nothing more.
    let near = affected.iter().find(|a| a["system"] == "s15").unwrap();
    assert_eq!(near["path"].as_array().unwrap().len(), 16);
    assert!(near.get("path_left_out").is_none(), "{near}");
    // Every path agrees with the chain of predecessors `through` names, ends kept, middle
    // counted: the full path rebuilt from `through`, cut as documented.
    let before: std::collections::HashMap<&str, &str> = affected
        .iter()
        .map(|a| {
            (
                a["system"].as_str().unwrap(),
                a["through"][0]["system"].as_str().unwrap(),
            )
        })
        .collect();
    for a in affected {
        let mut full = vec![a["system"].as_str().unwrap()];
        while let Some(p) = before.get(full.last().unwrap()) {
            full.push(p);
        }
        full.push("s0");
        full.dedup();
        full.reverse();
        let shown: Vec<&str> = a["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let left_out = a["path_left_out"].as_u64().unwrap_or(0) as usize;
        if full.len() <= 16 {
            assert_eq!((shown.clone(), left_out), (full.clone(), 0));
        } else {
            let want: Vec<&str> = full[..8]
                .iter()
                .chain(&full[full.len() - 8..])
                .copied()
                .collect();
            assert_eq!((shown, left_out), (want, full.len() - 16));
        }
    }
    // Linear: 16 names at most per system.
    let names: usize = affected
        .iter()
        .map(|a| a["path"].as_array().unwrap().len())
        .sum();
    assert!(names <= 16 * affected.len(), "{names}");
    // People read where the middle went.
    let (_, text, _) = cli(&["--catalog", c, "impact", "s0"]);
    assert!(text.contains("s7 → … 284 more … → s292"), "{text}");
    // And `deps` the other way.
    let (_, out, _) = cli(&["--catalog", c, "deps", "s299", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let far = v["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["system"] == "s0")
        .unwrap();
    assert_eq!(far["path_left_out"], 284, "{far}");
}
