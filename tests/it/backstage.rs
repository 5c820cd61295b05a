//! Backstage import: mapping rules, reference forms, substitutions, Location following,
//! OpenAPI/AsyncAPI endpoints, impact across native and Backstage entities, and the real-world
//! fixtures in ../shared/fixtures.

use std::path::Path;

use cairn::date::Date;
use cairn::graph::Graph;
use cairn::impact::{impact, resolve_target, ImpactOptions};
use cairn::model::{ApiKind, BackstageTarget, Lifecycle};

use crate::support::*;

fn fixture() -> cairn::Catalog {
    load(&data_dir().join("valid/backstage"))
}

#[test]
fn components_and_resources_become_systems() {
    let c = fixture();
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    let pkgdb = c.system("pkgdb").expect("component mapped");
    assert_eq!(pkgdb.title, "Package Database");
    assert_eq!(pkgdb.owner_name(), Some("infra"));
    assert_eq!(
        pkgdb.domain.as_ref().map(|d| d.value.as_str()),
        Some("packaging")
    );
    assert_eq!(
        pkgdb.repo.as_deref(),
        Some("https://github.com/example/pkgdb")
    );
    assert_eq!(
        pkgdb
            .annotations
            .get("pagerduty.com/service-id")
            .map(String::as_str),
        Some("PKGDB01")
    );
    assert_eq!(
        pkgdb.labels.get("tier").map(String::as_str),
        Some("essential")
    );
    assert!(
        pkgdb.tags.contains(&"service".to_string()) && pkgdb.tags.contains(&"python".to_string())
    );
    assert_eq!(pkgdb.links[0].url, "https://pkgdb.example.org");
    assert_eq!(c.system("koji").unwrap().lifecycle, Lifecycle::Experimental);
    // A Component and a Resource with the same name are both kept; the Resource is qualified.
    assert!(c
        .system("cache")
        .unwrap()
        .tags
        .contains(&"service".to_string()));
    assert!(c
        .system("resource-cache")
        .unwrap()
        .tags
        .contains(&"resource".to_string()));
    // Nested objects with their own apiVersion/kind are not entities.
    assert!(c.system("not-an-entity").is_none());
}

#[test]
fn relations_map_to_edges() {
    let c = fixture();
    let deps = |n: &str| -> Vec<String> {
        c.system(n)
            .unwrap()
            .depends_on
            .iter()
            .map(|d| d.value.clone())
            .collect()
    };
    assert!(
        deps("pkgdb").contains(&"pkgdb-db".to_string()),
        "dependsOn with kind:name"
    );
    assert!(
        deps("bodhi").contains(&"koji".to_string()),
        "dependsOn as a {{kind, name}} mapping"
    );
    assert!(
        deps("bodhi").contains(&"pkgdb-db".to_string()),
        "dependencyOf adds the reverse edge"
    );
    assert!(
        deps("koji").contains(&"koji-builder".to_string()),
        "subcomponentOf: the parent depends on its part"
    );
    let bodhi = c.system("bodhi").unwrap();
    assert_eq!(
        bodhi.owner_name(),
        Some("infra"),
        "a User owner maps to the user's group"
    );
    assert_eq!(bodhi.consumes[0].api.value.to_string(), "pkgdb/pkgdb-api");
    let pkgdb = c.system("pkgdb").unwrap();
    assert_eq!(
        pkgdb.consumes[0].api.value.to_string(),
        "fas-api/fas-api",
        "an API nobody provides gets its own system"
    );
}

#[test]
fn groups_and_users_become_teams() {
    let c = fixture();
    let t = c.team("infra").unwrap();
    assert_eq!(t.title, "Infrastructure");
    assert_eq!(t.contacts.email.as_deref(), Some("infra@example.org"));
    let members: Vec<(&str, Option<&str>)> = t
        .members
        .iter()
        .map(|m| (m.name.value.as_str(), m.email.as_deref()))
        .collect();
    assert_eq!(
        members,
        vec![
            ("alice", Some("alice@example.org")),
            ("bob", Some("bob@example.org"))
        ],
        "from spec.members and User.memberOf"
    );
    let domains: Vec<&str> = c.domains.iter().map(|d| d.name.value.as_str()).collect();
    assert_eq!(domains, vec!["packaging", "distro"]);
}

