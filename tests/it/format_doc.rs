//! docs/catalog-format.md must not drift from the loader: its YAML examples together form one
//! catalog that loads without a single diagnostic, its field tables list exactly the fields the
//! loader accepts, and its rules tables name exactly the diagnostic codes there are.
//! docs/scorecards.md documents the settings document the same way: its field tables are checked
//! with the others, and each of its YAML examples loads cleanly beside a small catalog.
//!
//! Conventions the parser relies on (see the document):
//! - a YAML example is a fenced block opened by a line "```yaml";
//! - a field table has the header `| Field | Type | Default | Description |`, its rows start with
//!   "| `name` |", and it is preceded by a marker `<!-- fields: SYSTEM_FIELDS -->` naming the
//!   loader's list it documents;
//! - a rules table has a header whose first cell is `Code`, and one row per diagnostic code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cairn::loader::ICAL_FIELDS;
use cairn::loader::{
    API_FIELDS, CONSUMES_FIELDS, CONTACT_FIELDS, DOMAIN_FIELDS, ENDPOINT_FIELDS, ILITY_FIELDS,
    LINK_FIELDS, LISTED_CONSUMER_FIELDS, MEMBER_FIELDS, ONBOARDING_FIELDS, ONBOARDING_STEP_FIELDS,
    ONCALL_FIELDS, ROTATION_FIELDS, SYSTEM_FIELDS, TEAM_FIELDS,
};
use cairn::loader::{
    LEVEL_FIELDS, RULE_CHECKS, RULE_META_FIELDS, SCORECARD_FIELDS, SELECTOR_FIELDS,
    SETTINGS_FIELDS, SOURCE_FIELDS,
};

use crate::support::*;

const DOC: &str = "docs/catalog-format.md";
const SETTINGS_DOC: &str = "docs/scorecards.md";

fn field_lists() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("SYSTEM_FIELDS", SYSTEM_FIELDS),
        ("API_FIELDS", API_FIELDS),
        ("ENDPOINT_FIELDS", ENDPOINT_FIELDS),
        ("LISTED_CONSUMER_FIELDS", LISTED_CONSUMER_FIELDS),
        ("CONSUMES_FIELDS", CONSUMES_FIELDS),
        ("LINK_FIELDS", LINK_FIELDS),
        ("ILITY_FIELDS", ILITY_FIELDS),
        ("TEAM_FIELDS", TEAM_FIELDS),
        ("CONTACT_FIELDS", CONTACT_FIELDS),
        ("MEMBER_FIELDS", MEMBER_FIELDS),
        ("ONCALL_FIELDS", ONCALL_FIELDS),
        ("ICAL_FIELDS", ICAL_FIELDS),
        ("ROTATION_FIELDS", ROTATION_FIELDS),
        ("ONBOARDING_FIELDS", ONBOARDING_FIELDS),
        ("ONBOARDING_STEP_FIELDS", ONBOARDING_STEP_FIELDS),
        ("DOMAIN_FIELDS", DOMAIN_FIELDS),
        ("SETTINGS_FIELDS", SETTINGS_FIELDS),
        ("SCORECARD_FIELDS", SCORECARD_FIELDS),
        ("LEVEL_FIELDS", LEVEL_FIELDS),
        ("RULE_META_FIELDS", RULE_META_FIELDS),
        ("RULE_CHECKS", RULE_CHECKS),
        ("SELECTOR_FIELDS", SELECTOR_FIELDS),
        ("SOURCE_FIELDS", SOURCE_FIELDS),
    ])
}

fn doc_text() -> String {
    read_doc(DOC)
}

fn read_doc(doc: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(doc);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every ```yaml block: (1-based line of the opening fence, text).
fn yaml_blocks(doc: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        let fence = line.trim();
        match &mut current {
            None if fence == "```yaml" => current = Some((i + 1, String::new())),
            None => {}
            Some(_) if fence == "```" => out.push(current.take().expect("open block")),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(current.is_none(), "{DOC}: unclosed ```yaml block");
    out
}

