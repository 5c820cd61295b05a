//! `cairn diff`: every classification on a pair of small catalogs (tests/data/diff/<case>/{old,new}),
//! OpenAPI-level breaks, acknowledgements, exit codes, JSON and Markdown output, git revisions in
//! a repository built in a temp dir, and the example catalog losing `pkgdb/api@1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use cairn::date::Date;
use cairn::diff::{diff, DiffOptions, DiffReport, HitStatus};

use crate::support::*;

/// Acknowledgements in the fixtures run until 2026-12-01 and 2026-12-15.
const AT: &str = "2026-11-22";

fn case_dir(case: &str) -> PathBuf {
    data_dir().join("diff").join(case)
}

/// The relative path the CLI tests pass (the working directory of tests is the package root),
/// so reports and snapshots do not depend on where the checkout lives.
fn rel(case: &str, side: &str) -> String {
    format!("tests/data/diff/{case}/{side}")
}

fn report_at(case: &str, at: &str) -> DiffReport {
    let dir = case_dir(case);
    let opts = DiffOptions {
        at: Date::parse(at),
        ..Default::default()
    };
    diff(&load(&dir.join("old")), &load(&dir.join("new")), &opts)
}

/// `severity code subject` for every change, in report order.
fn changes(r: &DiffReport) -> Vec<String> {
    r.changes
        .iter()
        .map(|c| format!("{} {} {}", c.severity.as_str(), c.code, c.subject))
        .collect()
}

fn check(case: &str, expect: &[&str]) {
    assert_eq!(changes(&report_at(case, AT)), expect, "case {case}");
}

/// `name status` for the consumers (then `external: name status`) of the first change about `subject`.
fn hits(r: &DiffReport, subject: &str) -> Vec<String> {
    let c = r
        .changes
        .iter()
        .find(|c| c.subject == subject && c.impact.is_some())
        .unwrap_or_else(|| panic!("no change with an impact on {subject}"));
    let i = c.impact.as_ref().unwrap();
    let status = |s: HitStatus| format!("{s:?}").to_lowercase();
    i.consumers
        .iter()
        .map(|h| format!("{} {}", h.system, status(h.status)))
        .chain(
            i.external
                .iter()
                .map(|e| format!("external: {} {}", e.name, status(e.status))),
        )
        .collect()
}

fn run_diff(case: &str, extra: &[&str]) -> (i32, String, String) {
    let (old, new) = (rel(case, "old"), rel(case, "new"));
    let mut args = vec!["diff", old.as_str(), new.as_str()];
    if !extra.contains(&"--at") {
        args.extend_from_slice(&["--at", AT]);
    }
    args.extend_from_slice(extra);
    cli(&args)
}

#[test]
fn a_consumed_system_removed_is_breaking_an_unused_one_notable() {
    check(
        "system-removed",
        &[
            "breaking system-removed accounts",
            "notable system-removed legacy",
            "safe system-added search",
        ],
    );
    let r = report_at("system-removed", AT);
    assert_eq!(
        hits(&r, "accounts"),
        [
            "audit affected",
            "portal affected",
            "reports affected",
            "external: billing cron affected"
        ]
    );
    let i = r.changes[0].impact.as_ref().unwrap();
    // dashboard depends on portal: reached transitively, counted, not listed as a direct consumer.
    assert_eq!((i.reach.direct, i.reach.transitive), (3, 1));
    let portal = i.consumers.iter().find(|h| h.system == "portal").unwrap();
    assert_eq!(portal.transitive, 1);
    assert_eq!(portal.owner.as_deref(), Some("web"));
    let web = i.teams.iter().find(|t| t.name == "web").unwrap();
    assert_eq!(
        web.contacts.get("email").map(String::as_str),
        Some("web@example.org")
    );
    // Removed things are located on the old side.
    let loc = r.changes[0].location.as_ref().unwrap();
    assert_eq!(
        (loc.side, loc.file.as_str(), loc.line),
        (cairn::diff::Side::Old, "systems/accounts.yaml", 1)
    );
}

