//! Readiness scorecards (`cairn score`), settings documents, TODO placeholders, on-call across
//! rotation boundaries (`cairn oncall`) and scaffolds (`cairn new`).

use std::path::Path;

use cairn::score;

use crate::support::*;

/// A team and a system that passes every rule of the built-in scorecard at tier 1.
const COMPLETE: &str = "\
kind: team
name: apps
contacts: { email: apps@example.org }
members: [ann, bob, cy]
oncall:
  rotation: { start: 2026-01-05, every: 1w, order: [ann, bob] }
  lead: cy
---
kind: domain
name: core
---
kind: system
name: api
description: Serves the API.
owner: apps
domain: core
tier: 1
runbook: https://docs.example.org/runbooks/api
docs: [README.md]
environments: { production: https://api.example.org, staging: https://api.stg.example.org }
ilities:
  reliability: { rating: 4, notes: Two replicas. }
  scalability: Stateless.
support:
  version: '1.2'
  config: ansible/roles/api
  logs: /var/log/api
  database: PostgreSQL 15
  profiling: py-spy
provides:
  - { name: v, version: 1, endpoints: ['GET /x'], lifecycle: deprecated, sunset: 2030-01-01 }
  - { name: v, version: 2, endpoints: ['GET /x'] }
";

/// Writes `yaml` (and a README.md beside it) into a fresh catalog directory.
fn catalog(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("README.md"), "# API\n").unwrap();
    dir
}

/// (level name or "none", ids of missing rules) of system `name`.
fn scored(dir: &Path, name: &str) -> (String, Vec<String>) {
    let c = load(dir);
    let sc = score::effective(&c).scorecard;
    let s = score::evaluate(&c, sc, c.system_id(name).unwrap());
    let level = s
        .level
        .map(|l| sc.levels[l].name.clone())
        .unwrap_or_else(|| "none".into());
    let missing = s
        .missing()
        .map(|o| sc.levels[o.level].rules[o.rule].id.clone())
        .collect();
    (level, missing)
}

#[test]
fn a_complete_system_reaches_the_top_level() {
    let dir = catalog(COMPLETE);
    assert_eq!(scored(dir.path(), "api"), ("gold".into(), vec![]));
}

/// Each rule of the built-in scorecard, failed on its own: the edit, the level the system
/// falls to, and the rule that says why.
#[test]
fn each_default_rule_fails_alone() {
    // (rule, text removed, its replacement, the level the system falls to)
    let cases: &[(&str, &str, &str, &str)] = &[
        ("description", "description: Serves the API.\n", "", "none"),
        ("owner", "owner: apps\n", "", "none"),
        ("tier", "tier: 1\n", "", "none"),
        ("domain", "domain: core\n", "", "none"),
        (
            "oncall",
            "  rotation: { start: 2026-01-05, every: 1w, order: [ann, bob] }\n",
            "",
            "bronze",
        ),
        (
            "runbook",
            "runbook: https://docs.example.org/runbooks/api\n",
            "",
            "bronze",
        ),
        ("support-basics", "  logs: /var/log/api\n", "", "bronze"),
        ("docs", "docs: [README.md]\n", "", "silver"),
        ("core-ilities", "  scalability: Stateless.\n", "", "silver"),
        ("support-deep", "  profiling: py-spy\n", "", "silver"),
        (
            "no-deprecated-consumption",
            "provides:\n",
            "consumes: [other/old@1]\nprovides:\n",
            "silver",
        ),
        (
            "staging",
            ", staging: https://api.stg.example.org }",
            " }",
            "silver",
        ),
    ];
    let other = "\n---\nkind: system\nname: other\nowner: apps\nprovides: [{ name: old, version: 1, lifecycle: deprecated, sunset: 2030-01-01 }]\n";
    for (rule, from, to, level) in cases {
        assert!(
            COMPLETE.contains(from),
            "{rule}: `{from}` not in the fixture"
        );
        let yaml = format!("{}{other}", COMPLETE.replacen(from, to, 1));
        let dir = catalog(&yaml);
        let c = load(dir.path());
        let unexpected: Vec<_> = c
            .diagnostics
            .iter()
            .filter(|d| d.code != "deprecated-api" && d.code != "missing-owner")
            .collect();
        assert!(unexpected.is_empty(), "{rule}: {unexpected:#?}");
        let (got, missing) = scored(dir.path(), "api");
        let mut expected = vec![rule.to_string()];
        if *rule == "owner" {
            expected.push("oncall".into()); // no owning team, so nobody on call either
        }
        assert_eq!(missing, expected, "{rule}");
        assert_eq!(got, *level, "{rule}: the level it falls to");
    }
}