/// Cells of a Markdown table row, trimmed; `None` for lines that are not table rows.
fn cells(line: &str) -> Option<Vec<&str>> {
    let l = line.trim();
    let inner = l.strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// The name in a first cell written as `name`.
fn backticked(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?.strip_suffix('`')
}

struct Table {
    /// 1-based line of the header.
    line: usize,
    header: String,
    /// The `<!-- fields: X -->` marker seen since the previous table, if any.
    marker: Option<String>,
    /// First cells of the body rows, as written.
    first_cells: Vec<String>,
}

fn tables(doc: &str) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut marker: Option<String> = None;
    let mut in_table = false;
    let mut in_code = false;
    for (i, line) in doc.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(m) = line
            .trim()
            .strip_prefix("<!-- fields:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            marker = Some(m.trim().to_string());
            continue;
        }
        let Some(c) = cells(line) else {
            in_table = false;
            continue;
        };
        if !in_table {
            in_table = true;
            out.push(Table {
                line: i + 1,
                header: c[0].to_string(),
                marker: marker.take(),
                first_cells: Vec::new(),
            });
            continue;
        }
        if c[0].chars().all(|ch| ch == '-' || ch == ':') {
            continue; // the |---| separator
        }
        out.last_mut()
            .expect("a table is open")
            .first_cells
            .push(c[0].to_string());
    }
    out
}