#[test]
fn api_definitions_become_endpoints() {
    let c = fixture();
    let api = &c.system("pkgdb").unwrap().provides[0];
    assert_eq!(
        (api.name.value.as_str(), api.kind),
        ("pkgdb-api", ApiKind::Rest)
    );
    let eps: Vec<(String, bool)> = api
        .endpoints
        .iter()
        .map(|e| (e.label(), e.deprecated))
        .collect();
    assert_eq!(
        eps,
        vec![
            ("GET /api/critpath".into(), false),
            ("GET /api/package/{name}".into(), false),
            ("DELETE /api/package/{name}".into(), true)
        ],
        "$text of an OpenAPI 3.1 JSON file"
    );
    let fas = &c.system("fas-api").unwrap().provides[0];
    assert_eq!(
        fas.endpoints[0].label(),
        "GET /accounts/{id}",
        "inline OpenAPI 3.0 definition"
    );
    assert_eq!(fas.endpoints[0].operation_id.as_deref(), Some("getAccount"));
    let bus = &c.system("bus-events").unwrap().provides[0];
    assert_eq!(bus.kind, ApiKind::Events);
    let labels: Vec<String> = bus.endpoints.iter().map(|e| e.label()).collect();
    assert_eq!(
        labels,
        vec![
            "SUB org.example.package.new",
            "PUB org.example.package.retire"
        ],
        "$yaml AsyncAPI channels"
    );
    let remote = c.system("remote-api").unwrap();
    assert!(
        remote.provides[0].endpoints.is_empty(),
        "URLs are never fetched"
    );
    assert!(
        remote
            .links
            .iter()
            .any(|l| l.url == "https://example.org/remote-openapi.yaml"),
        "kept as a link"
    );
}

#[test]
fn backstage_refs_are_impact_targets_across_formats() {
    let c = fixture();
    let g = Graph::build(&c);
    let at = Date::parse("2026-11-22").unwrap();
    for target in [
        "api:pkgdb-api",
        "api:default/pkgdb-api",
        "API:PKGDB-API",
        "pkgdb/pkgdb-api",
        "component:default/pkgdb",
        "component:pkgdb",
    ] {
        let t = resolve_target(&c, target, None).unwrap_or_else(|e| panic!("{target}: {e}"));
        let r = impact(&c, &g, &t, &ImpactOptions::default(), at);
        let names: Vec<&str> = r.affected.iter().map(|a| a.system.as_str()).collect();
        assert!(
            names.contains(&"bodhi"),
            "{target}: Backstage consumer: {names:?}"
        );
        assert!(
            names.contains(&"mirror"),
            "{target}: native consumer of a Backstage API: {names:?}"
        );
    }
    let t = resolve_target(&c, "api:pkgdb-api", Some("GET /api/package/{name}")).unwrap();
    let r = impact(&c, &g, &t, &ImpactOptions::default(), at);
    let mirror = r.affected.iter().find(|a| a.system == "mirror");
    assert!(mirror.is_none(), "mirror only uses GET /api/critpath");
    assert_eq!(
        c.backstage_ref("Resource:default/pkgdb-db"),
        Some(&BackstageTarget::System("pkgdb-db".into()))
    );
    let err = resolve_target(&c, "api:nope", None).unwrap_err();
    assert!(err.message.contains("not a Backstage entity"));
    let (code, out, _) = cli(&[
        "--catalog",
        data_dir().join("valid/backstage").to_str().unwrap(),
        "impact",
        "api:pkgdb-api",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("\"mirror\""));
}

#[test]
fn imported_entities_are_searchable() {
    let c = fixture();
    let idx = cairn::search::SearchIndex::build(&c).unwrap();
    let r = idx.search("Package Database", &Default::default());
    assert_eq!(r.results.first().map(|h| h.name.as_str()), Some("pkgdb"));
    let r = idx.search("PKGDB01", &Default::default());
    assert_eq!(
        r.results.first().map(|h| h.name.as_str()),
        Some("pkgdb"),
        "annotations are searchable"
    );
    let r = idx.search("critpath", &Default::default());
    assert!(
        r.results.iter().any(|h| h.kind == "endpoint"),
        "endpoints from the OpenAPI definition are indexed"
    );
}

/// Loads a shared fixture directory; the shared folder sits beside the repository.
fn shared(name: &str) -> Option<cairn::Catalog> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(name);
    dir.is_dir().then(|| load(&dir))
}