#[test]
fn a_retired_system_is_breaking() {
    check("system-retired", &["breaking system-retired accounts"]);
}

#[test]
fn a_removed_major_version_hits_its_consumers_only() {
    check("api-removed", &["breaking api-removed accounts/api@1"]);
    let r = report_at("api-removed", AT);
    let c = &r.changes[0];
    assert!(
        c.message.contains("it was deprecated, sunset 2026-12-31")
            && c.message.contains("`accounts/api@2` remains"),
        "{}",
        c.message
    );
    // portal consumed @2 already; audit moved to @2 in the same change; reports did not.
    assert_eq!(
        hits(&r, "accounts/api@1"),
        [
            "audit resolved",
            "reports affected",
            "external: billing cron affected"
        ]
    );
    assert_eq!(r.summary.consumers_affected, 1);
    assert_eq!(r.summary.external_affected, 1);
}

#[test]
fn a_removed_endpoint_hits_declared_and_unknown_users_of_it() {
    check(
        "endpoint-removed",
        &["breaking endpoint-removed accounts/api@1 GET /groups"],
    );
    let r = report_at("endpoint-removed", AT);
    // portal declares other endpoints only: not hit. reports declares no `uses`: usage unknown.
    assert_eq!(
        hits(&r, "accounts/api@1 GET /groups"),
        [
            "audit affected",
            "reports affected",
            "external: billing cron affected"
        ]
    );
    let i = r.changes[0].impact.as_ref().unwrap();
    let usage: Vec<(&str, &str)> = i
        .consumers
        .iter()
        .map(|h| (h.system.as_str(), h.usage))
        .collect();
    assert_eq!(usage, [("audit", "declared"), ("reports", "unknown")]);
    assert_eq!(i.target, "accounts/api@1 GET /groups");
}

#[test]
fn a_consumer_that_stops_using_the_removed_endpoint_is_resolved() {
    let new = tempfile::tempdir().unwrap();
    copy_dir(&case_dir("endpoint-removed").join("new"), new.path());
    let audit = new.path().join("systems/audit.yaml");
    let text = std::fs::read_to_string(&audit).unwrap();
    std::fs::write(&audit, text.replace("[\"GET /groups\"]", "[]")).unwrap();
    let opts = DiffOptions {
        at: Date::parse(AT),
        ..Default::default()
    };
    let r = diff(
        &load(&case_dir("endpoint-removed").join("old")),
        &load(new.path()),
        &opts,
    );
    let audit = &r.changes[0].impact.as_ref().unwrap().consumers[0];
    assert_eq!(
        (audit.system.as_str(), audit.status),
        ("audit", HitStatus::Resolved)
    );
    assert_eq!(
        audit.note.as_deref(),
        Some("no longer uses `GET /groups` of `accounts/api@1` in the new catalog")
    );
}

#[test]
fn a_changed_api_kind_is_breaking() {
    check(
        "api-kind-changed",
        &["breaking api-kind-changed accounts/api@1"],
    );
    let r = report_at("api-kind-changed", AT);
    assert!(r.changes[0].message.contains("from rest to graphql"));
    assert_eq!(r.changes[0].impact.as_ref().unwrap().reach.direct, 3);
}

#[test]
fn deprecations_new_majors_owner_and_tier_changes_are_notable() {
    check(
        "notable",
        &[
            "notable api-deprecated accounts/api@1",
            "notable endpoint-deprecated accounts/api@1 GET /groups",
            "notable api-version-added accounts/api@2",
            "notable owner-changed portal",
            "notable tier-changed reports",
        ],
    );
    let r = report_at("notable", AT);
    assert!(r.changes[0].message.contains("sunset 2027-03-31"));
    // A deprecation names who still consumes the API, without failing the default gate.
    assert_eq!(r.changes[0].impact.as_ref().unwrap().reach.direct, 3);
    assert!(r.teams.is_empty(), "no break, so no team to notify");
    assert!(r.changes[3].message.contains("from `web` to `ops`"));
    assert!(r.changes[4].message.contains("from tier 3 to tier 2"));
}