#[test]
fn yaml_examples_form_one_clean_catalog() {
    let doc = doc_text();
    let blocks = yaml_blocks(&doc);
    assert!(
        blocks.len() >= 13,
        "{DOC}: expected an example per object, found {} yaml blocks",
        blocks.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (n, (line, text)) in blocks.iter().enumerate() {
        assert!(
            text.lines().any(|l| l.starts_with("kind:")),
            "{DOC}:{line}: every ```yaml block must be a catalog document with `kind:` \
             (use ```text for other snippets)"
        );
        let name = format!("block-{n:02}-line-{line}.yaml");
        std::fs::write(dir.path().join(&name), text).unwrap();
        names.push(name);
    }

    let c = cairn::load(dir.path(), &Default::default()).expect("temp catalog loads");
    if !c.diagnostics.is_empty() {
        let rendered =
            cairn::cli::check_render(&c, Path::new(""), cairn::diag::RenderOptions::default());
        panic!(
            "the examples in {DOC} do not form a clean catalog \
             (files are named after the line of their ```yaml fence):\n\n{rendered}"
        );
    }

    // Every block became at least one entity (no block silently ignored).
    for name in &names {
        let id = c
            .files
            .iter()
            .position(|f| &f.path == name)
            .unwrap_or_else(|| panic!("{name} was not loaded")) as u32;
        let entities = c.systems.iter().filter(|s| s.loc.file == id).count()
            + c.teams.iter().filter(|t| t.loc.file == id).count()
            + c.domains.iter().filter(|d| d.loc.file == id).count();
        assert!(
            entities > 0,
            "{DOC}: {name} declares no system, team or domain"
        );
    }
    assert!(c.systems.len() >= 5 && c.teams.len() >= 3 && !c.domains.is_empty());
}

#[test]
fn field_tables_match_the_loader() {
    let lists = field_lists();
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let all_tables: Vec<Table> = [DOC, SETTINGS_DOC, "docs/sources.md"]
        .iter()
        .flat_map(|d| tables(&read_doc(d)))
        .collect();
    for t in all_tables.iter().filter(|t| t.header == "Field") {
        let list = t.marker.clone().unwrap_or_else(|| {
            panic!(
                "{DOC}:{}: field table without a `<!-- fields: LIST -->` marker before it",
                t.line
            )
        });
        assert!(
            lists.contains_key(list.as_str()),
            "{DOC}:{}: unknown field list `{list}` (one of {:?})",
            t.line,
            lists.keys().collect::<Vec<_>>()
        );
        let entry = documented.entry(list.clone()).or_default();
        for cell in &t.first_cells {
            let name = backticked(cell).unwrap_or_else(|| {
                panic!(
                    "{DOC}:{}: rows of field tables start with | `field` |, found `{cell}`",
                    t.line
                )
            });
            assert!(
                entry.insert(name.to_string()),
                "{DOC}: `{name}` documented twice for {list}"
            );
        }
    }

    let mut problems = Vec::new();
    for (list, fields) in &lists {
        let Some(doc_fields) = documented.get(*list) else {
            problems.push(format!("no field table for {list}"));
            continue;
        };
        for f in *fields {
            if !doc_fields.contains(*f) {
                problems.push(format!(
                    "{list}: field `{f}` is accepted but not documented"
                ));
            }
        }
        for f in doc_fields {
            if !fields.contains(&f.as_str()) {
                problems.push(format!(
                    "{list}: field `{f}` is documented but not accepted"
                ));
            }
        }
    }
    // Across tables, too: every row starting with | ` in a field table names some real field.
    let all: BTreeSet<&str> = lists.values().flat_map(|l| l.iter().copied()).collect();
    for f in documented.values().flatten() {
        if !all.contains(f.as_str()) {
            problems.push(format!("`{f}` is in no field list of cairn::loader"));
        }
    }
    assert!(
        problems.is_empty(),
        "{DOC} drifted from the loader:\n{}",
        problems.join("\n")
    );
}

/// Each ```yaml block of docs/scorecards.md is a settings document; with a small catalog beside
/// it (the teams and domains the examples name), it loads without a diagnostic.
#[test]
fn settings_examples_load_cleanly() {
    let doc = read_doc(SETTINGS_DOC);
    let blocks = yaml_blocks(&doc);
    assert!(!blocks.is_empty(), "{SETTINGS_DOC} has no yaml example");
    for (line, text) in blocks {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cairn.yaml"), &text).unwrap();
        std::fs::write(
            dir.path().join("catalog.yaml"),
            "kind: team\nname: apps\n---\nkind: domain\nname: core\n---\nkind: system\nname: s\nowner: apps\n",
        )
        .unwrap();
        let c = cairn::load(dir.path(), &Default::default()).expect("temp catalog loads");
        if !c.diagnostics.is_empty() {
            let rendered =
                cairn::cli::check_render(&c, Path::new(""), cairn::diag::RenderOptions::default());
            panic!("the example at {SETTINGS_DOC}:{line} does not load cleanly:\n\n{rendered}");
        }
        assert!(
            c.settings.is_some(),
            "{SETTINGS_DOC}:{line}: not a settings document"
        );
    }
}

#[test]
fn rules_tables_name_the_real_diagnostic_codes() {
    let doc = doc_text();
    let documented: BTreeSet<String> = tables(&doc)
        .iter()
        .filter(|t| t.header == "Code")
        .flat_map(|t| t.first_cells.iter())
        .map(|c| {
            backticked(c)
                .unwrap_or_else(|| panic!("{DOC}: rules rows start with | `code` |, found {c}"))
                .to_string()
        })
        .collect();
    assert!(
        documented.len() >= 30,
        "{DOC}: rules tables missing? {documented:?}"
    );

    // Documented codes exist: each appears as a string literal in the sources.
    let mut sources = String::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                sources.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let stale: Vec<&String> = documented
        .iter()
        .filter(|c| !sources.contains(&format!("\"{c}\"")))
        .collect();
    assert!(
        stale.is_empty(),
        "{DOC} documents codes no source uses: {stale:?}"
    );

    // Codes the fixtures and the example catalog produce are documented.
    let mut dirs: Vec<_> = cases(&data_dir().join("invalid"))
        .into_iter()
        .map(|c| data_dir().join("invalid").join(c))
        .collect();
    dirs.push(example_catalog());
    for d in dirs {
        for diag in &load(&d).diagnostics {
            assert!(
                documented.contains(diag.code),
                "code `{}` ({}: {}) is not in the rules tables of {DOC}",
                diag.code,
                d.display(),
                diag.message
            );
        }
    }
}