#[test]
fn rules_limited_by_tier_do_not_apply_to_others() {
    // Staging is for tier 1 and 2 only: a tier-3 system without one still reaches gold.
    let yaml = COMPLETE
        .replace("tier: 1", "tier: 3")
        .replace(", staging: https://api.stg.example.org", "");
    let dir = catalog(&yaml);
    assert_eq!(scored(dir.path(), "api"), ("gold".into(), vec![]));
    let c = load(dir.path());
    let sc = score::effective(&c).scorecard;
    let s = score::evaluate(&c, sc, 0);
    assert!(
        s.outcomes
            .iter()
            .all(|o| sc.levels[o.level].rules[o.rule].id != "staging"),
        "a rule that does not apply is neither passed nor missing"
    );
}

#[test]
fn a_level_needs_every_level_below() {
    // Passing every silver and gold rule does not help while a bronze rule fails.
    let dir = catalog(&COMPLETE.replace("domain: core\n", ""));
    let (level, missing) = scored(dir.path(), "api");
    assert_eq!(
        (level.as_str(), missing),
        ("none", vec!["domain".to_string()])
    );
}

#[test]
fn min_level_sets_the_exit_code() {
    let dir = catalog(&format!(
        "{COMPLETE}---\nkind: system\nname: leaf\nowner: apps\ndescription: A leaf.\ntier: 3\ndomain: core\n"
    ));
    let d = dir.path().to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--catalog", d, "score"];
        args.extend_from_slice(extra);
        cli(&args)
    };
    assert_eq!(run(&[]).0, 0, "no --min-level: always 0");
    assert_eq!(run(&["--min-level", "bronze"]).0, 0);
    let (code, stdout, _) = run(&["--min-level", "silver"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("1 system below silver: leaf"), "{stdout}");
    assert_eq!(run(&["api", "--min-level", "gold"]).0, 0, "one system");
    assert_eq!(run(&["leaf", "--min-level", "gold"]).0, 1);
    let (code, _, stderr) = run(&["--min-level", "platnum"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no readiness level named `platnum`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["--team", "ap"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `apps`?"), "{stderr}");
    let (code, _, stderr) = run(&["nope"]);
    assert_eq!(code, 2, "{stderr}");

    // JSON: the shape from the issue, and the exit code still says whether CI passes.
    let (code, stdout, stderr) = run(&["--format", "json", "--min-level", "gold"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("below gold: leaf"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let leaf = &v["systems"][1];
    assert_eq!(
        (leaf["name"].as_str(), leaf["level"].as_str()),
        (Some("leaf"), Some("bronze"))
    );
    assert_eq!(leaf["next_level"], "silver");
    assert!(leaf["passed"].as_array().unwrap().len() >= 4);
    let missing: Vec<&str> = leaf["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "runbook",
            "support-basics",
            "docs",
            "core-ilities",
            "support-deep"
        ]
    );
    assert_eq!(v["summary"]["ok"], false);
    assert_eq!(v["summary"]["below_min_level"], serde_json::json!(["leaf"]));
    assert_eq!(v["scorecard"]["source"], serde_json::Value::Null);

    let (_, md, _) = run(&["--format", "md"]);
    assert!(md.contains("| `leaf` | 3 | apps | bronze |"), "{md}");
}

#[test]
fn the_example_catalog_has_a_spread_of_levels() {
    let (code, stdout, _) = cli(&[
        "--catalog",
        example_catalog().to_str().unwrap(),
        "score",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["scorecard"]["source"], "cairn.yaml");
    let counts: Vec<u64> = v["summary"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["system_count"].as_u64().unwrap())
        .collect();
    assert!(
        counts.len() == 3 && counts.iter().all(|&n| n >= 5),
        "{counts:?}"
    );
    assert!(v["summary"]["below_first_level"].as_u64().unwrap() >= 1);
    assert_eq!(v["summary"]["not_scored"], 1, "autoqa is retired");
    let level = |name: &str| {
        v["systems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .map(|s| s["level"].clone())
            .unwrap()
    };
    assert_eq!(level("bodhi"), "gold");
    // owner-sync still consumes the deprecated pkgdb/api@1.
    assert_eq!(level("owner-sync"), "silver");
    // `cairn show` says it too, with what the next level needs.
    let (_, show, _) = cli(&[
        "--catalog",
        example_catalog().to_str().unwrap(),
        "show",
        "owner-sync",
    ]);
    assert!(
        show.contains("Readiness\n  silver (Supportable)\n")
            && show.contains("for gold: Relies on no deprecated API or system — consumes deprecated `pkgdb/api@1`"),
        "{show}"
    );
}

/// A settings document with the whole rule vocabulary.
const SETTINGS: &str = "\
kind: settings
title: Example Org
glossary: { SLO: Service level objective. }
scorecard:
  levels:
    - name: listed
      rules:
        - has: owner
    - name: solid
      title: Solid
      rules:
        - { rated: { reliability: 4 } }
        - { environments: [staging, production], when: { lifecycle: production } }
        - { apis_described: true, when: { domain: core, tier: [1, 2] } }
        - { id: contactable, has: contacts }
";

#[test]
fn settings_rules_cover_the_vocabulary() {
    let dir = catalog(&format!("{COMPLETE}---\n{SETTINGS}"));
    let c = load(dir.path());
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    let sc = score::effective(&c).scorecard;
    let ids: Vec<&str> = sc.levels[1].rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "rated-reliability",
            "environment-staging-production",
            "apis-described",
            "contactable"
        ]
    );
    assert_eq!(
        sc.levels[1].rules[0].title,
        "Rated reliability 4/5 or better"
    );
    assert_eq!(
        scored(dir.path(), "api"),
        ("solid".into(), vec![]),
        "rated 4, both environments, endpoints listed, team has an email"
    );
    // Rated 3 is below 4; an API without endpoints is not described.
    let worse = COMPLETE.replace("rating: 4", "rating: 3").replace(
        "{ name: v, version: 2, endpoints: ['GET /x'] }",
        "{ name: v, version: 2 }",
    );
    let dir = catalog(&format!("{worse}---\n{SETTINGS}"));
    let c = load(dir.path());
    let sc = score::effective(&c).scorecard;
    let s = score::evaluate(&c, sc, 0);
    let details: Vec<String> = s.missing().map(|o| o.missing.clone().unwrap()).collect();
    assert_eq!(
        details,
        [
            "`ilities.reliability` is rated 3/5, below 4",
            "`api/v@2` lists no endpoints"
        ]
    );
    assert_eq!(c.settings.as_ref().unwrap().glossary[0].term, "SLO");
}

#[test]
fn settings_mistakes_are_located_with_suggestions() {
    let c = load(&data_dir().join("invalid/settings"));
    let found: Vec<(&str, u32, &str)> = c
        .diagnostics
        .iter()
        .map(|d| (d.code, d.line, d.hint.as_deref().unwrap_or("")))
        .collect();
    let expect = |code: &str, line: u32, hint: &str| {
        assert!(
            found
                .iter()
                .any(|(c, l, h)| *c == code && *l == line && h.contains(hint)),
            "no {code} at line {line} with hint {hint:?} in {found:#?}"
        );
    };
    expect("unknown-rule", 9, "did you mean `has`?");
    expect("invalid-value", 10, "did you mean `runbook`?");
    expect("invalid-rule", 11, "add one of: has, ilities");
    expect("invalid-rule", 12, "split it into one rule per check");
    expect(
        "invalid-value",
        13,
        "write `no_deprecated_consumption: true`",
    );
    expect("duplicate-name", 14, "give one of them another `id`");
    expect("unknown-domain", 15, "did you mean `core`?");
    expect("wrong-type", 16, "write a list");
    expect("duplicate-name", 17, "first declared at line 4");
    expect("unknown-field", 18, "did you mean `rules`?");
    expect(
        "duplicate-settings",
        34,
        "the one used is at catalog.yaml:1",
    );
    // The good rules of the first document still count.
    let sc = score::effective(&c).scorecard;
    assert_eq!(sc.levels.len(), 2);
    let ids: Vec<&str> = sc.levels[0].rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["owner", "described", "tier"]);
}

#[test]
fn the_built_in_settings_parse_cleanly() {
    let (s, diags) = cairn::loader::parse_settings(cairn::loader::DEFAULT_SETTINGS_YAML);
    let s = s.expect("a settings document");
    assert!(
        diags.iter().all(|d| d.code == "todo-value"),
        "only the title and description are left to fill in: {diags:#?}"
    );
    assert!(s.title.is_empty(), "a TODO counts as absent");
    let sc = s.scorecard.unwrap();
    let names: Vec<&str> = sc.levels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["bronze", "silver", "gold"]);
    assert!(sc
        .levels
        .iter()
        .flat_map(|l| &l.rules)
        .all(|r| !r.hint.is_empty()));
}

#[test]
fn todo_values_warn_and_count_as_absent() {
    let dir = catalog(&COMPLETE.replace(
        "runbook: https://docs.example.org/runbooks/api",
        "runbook: \"TODO: link the runbook\"",
    ));
    let c = load(dir.path());
    let codes: Vec<(&str, u32)> = c.diagnostics.iter().map(|d| (d.code, d.line)).collect();
    assert_eq!(codes, [("todo-value", 18)]);
    assert_eq!(scored(dir.path(), "api").1, ["runbook"]);
    // TODO in a required field is reported once, as a TODO, not also as missing.
    let dir = catalog(&COMPLETE.replace("owner: apps", "owner: TODO"));
    let c = load(dir.path());
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["todo-value"]);
    // "TODO list" is ordinary text, not a placeholder.
    let dir = catalog(&COMPLETE.replace("Serves the API.", "TODO list manager."));
    assert!(load(dir.path()).diagnostics.is_empty());
}

// ---------------------------------------------------------------- on call

/// On-call of `team` on `date`, as (primary, backup, lead, shift end, next handover date,
/// next primary).
fn oncall_at(dir: &Path, team: &str, date: &str) -> [String; 6] {
    let (code, stdout, stderr) = cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "oncall",
        "--team",
        team,
        "--at",
        date,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let t = &v["teams"][0];
    let role = |r: &str| {
        t["escalation"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["role"] == r)
            .map(|p| p["name"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    [
        role("primary"),
        role("backup"),
        role("lead"),
        s(&t["shift_end"]),
        s(&t["next_handover"]["date"]),
        s(&t["next_handover"]["primary"]),
    ]
}

#[test]
fn oncall_across_rotation_boundaries() {
    let dir = catalog(
        "kind: team\nname: ops\nmembers: [{ name: ann, email: ann@example.org }, bob, cy, lee]\n\
         oncall:\n  rotation: { start: 2026-01-05, every: 2w, order: [ann, bob, cy] }\n  lead: lee\n\
         ---\nkind: team\nname: solo\noncall: { lead: boss }\n\
         ---\nkind: system\nname: web\nowner: ops\n",
    );
    let d = dir.path();
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| {
        [a, b, c, d, e, f].map(str::to_string)
    };
    // First day, last day of the first shift, first day of the second.
    assert_eq!(
        oncall_at(d, "ops", "2026-01-05"),
        row("ann", "bob", "lee", "2026-01-18", "2026-01-19", "bob")
    );
    assert_eq!(
        oncall_at(d, "ops", "2026-01-18"),
        row("ann", "bob", "lee", "2026-01-18", "2026-01-19", "bob")
    );
    assert_eq!(
        oncall_at(d, "ops", "2026-01-19"),
        row("bob", "cy", "lee", "2026-02-01", "2026-02-02", "cy")
    );
    // The order wraps around; the backup wraps with it.
    assert_eq!(
        oncall_at(d, "ops", "2026-02-02"),
        row("cy", "ann", "lee", "2026-02-15", "2026-02-16", "ann")
    );
    // Before the start the rotation runs backwards.
    assert_eq!(
        oncall_at(d, "ops", "2026-01-04"),
        row("cy", "ann", "lee", "2026-01-04", "2026-01-05", "ann")
    );
    // A leap day and a year boundary are just days.
    assert_eq!(oncall_at(d, "ops", "2028-02-29")[0], "cy");
    // A team with only a lead: no shift, no handover, the lead alone in the chain.
    assert_eq!(
        oncall_at(d, "solo", "2026-03-01"),
        row("", "", "boss", "", "", "")
    );

    // By system: the owner's chain, in order, with emails where members have them.
    let (code, stdout, _) = cli(&[
        "--catalog",
        d.to_str().unwrap(),
        "oncall",
        "web",
        "--at",
        "2026-01-19",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("web is owned by ops"), "{stdout}");
    let order: Vec<usize> = ["1. primary  bob", "2. backup   cy", "3. lead     lee"]
        .iter()
        .map(|l| {
            stdout
                .find(l)
                .unwrap_or_else(|| panic!("{l:?} in\n{stdout}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{stdout}");
    assert!(stdout.contains("next handover 2026-02-02: cy takes over as primary, ann backup"));
    let (code, _, stderr) = cli(&["--catalog", d.to_str().unwrap(), "oncall", "nobody"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = cli(&["--catalog", d.to_str().unwrap(), "oncall", "--at", "soon"]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------- new

/// Replaces every quoted TODO value of a scaffold with something real, chosen by its key.
fn fill(yaml: &str) -> String {
    let mut handles = ["ann", "bob"].into_iter().cycle();
    let mut out = String::new();
    for line in yaml.lines() {
        let mut rest = line;
        while let Some(i) = rest.find("\"TODO") {
            let before = &rest[..i];
            let end = rest[i + 1..].find('"').map_or(rest.len(), |e| i + e + 2);
            let key = before
                .trim_end_matches(['[', ' '])
                .trim_end_matches(':')
                .rsplit([' ', '{', ','])
                .next()
                .unwrap_or("");
            let value = match key {
                "tier" => "1".to_string(),
                "domain" => "core".into(),
                "owner" => "apps".into(),
                "docs" => "README.md".into(),
                "runbook" => "https://docs.example.org/runbook".into(),
                "repo" => "https://git.example.org/svc".into(),
                "name" => handles.next().unwrap_or("ann").into(),
                "email" => "someone@example.org".into(),
                "order" => "ann, bob".into(),
                "lead" => "ann".into(),
                _ => "\"Filled in.\"".into(),
            };
            out.push_str(before);
            out.push_str(&value);
            rest = &rest[end..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

#[test]
fn a_new_system_passes_check_and_reaches_the_top_level_once_filled() {
    let dir = catalog(COMPLETE);
    let d = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = cli(&["--catalog", d, "new", "system", "svc", "--owner", "apps"]);
    assert_eq!(code, 0, "{stderr}");
    let file = dir.path().join("systems/svc/svc.yaml");
    assert_eq!(stdout.trim(), file.to_str().unwrap());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("owner: apps\n") && text.contains("Domains in this catalog: core"));
    assert!(
        text.contains("#   gold (Production ready): has: docs;"),
        "{text}"
    );

    // As written: no error, every TODO flagged; --strict fails until they are filled.
    let (code, _, stderr) = cli(&["check", d]);
    assert_eq!(code, 0, "{stderr}");
    let c = load(dir.path());
    let todos = c
        .diagnostics
        .iter()
        .filter(|x| x.code == "todo-value")
        .count();
    assert_eq!(todos, c.diagnostics.len(), "{:#?}", c.diagnostics);
    assert!(todos >= 15, "{todos}");
    assert!(stderr.contains(&format!("{todos} warnings")), "{stderr}");
    assert_eq!(cli(&["check", "--strict", d]).0, 1);
    assert_eq!(scored(dir.path(), "svc").0, "none");

    // Filled in: clean, and every rule of the scorecard passes.
    std::fs::write(dir.path().join("systems/svc/README.md"), "# svc\n").unwrap();
    std::fs::write(&file, fill(&text)).unwrap();
    let c = load(dir.path());
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    assert_eq!(cli(&["check", "--strict", d]).0, 0);
    assert_eq!(scored(dir.path(), "svc"), ("gold".into(), vec![]));
}

#[test]
fn new_refuses_to_overwrite_or_reuse_names() {
    let dir = catalog(COMPLETE);
    let d = dir.path().to_str().unwrap();
    assert_eq!(cli(&["--catalog", d, "new", "system", "svc"]).0, 0);
    let file = dir.path().join("systems/svc/svc.yaml");
    std::fs::write(&file, "kept").unwrap();
    let (code, _, stderr) = cli(&["--catalog", d, "new", "system", "svc"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
    let (code, _, stderr) = cli(&["--catalog", d, "new", "system", "api"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("a system named `api` already exists (catalog.yaml:"),
        "{stderr}"
    );
    let (code, _, stderr) = cli(&["--catalog", d, "new", "system", "My Service"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("try `my-service`"), "{stderr}");
    let (code, _, stderr) = cli(&["--catalog", d, "new", "system", "x", "--owner", "aps"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `apps`?"), "{stderr}");
    assert_eq!(cli(&["--catalog", d, "new", "team", "apps"]).0, 2);
}

#[test]
fn a_new_team_and_new_settings() {
    let dir = catalog(COMPLETE);
    let d = dir.path().to_str().unwrap();
    let (code, _, stderr) = cli(&["--catalog", d, "new", "team", "platform"]);
    assert_eq!(code, 0, "{stderr}");
    let file = dir.path().join("teams/platform.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let c = load(dir.path());
    assert_eq!(c.errors(), 0, "{:#?}", c.diagnostics);
    assert!(c.diagnostics.iter().all(|x| x.code == "todo-value"));
    assert!(c
        .team("platform")
        .unwrap()
        .oncall
        .as_ref()
        .unwrap()
        .rotation
        .is_none());

    std::fs::write(&file, fill(&text)).unwrap();
    let c = load(dir.path());
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    let t = c.team("platform").unwrap();
    assert_eq!(t.onboarding.as_ref().unwrap().steps.len(), 1);
    assert_eq!(
        t.oncall
            .as_ref()
            .unwrap()
            .rotation
            .as_ref()
            .unwrap()
            .order
            .len(),
        2
    );

    let (code, _, stderr) = cli(&["--catalog", d, "new", "settings"]);
    assert_eq!(code, 0, "{stderr}");
    let c = load(dir.path());
    assert_eq!(score::effective(&c).source, Some("cairn.yaml"));
    let (code, _, stderr) = cli(&["--catalog", d, "new", "settings"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already has settings (cairn.yaml:"),
        "{stderr}"
    );

    // An empty directory gets its first team.
    let empty = tempfile::tempdir().unwrap();
    let fresh = empty.path().join("catalog");
    let (code, _, stderr) = cli(&["--catalog", fresh.to_str().unwrap(), "new", "team", "ops"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(fresh.join("teams/ops.yaml").is_file());
}