#[test]
fn lifecycle_moves() {
    check(
        "lifecycle",
        &[
            "breaking api-retired accounts/export@1",
            "notable sunset-changed accounts/api@1",
            "notable system-deprecated portal",
            "safe system-lifecycle-changed audit",
        ],
    );
    let r = report_at("lifecycle", AT);
    assert!(r.changes[1]
        .message
        .contains("from 2026-12-31 to 2027-01-31"));
    assert_eq!(hits(&r, "accounts/export@1"), ["reports affected"]);
    assert_eq!(hits(&r, "portal"), ["dashboard affected"]);
}

#[test]
fn additions_are_safe() {
    check(
        "safe",
        &[
            "safe endpoint-added accounts/api@1 GET /users",
            "safe api-added accounts/events@1",
            "safe system-added search",
        ],
    );
}

#[test]
fn openapi_contract_breaks() {
    check(
        "openapi",
        &[
            "breaking endpoint-removed accounts/api@1 DELETE /users/{id}",
            "breaking request-parameter-type-changed accounts/api@1 GET /groups",
            "breaking request-parameter-type-changed accounts/api@1 GET /users/{id}",
            "breaking request-parameter-added-required accounts/api@1 GET /users/{id}",
            "breaking response-property-removed accounts/api@1 GET /users/{id}",
            "breaking request-property-added-required accounts/api@1 POST /users",
            "safe request-parameter-added accounts/api@1 GET /groups",
            "safe response-property-added accounts/api@1 GET /groups",
            "safe response-property-added accounts/api@1 GET /users/{id}",
        ],
    );
    let r = report_at("openapi", AT);
    let msg = |code: &str| -> Vec<String> {
        r.changes
            .iter()
            .filter(|c| c.code == code)
            .map(|c| c.message.clone())
            .collect()
    };
    assert_eq!(
        msg("request-parameter-added-required"),
        ["new required query parameter `tenant`"],
        "renaming the path parameter {{id}} to {{user}} is not a change"
    );
    assert_eq!(
        msg("request-parameter-type-changed"),
        [
            "type of query parameter `limit` changed from integer to string",
            "type of query parameter `fields` changed from string to array"
        ]
    );
    assert_eq!(
        msg("response-property-removed"),
        ["response property `email` (200) was removed"],
        "found through the $ref to components/schemas/User"
    );
    assert_eq!(
        msg("request-property-added-required"),
        ["new required request property `password`"]
    );
    // A removed field is located in the old spec, a new parameter in the new one.
    let removed = r
        .changes
        .iter()
        .find(|c| c.code == "response-property-removed")
        .unwrap();
    let loc = removed.location.as_ref().unwrap();
    assert_eq!(
        (loc.side, loc.file.as_str()),
        (cairn::diff::Side::Old, "systems/accounts-openapi.yaml")
    );
    let old_spec =
        std::fs::read_to_string(case_dir("openapi").join("old/systems/accounts-openapi.yaml"))
            .unwrap();
    assert!(
        old_spec
            .lines()
            .nth(loc.line as usize - 1)
            .unwrap()
            .contains("email:"),
        "line {} of the old spec is the removed property",
        loc.line
    );
    let tenant = r
        .changes
        .iter()
        .find(|c| c.code == "request-parameter-added-required")
        .unwrap()
        .location
        .clone()
        .unwrap();
    let new_spec =
        std::fs::read_to_string(case_dir("openapi").join("new/systems/accounts-openapi.yaml"))
            .unwrap();
    assert!(new_spec
        .lines()
        .nth(tenant.line as usize - 1)
        .unwrap()
        .contains("tenant"));
    // Endpoint-level semantics: only users of GET /groups (and usage unknown) are hit by its change.
    assert_eq!(
        hits(&r, "accounts/api@1 GET /groups"),
        [
            "audit affected",
            "reports affected",
            "external: billing cron affected"
        ]
    );
}