#[test]
fn real_world_backstage_examples_load_and_report_their_problems() {
    let Some(c) = shared("backstage-examples") else {
        panic!("../shared/fixtures/backstage-examples is missing: CI runs with ../shared beside the clone");
    };
    let msgs: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.file, d.line, d.message))
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("user:team-b")),
        "podcast owned by a user that does not exist: {msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("all-ai-resources.yaml") && m.contains("does not exist")),
        "{msgs:#?}"
    );
    assert!(
        c.diagnostics.iter().all(|d| d.line > 0 && d.column > 0),
        "every diagnostic is located"
    );
    assert!(c.system("artist-lookup").is_some());
    let g = Graph::build(&c);
    let t = resolve_target(&c, "api:wayback-archive", None).unwrap();
    let r = impact(&c, &g, &t, &ImpactOptions::default(), Date::today());
    assert!(r.affected.iter().any(|a| a.system == "wayback-search"));
    let idx = cairn::search::SearchIndex::build(&c).unwrap();
    assert!(idx.search("artist", &Default::default()).total > 0);
}

#[test]
fn other_real_world_files_load_without_crashing() {
    for name in ["backstage-demo", "real-catalog-info"] {
        let c = shared(name).unwrap_or_else(|| panic!("../shared/fixtures/{name} is missing"));
        assert!(!c.systems.is_empty(), "{name}");
        assert!(c.diagnostics.iter().all(|d| d.line > 0), "{name}");
    }
    let c = shared("real-catalog-info").unwrap();
    // A Component and a Resource with the same name are both kept.
    let qualified = c
        .systems
        .iter()
        .filter(|s| s.name.value.starts_with("resource-"))
        .count();
    assert!(
        qualified >= 1,
        "{:?}",
        c.systems.iter().map(|s| &s.name.value).collect::<Vec<_>>()
    );
}

/// What a catalog says, independent of where it was written.
fn essence(c: &cairn::Catalog) -> serde_json::Value {
    let g = Graph::build(c);
    let at = Date::parse("2026-11-22").unwrap();
    let mut systems: Vec<serde_json::Value> = (0..c.systems.len())
        .map(|i| {
            let mut v = serde_json::to_value(cairn::views::system_view(c, &g, i, at)).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("file");
            o.remove("line");
            sort_array(o, "dependents");
            v
        })
        .collect();
    systems.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_string());
    let mut teams: Vec<serde_json::Value> = (0..c.teams.len())
        .map(|i| {
            let mut v = serde_json::to_value(cairn::views::team_view(c, &g, i, at)).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("file");
            o.remove("line");
            sort_array(o, "systems");
            v
        })
        .collect();
    teams.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_string());
    let mut domains: Vec<(String, String, Option<String>)> = c
        .domains
        .iter()
        .map(|d| {
            (
                d.name.value.clone(),
                d.description.clone(),
                d.owner.as_ref().map(|o| o.value.clone()),
            )
        })
        .collect();
    domains.sort();
    serde_json::json!({ "systems": systems, "teams": teams, "domains": domains })
}

/// File order decides some list orders; the content is what must survive.
fn sort_array(o: &mut serde_json::Map<String, serde_json::Value>, key: &str) {
    if let Some(serde_json::Value::Array(a)) = o.get_mut(key) {
        a.sort_by_key(|v| v.to_string());
    }
}