#[test]
fn acknowledgements_turn_hits_notable_until_they_expire() {
    let r = report_at("acknowledged", AT);
    assert_eq!(
        changes(&r),
        ["notable endpoint-removed accounts/api@1 GET /groups"]
    );
    assert_eq!(
        hits(&r, "accounts/api@1 GET /groups"),
        [
            "audit acknowledged",
            "reports acknowledged",
            "external: billing cron acknowledged"
        ]
    );
    let audit = &r.changes[0].impact.as_ref().unwrap().consumers[0];
    assert_eq!(audit.acknowledged_until.as_deref(), Some("2026-12-01"));
    let at = audit.acknowledged_at.as_ref().unwrap();
    assert_eq!(
        (at.side, at.file.as_str(), at.line),
        (cairn::diff::Side::New, "systems/audit.yaml", 9)
    );
    assert_eq!(r.summary.acknowledged, 3);
    assert!(!r.gate.failed);
    assert_eq!(r.teams.len(), 1, "acknowledged consumers are still told");

    // After 2026-12-01 two acknowledgements have expired: breaking again.
    let later = report_at("acknowledged", "2026-12-05");
    assert_eq!(
        changes(&later),
        ["breaking endpoint-removed accounts/api@1 GET /groups"]
    );
    assert_eq!(
        hits(&later, "accounts/api@1 GET /groups"),
        [
            "audit affected",
            "reports acknowledged",
            "external: billing cron affected"
        ]
    );
    let audit = &later.changes[0].impact.as_ref().unwrap().consumers[0];
    assert_eq!(
        audit.note.as_deref(),
        Some("acknowledgement expired on 2026-12-01")
    );
    assert!(later.gate.failed);

    // The acknowledging consumer still names the removed endpoint: `check` warns instead of failing.
    let new = load(&case_dir("acknowledged").join("new"));
    let d: Vec<(&str, &str)> = new
        .diagnostics
        .iter()
        .map(|d| (d.code, d.severity.as_str()))
        .collect();
    assert_eq!(d, [("unknown-endpoint", "warning")]);
    assert!(new.diagnostics[0]
        .message
        .contains("acknowledged until 2026-12-01"));
}

#[test]
fn consumers_that_migrated_in_the_same_change_are_resolved() {
    let r = report_at("migrated", AT);
    assert_eq!(changes(&r), ["breaking api-removed accounts/api@1"]);
    assert_eq!(
        hits(&r, "accounts/api@1"),
        [
            "audit resolved",
            "portal resolved",
            "reports resolved",
            "external: billing cron affected"
        ],
        "external consumers cannot migrate in the catalog: the provider must tell them"
    );
    assert_eq!(r.summary.consumers_affected, 0);
    assert!(r.teams.is_empty());
}

#[test]
fn acknowledged_must_be_a_date() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "kind: team\nname: t\n---\nkind: system\nname: a\nowner: t\nprovides: [{name: api}]\n---\nkind: system\nname: b\nowner: t\nconsumes:\n  - api: a/api@1\n    acknowledged: soon\n",
    )
    .unwrap();
    let c = load(dir.path());
    let d: Vec<(&str, u32)> = c.diagnostics.iter().map(|d| (d.code, d.line)).collect();
    assert_eq!(d, [("invalid-value", 14)]);
}

#[test]
fn exit_codes_follow_fail_on() {
    let table: &[(&str, &[&str], i32)] = &[
        ("endpoint-removed", &[], 3),
        ("endpoint-removed", &["--fail-on", "breaking"], 3),
        ("endpoint-removed", &["--fail-on", "never"], 0),
        ("notable", &[], 0),
        ("notable", &["--fail-on", "notable"], 3),
        ("safe", &["--fail-on", "notable"], 0),
        ("acknowledged", &[], 0),
        ("acknowledged", &["--fail-on", "notable"], 3),
        ("acknowledged", &["--at", "2026-12-05"], 3),
        ("migrated", &[], 3),
        ("system-removed", &["--format", "json"], 3),
    ];
    for (case, extra, want) in table {
        let (code, out, err) = run_diff(case, extra);
        assert_eq!(code, *want, "{case} {extra:?}\n{out}\n{err}");
    }
    // The same catalog on both sides: nothing changed.
    let old = rel("safe", "old");
    let (code, out, _) = cli(&["diff", &old, &old, "--fail-on", "notable"]);
    assert_eq!(code, 0);
    assert!(out.contains("No change"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = cli(&[
        "diff",
        "tests/data/diff/safe/old",
        "tests/data/diff/safe/old",
        "--format",
        "dot",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("use text, json or md"), "{err}");
    let (code, _, err) = cli(&["diff", "tests/data/diff/safe/old", ".", "--at", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a date"), "{err}");
}

#[test]
fn json_report() {
    let (code, out, _) = run_diff("api-removed", &["--format", "json"]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["gate"]["failed"], true);
    assert_eq!(
        v["changes"][0]["impact"]["consumers"][1]["status"],
        "affected"
    );
    insta::assert_snapshot!("diff-api-removed-json", out);
}

#[test]
fn markdown_pr_comment() {
    let (code, md, _) = run_diff("openapi", &["--format", "md"]);
    assert_eq!(code, 3);
    insta::assert_snapshot!("diff-openapi-md", md);
    let (_, md, _) = run_diff("acknowledged", &["--format", "md", "--at", "2026-12-05"]);
    insta::assert_snapshot!("diff-acknowledged-expired-md", md);
}

#[test]
fn text_report() {
    let (_, text, _) = run_diff("system-removed", &[]);
    insta::assert_snapshot!("diff-system-removed-text", text);
}

#[test]
fn markdown_escapes_catalog_text() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    for d in [&old, &new] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(
            d.join("t.yaml"),
            "kind: team\nname: t\ntitle: \"<script>alert(1)</script>\"\ncontacts: { email: \"x@y | <b>z</b>\" }\n",
        )
        .unwrap();
    }
    std::fs::write(
        old.join("s.yaml"),
        "kind: system\nname: a\nowner: t\nprovides:\n  - name: api\n    consumers: [{ name: \"*evil* [x](javascript:1) | <img>\" }]\n---\nkind: system\nname: b\nowner: t\nconsumes: [a/api@1]\n",
    )
    .unwrap();
    std::fs::write(new.join("s.yaml"), "kind: system\nname: b\nowner: t\n").unwrap();
    let (code, md, _) = cli(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "md",
    ]);
    assert_eq!(code, 3);
    assert!(
        !md.contains("<script>") && !md.contains("<img>") && !md.contains("<b>"),
        "{md}"
    );
    assert!(md.contains("\\*evil\\*") && md.contains("\\[x\\]"), "{md}");
}

// ---- git revisions -------------------------------------------------------------------------

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A repository whose `catalog/` is the case's old side in the first commit and its new side in
/// the second.
fn repo_with_history(case: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q"]);
    std::fs::write(repo.path().join("README.md"), "test repository\n").unwrap();
    git(repo.path(), &["add", "README.md"]);
    git(repo.path(), &["commit", "-qm", "no catalog yet"]);
    let catalog = repo.path().join("catalog");
    copy_dir(&case_dir(case).join("old"), &catalog);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "old"]);
    std::fs::remove_dir_all(&catalog).unwrap();
    copy_dir(&case_dir(case).join("new"), &catalog);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "new"]);
    repo
}