#[test]
fn import_writes_native_files_that_round_trip() {
    let src = data_dir().join("valid/backstage");
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("native");
    let (code, stdout, stderr) = cli(&[
        "import",
        "backstage",
        src.to_str().unwrap(),
        "--out",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("not mapped:"), "{stdout}");
    let imported = load(&dest);
    assert!(
        imported.diagnostics.is_empty(),
        "{:#?}",
        imported.diagnostics
    );
    assert!(dest.join("systems/pkgdb.yaml").is_file());
    assert_eq!(
        essence(&imported),
        essence(&fixture()),
        "native export keeps everything Cairn mapped"
    );
    // A second import into the same place refuses to overwrite.
    let (code, _, stderr) = cli(&[
        "import",
        "backstage",
        src.to_str().unwrap(),
        "--out",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");
}

/// What the generator's two formats must agree on: per system its owner, domain, endpoints and
/// the systems it depends on (by `consumes` or `depends_on`); per team its email and members;
/// per domain its owner.
pub(crate) type Essentials = (
    std::collections::BTreeMap<String, (Option<String>, Option<String>, Vec<String>, Vec<String>)>,
    std::collections::BTreeMap<String, (Option<String>, Vec<String>)>,
    std::collections::BTreeMap<String, Option<String>>,
);

pub(crate) fn essentials(c: &cairn::Catalog) -> Essentials {
    let g = Graph::build(c);
    let systems = c
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut deps: Vec<String> = g
                .dependencies(i)
                .iter()
                .map(|l| c.systems[l.system as usize].name.value.clone())
                .collect();
            deps.sort();
            deps.dedup();
            let mut eps: Vec<String> = s
                .provides
                .iter()
                .flat_map(|a| a.endpoints.iter().map(|e| e.label()))
                .collect();
            eps.sort();
            (
                s.name.value.clone(),
                (
                    s.owner_name().map(str::to_string),
                    s.domain.as_ref().map(|d| d.value.clone()),
                    eps,
                    deps,
                ),
            )
        })
        .collect();
    let teams = c
        .teams
        .iter()
        .map(|t| {
            let mut members: Vec<String> = t.members.iter().map(|m| m.name.value.clone()).collect();
            members.sort();
            (t.name.value.clone(), (t.contacts.email.clone(), members))
        })
        .collect();
    let domains = c
        .domains
        .iter()
        .map(|d| {
            (
                d.name.value.clone(),
                d.owner.as_ref().map(|o| o.value.clone()),
            )
        })
        .collect();
    (systems, teams, domains)
}

#[test]
fn generated_backstage_twin_says_what_the_native_catalog_says() {
    use cairn::gen::{generate_as, Format};
    let tmp = tempfile::tempdir().unwrap();
    let (native, twin) = (tmp.path().join("native"), tmp.path().join("backstage"));
    generate_as(&native, 240, 5, Format::Native).unwrap();
    generate_as(&twin, 240, 5, Format::Backstage).unwrap();
    let n = load(&native);
    let b = load(&twin);
    assert!(
        b.diagnostics.is_empty(),
        "the twin is clean: {:#?}",
        &b.diagnostics[..b.diagnostics.len().min(5)]
    );
    let want = essentials(&n);
    assert_eq!(want.0.len(), 240);
    assert!(
        want.0.values().map(|s| s.3.len()).sum::<usize>() > 240,
        "the catalog has dependency edges"
    );
    assert_eq!(
        without_twin_extras(&b),
        want,
        "loaded as Backstage entities"
    );

    // `cairn import backstage` writes native files that say the same again.
    let dest = tmp.path().join("imported");
    let (code, _, stderr) = cli(&[
        "import",
        "backstage",
        twin.to_str().unwrap(),
        "--out",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        without_twin_extras(&load(&dest)),
        want,
        "imported to native files"
    );
}

/// The twin's essentials without what only the twin has (see `cairn::gen::generate_as`): its
/// Resources (systems tagged `resource`, and the edges onto them) and the Backstage Domains
/// above its Systems (`area-N`). Both must be there.
fn without_twin_extras(c: &cairn::Catalog) -> Essentials {
    let resources: std::collections::BTreeSet<String> = c
        .systems
        .iter()
        .filter(|s| s.tags.iter().any(|t| t == "resource"))
        .map(|s| s.name.value.clone())
        .collect();
    assert!(
        resources.iter().any(|r| r.ends_with("-db"))
            && resources.iter().any(|r| r.starts_with("resource-")),
        "the twin has databases and buckets named like their component: {resources:?}"
    );
    let (mut systems, teams, mut domains) = essentials(c);
    systems.retain(|name, _| !resources.contains(name));
    for (_, (_, _, _, deps)) in systems.iter_mut() {
        deps.retain(|d| !resources.contains(d));
    }
    let areas = domains.len();
    domains.retain(|name, _| !name.starts_with("area-"));
    assert!(
        domains.len() < areas,
        "the twin has Domains above its Systems"
    );
    (systems, teams, domains)
}

#[test]
fn a_substituted_file_over_the_size_limit_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: { name: big-api }\n\
         spec: { type: openapi, lifecycle: production, owner: apps, definition: { $text: ./big.json } }\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("big.json"), " ".repeat(4096)).unwrap();
    let opts = cairn::LoadOptions {
        max_file_size: 2048,
    };
    let c = cairn::load(tmp.path(), &opts).unwrap();
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.message.contains("big.json"))
        .unwrap_or_else(|| panic!("{:#?}", c.diagnostics));
    assert!(
        d.message
            .contains("is 4096 bytes, over the 2048 byte limit (--max-file-size)"),
        "{d:?}"
    );
    assert_eq!(
        (d.code, d.file.as_str(), d.line),
        ("file-too-large", "catalog-info.yaml", 4),
        "{d:?}"
    );
}