#[test]
fn revisions_compare_like_directories() {
    for case in ["openapi", "api-removed", "acknowledged"] {
        let repo = repo_with_history(case);
        let catalog = repo.path().join("catalog");
        let (code, out, err) = cli(&[
            "diff",
            "HEAD~1",
            "HEAD",
            "--catalog",
            catalog.to_str().unwrap(),
            "--at",
            AT,
            "--format",
            "json",
        ]);
        let (dir_code, dir_out, _) = run_diff(case, &["--format", "json"]);
        assert_eq!(code, dir_code, "{case}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let d: serde_json::Value = serde_json::from_str(&dir_out).unwrap();
        assert_eq!(v["changes"], d["changes"], "{case}");
        assert_eq!(v["old"]["kind"], "revision");
        assert_eq!(v["old"]["prefix"], "HEAD~1:catalog/");
        let head = git(repo.path(), &["rev-parse", "HEAD"]);
        assert_eq!(v["new"]["commit"], head.trim());
    }
}

#[test]
fn the_working_tree_against_a_revision_leaves_the_repository_untouched() {
    let repo = repo_with_history("endpoint-removed");
    let catalog = repo.path().join("catalog");
    // Restore GET /groups in the working tree only: against HEAD, that is an addition.
    let accounts = catalog.join("systems/accounts.yaml");
    std::fs::write(
        &accounts,
        std::fs::read_to_string(case_dir("endpoint-removed").join("old/systems/accounts.yaml"))
            .unwrap(),
    )
    .unwrap();
    let status = git(repo.path(), &["status", "--porcelain"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let c = catalog.to_str().unwrap();
    let (code, out, err) = cli(&["diff", "HEAD", ".", "--catalog", c, "--at", AT]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("endpoint-added"), "{out}");
    assert!(out.contains("Changes from HEAD:catalog"), "{out}");
    // And the other way round, the working tree as the baseline.
    let (code, out, _) = cli(&["diff", ".", "HEAD~1", "--catalog", c, "--at", AT]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 breaking, 0 notable, 0 safe"), "{out}");
    assert_eq!(git(repo.path(), &["status", "--porcelain"]), status);
    assert_eq!(git(repo.path(), &["rev-parse", "HEAD"]), head);
    assert_eq!(
        std::fs::read_to_string(&accounts).unwrap(),
        std::fs::read_to_string(case_dir("endpoint-removed").join("old/systems/accounts.yaml"))
            .unwrap()
    );
}

#[test]
fn git_errors_are_clear_and_exit_2() {
    let repo = repo_with_history("safe");
    let c = repo.path().join("catalog");
    let c = c.to_str().unwrap();
    let (code, _, err) = cli(&["diff", "no-such-branch", ".", "--catalog", c]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`no-such-branch` is neither a directory nor a revision"),
        "{err}"
    );
    let (code, _, err) = cli(&["diff", "HEAD~2", ".", "--catalog", c]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`catalog` does not exist at `HEAD~2`"),
        "{err}"
    );
    let (code, _, err) = cli(&["diff", "--catalog", c, "--", "-x", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("not a revision"), "{err}");

    let plain = tempfile::tempdir().unwrap();
    copy_dir(&case_dir("safe").join("old"), &plain.path().join("catalog"));
    let c = plain.path().join("catalog");
    let (code, _, err) = cli(&["diff", "HEAD", ".", "--catalog", c.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a directory, so it must be a git revision")
            && err.contains("not inside a git repository"),
        "{err}"
    );
}

#[test]
fn removing_pkgdb_api_1_from_the_example_catalog_names_every_consumer_and_team() {
    // The expected names come from `cairn impact pkgdb/api@1` on the unchanged catalog.
    let example = load(&example_catalog());
    let g = cairn::graph::Graph::build(&example);
    let t = cairn::impact::resolve_target(&example, "pkgdb/api@1", None).unwrap();
    let at = Date::parse(AT).unwrap();
    let expected = cairn::impact::impact(&example, &g, &t, &Default::default(), at);
    let direct: Vec<&str> = expected
        .affected
        .iter()
        .filter(|a| a.depth == 1)
        .map(|a| a.system.as_str())
        .collect();
    assert!(!direct.is_empty() && !expected.external.is_empty());

    let repo = tempfile::tempdir().unwrap();
    copy_dir(&example_catalog(), &repo.path().join("catalog"));
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "example catalog"]);
    let pkgdb = repo.path().join("catalog/systems/pkgdb/pkgdb.yaml");
    let text = std::fs::read_to_string(&pkgdb).unwrap();
    let start = text.find("  - name: api\n    version: 1\n").unwrap();
    let end = text.find("  - name: api\n    version: 2\n").unwrap();
    std::fs::write(&pkgdb, format!("{}{}", &text[..start], &text[end..])).unwrap();

    let catalog = repo.path().join("catalog");
    let (code, stdout, stderr) = cli(&[
        "diff",
        "HEAD",
        ".",
        "--catalog",
        catalog.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("[api-removed] API `pkgdb/api@1` was removed"),
        "{stdout}"
    );
    for name in &direct {
        assert!(
            stdout.contains(&format!("AFFECTED {name} ")),
            "{name} missing:\n{stdout}"
        );
    }
    for e in &expected.external {
        assert!(stdout.contains(&e.name), "{} missing:\n{stdout}", e.name);
        if let Some(contact) = &e.contact {
            assert!(stdout.contains(contact.as_str()), "{contact} missing");
        }
    }
    let teams = stdout
        .split("Teams to notify")
        .nth(1)
        .expect("a teams section");
    for team in expected
        .teams
        .iter()
        .filter(|t| t.systems.iter().any(|s| direct.contains(&s.as_str())))
    {
        assert!(
            teams.contains(&format!("  {} — ", team.name)),
            "team {} missing:\n{stdout}",
            team.name
        );
        for contact in team.contacts.values() {
            assert!(teams.contains(contact.as_str()), "{contact} missing");
        }
    }
    // The removal leaves owner-sync with a dangling reference: said on stderr, not hidden.
    assert!(
        stderr.contains("the new catalog (") && stderr.contains(") has 1 error"),
        "{stderr}"
    );
    // The working tree was only read.
    assert!(git(repo.path(), &["status", "--porcelain"]).contains("pkgdb.yaml"));
}

#[test]
fn the_real_binary_in_a_working_copy_uses_the_default_catalog() {
    let repo = repo_with_history("endpoint-removed");
    // `cairn diff HEAD~1 HEAD` from the repository root, `--catalog` left at `catalog`.
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["diff", "HEAD~1", "HEAD", "--at", AT])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Changes from HEAD~1:catalog"), "{stdout}");
    assert!(stdout.contains("AFFECTED audit"), "{stdout}");
}

/// `cairn diff REV` never writes outside its temporary directory: a commit whose tree holds a
/// symlink `evil` to a directory elsewhere and a directory `evil/` (duplicate entries, which
/// `git fsck` reports and some hosts accept) made the export write `evil/pwned.yaml` into that
/// directory, with the committer's content. Now the export is refused.
#[cfg(unix)]
#[test]
fn a_tree_that_writes_through_its_own_symlink_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    let victim = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join("team.yaml"), "kind: team\nname: core\n").unwrap();
    // `git ARGS` with `input` on stdin, its stdout trimmed.
    let piped = |args: &[&str], input: &str| -> String {
        use std::io::Write;
        let mut child = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string()
    };
    let hash = |text: &str| piped(&["hash-object", "-w", "--stdin"], text);
    let mktree = |listing: &str| piped(&["mktree"], listing);
    let pwned = hash("kind: team\nname: pwned\n");
    let link = hash(victim.path().to_str().unwrap());
    let team = hash("kind: team\nname: core\n");
    let sub = mktree(&format!("100644 blob {pwned}\tpwned.yaml\n"));
    let root = mktree(&format!(
        "120000 blob {link}\tevil\n040000 tree {sub}\tevil\n100644 blob {team}\tteam.yaml\n"
    ));
    let commit = git(dir, &["commit-tree", "-m", "evil", &root]);
    let commit = commit.trim();
    let (code, _, err) = cli(&["diff", commit, ".", "--catalog", dir.to_str().unwrap()]);
    assert!(
        !victim.path().join("pwned.yaml").exists(),
        "the export wrote outside its directory"
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("duplicateEntries"), "{err}");
}