/// Real catalog-info.yaml files name owners, groups, users and domains that live in an org
/// directory: those are warnings ("not in the catalog"), and the errors left are for files that
/// really are malformed (the list is in docs/backstage.md). `--strict` fails on the warnings.
#[test]
fn references_to_what_is_not_in_the_files_are_warnings_on_real_catalogs() {
    let c = shared("real-catalog-info").expect("../shared/fixtures/real-catalog-info is missing");
    let absent = [
        "unknown-team",
        "unknown-user",
        "unknown-domain",
        "unknown-system",
    ];
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == cairn::diag::Severity::Error)
        .map(|d| format!("{} {}:{}: {}", d.code, d.file, d.line, d.message))
        .collect();
    assert!(
        errors
            .iter()
            .all(|e| !absent.iter().any(|a| e.starts_with(a))),
        "{errors:#?}"
    );
    // Every error is in a file written to be invalid, a declaration made twice, or a
    // substitution naming a file the fixture does not have.
    for e in &errors {
        assert!(
            e.contains("_invalid-")
                || e.starts_with("duplicate-name")
                || (e.starts_with("missing-file") && e.contains("$text")),
            "unexpected error: {e}"
        );
    }
    let owners = c
        .diagnostics
        .iter()
        .filter(|d| d.code == "unknown-team")
        .count();
    assert!(owners >= 40, "{owners} org-directory owners and groups");
    // The entity is kept, its owner shown by its reference.
    let s = c.system("elasticsearch-py").expect("kept");
    let v = cairn::views::team_ref(&c, s.owner_name().unwrap(), Date::today());
    assert_eq!(
        (v.name.as_str(), v.in_catalog),
        ("group:devtools-team", false)
    );

    // A catalog with only such warnings passes, and fails with --strict.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../shared/fixtures/real-catalog-info/elastic__elasticsearch-py__catalog-info.yaml",
        ),
        dir.path().join("catalog-info.yaml"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, _, stderr) = cli(&["check", d]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("not in the catalog"), "{stderr}");
    assert_eq!(cli(&["check", "--strict", d]).0, 1);
}

/// A Location's glob target is checked from the directory it starts in: `./**/*.yaml` (valid in
/// Backstage) is not an error; a glob under a directory that does not exist is.
#[test]
fn location_globs_are_checked_from_where_they_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("components")).unwrap();
    std::fs::write(
        dir.path().join("all.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: all }\n\
         spec:\n  targets:\n    - ./**/*.yaml\n    - ./components/*.yaml\n    - ./components/**/c?.yaml\n    - ./nowhere/*.yaml\n",
    )
    .unwrap();
    let c = load(dir.path());
    let found: Vec<(u32, &str)> = c
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            9,
            "Location target `./nowhere/*.yaml`: directory `nowhere` does not exist"
        )],
        "{:#?}",
        c.diagnostics
    );
}

/// `cairn import backstage` never silently drops an entity: two systems that map to one file
/// name (a duplicate in the source catalog) are written as two documents of that file, and the
/// output's check reports the duplicate.
#[test]
fn import_keeps_both_systems_of_one_name() {
    let src = tempfile::tempdir().unwrap();
    for (file, desc) in [("a.yaml", "First of two."), ("b.yaml", "Second of two.")] {
        std::fs::write(
            src.path().join(file),
            format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: dup, description: {desc} }}\nspec: {{ type: service, lifecycle: production, owner: team-a }}\n"),
        )
        .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("native");
    let (code, _, err) = cli(&[
        "import",
        "backstage",
        src.path().to_str().unwrap(),
        "--out",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dest.join("systems/dup.yaml")).unwrap();
    assert!(
        text.contains("First of two.") && text.contains("Second of two."),
        "{text}"
    );
    let c = load(&dest);
    assert!(
        c.diagnostics.iter().any(|d| d.code == "duplicate-name"),
        "{:#?}",
        c.diagnostics
    );
}

/// Cairn's own annotations on a Component (docs/backstage.md, "Cairn's annotations"): a tier,
/// support facts, and a runbook that is either a URL or a file checked like a native
/// `runbook:` (inside the catalog, existing). A tier Cairn cannot use is a warning at its line.
#[test]
fn cairn_annotations_give_tier_support_and_runbook() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = |name: &str, annotations: &str| {
        format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  annotations:\n{annotations}spec: {{ type: service, lifecycle: production, owner: team-a }}\n"
        )
    };
    let mut text = doc(
        "svc-a",
        "    cairn/tier: \"1\"\n    cairn/runbook: docs/runbook.md\n    cairn/support-logs: journalctl -u svc-a\n    cairn/support-database: PostgreSQL 16\n",
    );
    text += &doc(
        "svc-b",
        "    cairn/tier: \"7\"\n    cairn/runbook: https://wiki.example.org/svc-b\n",
    );
    text += &doc("svc-c", "    cairn/runbook: ../../etc/passwd\n");
    text += &doc("svc-d", "    cairn/runbook: docs/missing.md\n");
    std::fs::write(tmp.path().join("catalog-info.yaml"), text).unwrap();
    std::fs::create_dir(tmp.path().join("docs")).unwrap();
    std::fs::write(
        tmp.path().join("docs/runbook.md"),
        "# Runbook\n\nRestart it.\n",
    )
    .unwrap();
    let c = load(tmp.path());
    let sys = |n: &str| c.systems.iter().find(|s| s.name.value == n).unwrap();

    let a = sys("svc-a");
    assert_eq!(a.tier, Some(1));
    assert_eq!(
        a.runbook.as_ref().map(|r| r.value.clone()),
        Some(cairn::model::DocRef::Path("docs/runbook.md".into()))
    );
    assert_eq!(
        a.support.get("logs").map(String::as_str),
        Some("journalctl -u svc-a")
    );
    assert_eq!(
        a.support.get("database").map(String::as_str),
        Some("PostgreSQL 16")
    );

    let b = sys("svc-b");
    assert_eq!(b.tier, None);
    assert_eq!(
        b.runbook.as_ref().map(|r| r.value.clone()),
        Some(cairn::model::DocRef::Url(
            "https://wiki.example.org/svc-b".into()
        ))
    );
    let codes: Vec<(&str, u32, String)> = c
        .diagnostics
        .iter()
        .map(|d| (d.code, d.line, d.message.clone()))
        .collect();
    assert!(
        codes
            .iter()
            .any(|(code, line, m)| *code == "invalid-annotation"
                && *line == 18
                && m.contains("cairn/tier: 7")),
        "{codes:#?}"
    );
    assert_eq!(
        sys("svc-c").runbook,
        None,
        "a runbook outside the catalog is refused"
    );
    assert!(
        codes
            .iter()
            .any(|(code, line, _)| *code == "path-outside-catalog" && *line == 27),
        "{codes:#?}"
    );
    assert!(
        codes.iter().any(|(code, line, m)| *code == "missing-file"
            && *line == 35
            && m.contains("docs/missing.md")),
        "{codes:#?}"
    );
    // The runbook file is read like a native one: it is in the snapshot's documents.
    assert!(
        c.documents
            .get("docs/runbook.md")
            .is_some_and(|t| t.contains("Restart it.")),
        "{:?}",
        c.documents.keys().collect::<Vec<_>>()
    );
}
