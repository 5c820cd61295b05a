//! The settings document (`kind: settings`) → [`Settings`]: the organisation's name and
//! description, a glossary, and the readiness scorecard with its declarative rules.
//!
//! Rules are a small fixed vocabulary (`has`, `ilities`, `rated`, `support`, `environments`,
//! `no_deprecated_consumption`, `apis_described`) with an optional `when` selector; anything else
//! is reported where it is written, with a suggestion, like every other catalog field.

use std::collections::HashMap;

use super::node::{Ctx, Node};
use super::yaml::{Pos, Value};
use crate::diag::did_you_mean;
use crate::model::*;

pub const SETTINGS_FIELDS: &[&str] = &[
    "kind",
    "title",
    "description",
    "glossary",
    "scorecard",
    "observed",
    "sources",
    "refresh",
];
/// What a `sources:` entry may say (docs/sources.md).
pub const SOURCE_FIELDS: &[&str] = &[
    "name", "git", "path", "ref", "include", "exclude", "refresh", "web",
];
pub const SCORECARD_FIELDS: &[&str] = &["levels"];
pub const LEVEL_FIELDS: &[&str] = &["name", "title", "description", "rules"];
/// What a rule may say besides its check.
pub const RULE_META_FIELDS: &[&str] = &["id", "title", "hint", "when"];
/// The checks; a rule has exactly one.
pub const RULE_CHECKS: &[&str] = &[
    "has",
    "ilities",
    "rated",
    "support",
    "environments",
    "no_deprecated_consumption",
    "apis_described",
];
pub const SELECTOR_FIELDS: &[&str] = &["tier", "lifecycle", "domain"];

/// The built-in settings (`templates/new-settings.yaml`): used when a catalog has no settings
/// document, and written by `cairn new settings`.
pub const DEFAULT_SETTINGS_YAML: &str = include_str!("../../templates/new-settings.yaml");

pub fn settings<'a>(ctx: &mut Ctx<'a>, root: Node<'a>) -> Option<Settings> {
    let o = ctx.obj(root, "settings", SETTINGS_FIELDS)?;
    let mut s = Settings {
        title: ctx.opt_string(&o, "title").unwrap_or_default(),
        description: ctx.opt_string(&o, "description").unwrap_or_default(),
        loc: ctx.loc(root.pos),
        ..Default::default()
    };
    if let Some(g) = o.get("glossary") {
        if let Some(m) = ctx.free_obj(g, "glossary") {
            for (term, _, v) in m.fields().to_vec() {
                if let Some(definition) = ctx.string(v, term) {
                    s.glossary.push(GlossaryEntry {
                        term: term.to_string(),
                        definition,
                    });
                }
            }
        }
    }
    if let Some(sc) = o.get("scorecard") {
        s.scorecard = scorecard(ctx, sc);
    }
    // Observed-traffic sources for `cairn serve` and `cairn drift` when none are given on the
    // command line: files inside the catalog, paths relative to this file. Never URLs: catalog
    // content never makes Cairn open a connection (anyone who can commit a file could read
    // internal services through the server); the operator passes those with `--observed`.
    if let Some(n) = o.get("observed") {
        for item in ctx.list(n, "observed") {
            let Some(raw) = ctx.string(item, "observed") else {
                continue;
            };
            if raw.contains("://") {
                ctx.error(
                    "invalid-value",
                    item.pos,
                    format!("observed source `{raw}` is a URL; the catalog names only files inside it"),
                )
                .hint = Some(
                    "catalog content never makes Cairn open a connection: pass URLs on the command line (`cairn serve --observed URL`)".into(),
                );
                continue;
            }
            match super::node::join_inside(ctx.dir, &raw) {
                Ok(rel) if leaves_root(ctx.root, &rel) => {
                    ctx.error(
                        "path-outside-catalog",
                        item.pos,
                        format!("observed source `{raw}` is a symlink that leaves the catalog"),
                    );
                }
                Ok(rel) => s.observed.push(rel),
                Err(msg) => {
                    ctx.error(
                        "path-outside-catalog",
                        item.pos,
                        format!("observed source `{raw}` {msg}"),
                    );
                }
            }
        }
    }
    if let Some(n) = o.get("refresh") {
        s.refresh_secs = interval(ctx, n, "refresh");
    }
    if let Some(n) = o.get("sources") {
        let mut seen = std::collections::HashSet::new();
        for item in ctx.list(n, "sources") {
            if let Some(src) = source(ctx, item) {
                if !seen.insert(src.name.clone()) {
                    ctx.error(
                        "duplicate-name",
                        item.pos,
                        format!("two sources are named `{}`", src.name),
                    );
                    continue;
                }
                s.sources.push(src);
            }
        }
    }
    Some(s)
}

/// A duration (`90s`, `5m`, `1h`), in seconds.
fn interval<'a>(ctx: &mut Ctx<'a>, n: Node<'a>, what: &str) -> Option<u64> {
    let raw = ctx.string(n, what)?;
    match crate::date::parse_interval(&raw) {
        Ok(d) => Some(d.as_secs()),
        Err(msg) => {
            ctx.error("invalid-value", n.pos, format!("`{what}`: {msg}"));
            None
        }
    }
}

/// One `sources:` entry: a `name`, and either `path` (a directory inside the catalog) or `git`
/// (a repository URL) with its `ref`. Everything git is given from here is checked so that git
/// cannot take it as an option, and only transports that fetch (no `ext::`); a local repository
/// must be inside the catalog, like every path the catalog names (docs/security.md).
fn source<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<SourceSetting> {
    let o = ctx.obj(n, "source", SOURCE_FIELDS)?;
    let Some(name_node) = o.get("name") else {
        ctx.error("missing-field", n.pos, "source has no `name`")
            .hint =
            Some("name it: `- name: payments, git: https://git.example.org/payments.git`".into());
        return None;
    };
    let name = ctx.string(name_node, "name")?;
    if !crate::model::is_valid_name(&name) {
        ctx.error(
            "invalid-name",
            name_node.pos,
            format!("source name `{name}` is not a name (lower-case letters, digits and `-`)"),
        );
        return None;
    }
    let include = match o.get("include") {
        Some(l) => globs(ctx, l, "include")?,
        None => DEFAULT_INCLUDE.iter().map(|s| s.to_string()).collect(),
    };
    let exclude = match o.get("exclude") {
        Some(l) => globs(ctx, l, "exclude")?,
        None => Vec::new(),
    };
    let refresh_secs = o.get("refresh").and_then(|r| interval(ctx, r, "refresh"));
    let web = match o.get("web") {
        Some(w) => {
            let raw = ctx.string(w, "web")?;
            if !(raw.starts_with("https://") || raw.starts_with("http://")) {
                ctx.error(
                    "invalid-value",
                    w.pos,
                    format!("`web: {raw}` is not an http(s) URL pattern"),
                )
                .hint =
                    Some("for example `https://github.com/org/repo/blob/{revision}/{path}`".into());
                None
            } else {
                Some(raw)
            }
        }
        None => None,
    };
    let location = match (o.get("git"), o.get("path")) {
        (Some(_), Some(p)) => {
            ctx.error(
                "invalid-value",
                p.pos,
                "a source has `git` or `path`, not both",
            );
            return None;
        }
        (None, Some(p)) => {
            if let Some(r) = o.get("ref") {
                ctx.error(
                    "invalid-value",
                    r.pos,
                    "`ref` is for `git` sources; a `path` source is read as it is",
                );
            }
            let raw = ctx.string(p, "path")?;
            let rel = inside(ctx, p, &raw, "path")?;
            SourceLocation::Dir(rel)
        }
        (Some(g), None) => {
            let url = ctx.string(g, "git")?;
            let rev = match o.get("ref") {
                Some(r) => {
                    let rev = ctx.string(r, "ref")?;
                    if rev.is_empty()
                        || rev.starts_with('-')
                        || rev.chars().any(|c| c.is_whitespace() || c.is_control())
                        || rev.contains("..")
                    {
                        ctx.error(
                            "invalid-value",
                            r.pos,
                            format!("`ref: {rev}` is not a branch, tag or commit"),
                        );
                        return None;
                    }
                    rev
                }
                None => "HEAD".to_string(),
            };
            let url = git_url(ctx, g, &url)?;
            SourceLocation::Git { url, rev }
        }
        (None, None) => {
            ctx.error(
                "missing-field",
                n.pos,
                format!("source `{name}` has neither `git` nor `path`"),
            );
            return None;
        }
    };
    Some(SourceSetting {
        name,
        location,
        include,
        exclude,
        refresh_secs,
        web,
        loc: ctx.loc(name_node.pos),
    })
}

/// A list of globs (`include`, `exclude`), bounded; `None` (and a located error) when it is
/// not.
fn globs<'a>(ctx: &mut Ctx<'a>, l: Node<'a>, what: &str) -> Option<Vec<String>> {
    let items = ctx.list(l, what);
    if items.len() > MAX_INCLUDE {
        ctx.error(
            "invalid-value",
            l.pos,
            format!("`{what}` has {} globs; at most {MAX_INCLUDE}", items.len()),
        );
        return None;
    }
    let mut globs = Vec::new();
    for i in items {
        let Some(g) = ctx.string(i, what) else {
            continue;
        };
        if g.len() > MAX_GLOB_LEN {
            ctx.error(
                "invalid-value",
                i.pos,
                format!("a glob of {} characters; at most {MAX_GLOB_LEN}", g.len()),
            );
            return None;
        }
        globs.push(g);
    }
    Some(globs)
}

/// Globs in one `include` and characters in one glob, at most: matching costs (glob segments
/// × path segments) per file, and a committed pattern must not make every refresh slow.
const MAX_INCLUDE: usize = 64;
const MAX_GLOB_LEN: usize = 256;

/// The catalog files a source gives when its entry has no `include`: Backstage descriptors
/// anywhere, and Cairn's own files in a `cairn/` or `catalog/` folder at its top.
pub const DEFAULT_INCLUDE: &[&str] = &[
    "**/catalog-info.yaml",
    "**/catalog-info.yml",
    "cairn/**/*.yaml",
    "catalog/**/*.yaml",
];

/// `raw` (relative to this file) as a path relative to the catalog root that stays inside it.
fn inside<'a>(ctx: &mut Ctx<'a>, n: Node<'a>, raw: &str, what: &str) -> Option<String> {
    let rel = match super::node::join_inside(ctx.dir, raw) {
        Ok(rel) => rel,
        Err(msg) if raw.trim_matches('/') == "." || raw.is_empty() => {
            let _ = msg;
            ctx.dir.trim_matches('/').to_string()
        }
        Err(msg) => {
            ctx.error(
                "path-outside-catalog",
                n.pos,
                format!("{what} `{raw}` {msg}"),
            )
            .hint = Some("a source's directory is inside the catalog directory".into());
            return None;
        }
    };
    if leaves_root(ctx.root, &rel) {
        ctx.error(
            "path-outside-catalog",
            n.pos,
            format!("{what} `{raw}` is a symlink that leaves the catalog"),
        );
        return None;
    }
    Some(rel)
}

/// A repository URL git may fetch: `https://`, `http://`, `ssh://`, `git://`, `user@host:path`,
/// or a repository inside the catalog (`file://` or a relative path), which becomes an absolute
/// `file://` URL. Never an option (`-...`), never a remote helper (`ext::`, `fd::`).
fn git_url<'a>(ctx: &mut Ctx<'a>, n: Node<'a>, raw: &str) -> Option<String> {
    let bad = |ctx: &mut Ctx<'a>, why: &str| {
        ctx.error("invalid-value", n.pos, format!("`git: {raw}` {why}"))
            .hint = Some(
            "an https://, ssh:// or git:// URL, user@host:path, or a repository inside the catalog"
                .into(),
        );
        None
    };
    if raw.is_empty() || raw.starts_with('-') || raw.chars().any(|c| c.is_control() || c == ' ') {
        return bad(ctx, "is not a repository URL");
    }
    if raw.contains("::") {
        return bad(ctx, "names a git remote helper; only URLs are fetched");
    }
    if let Some((scheme, _)) = raw.split_once("://") {
        return match scheme {
            "https" | "http" | "ssh" | "git" => Some(raw.to_string()),
            "file" => local_repo(ctx, n, raw, &raw["file://".len()..]),
            _ => bad(ctx, "uses a transport Cairn does not fetch"),
        };
    }
    // scp-like `user@host:path` (git's own rule: a colon before any slash).
    if let Some(colon) = raw.find(':') {
        if !raw[..colon].contains('/') {
            return Some(raw.to_string());
        }
    }
    local_repo(ctx, n, raw, raw)
}

/// A repository on this machine: named relative to the settings file, inside the catalog
/// directory (the fetch says so if it is not a repository).
fn local_repo<'a>(ctx: &mut Ctx<'a>, n: Node<'a>, raw: &str, path: &str) -> Option<String> {
    if std::path::Path::new(path).is_absolute() {
        ctx.error(
            "path-outside-catalog",
            n.pos,
            format!("`git: {raw}` is an absolute path"),
        )
        .hint = Some(
            "name a repository on this machine relative to the settings file, inside the catalog; others by their URL"
                .into(),
        );
        return None;
    }
    let rel = inside(ctx, n, path, "git")?;
    let root = ctx
        .root
        .canonicalize()
        .unwrap_or_else(|_| ctx.root.to_path_buf());
    Some(format!("file://{}", root.join(rel).display()))
}

/// `rel` exists and, once symlinks are followed, is outside `root`.
pub(crate) fn leaves_root(root: &std::path::Path, rel: &str) -> bool {
    match (root.join(rel).canonicalize(), root.canonicalize()) {
        (Ok(f), Ok(r)) => !f.starts_with(r),
        _ => false,
    }
}

fn scorecard<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Scorecard> {
    let o = ctx.obj(n, "scorecard", SCORECARD_FIELDS)?;
    let Some(ln) = o.get("levels") else {
        ctx.error("missing-field", o.pos(), "scorecard has no `levels`")
            .hint =
            Some("list the levels lowest first: `levels: [{ name: bronze, rules: [...] }]`".into());
        return None;
    };
    let items = ctx.list(ln, "levels");
    if items.is_empty() {
        ctx.error("missing-field", ln.pos, "scorecard has no levels")
            .hint = Some("list the levels lowest first, each with its rules".into());
        return None;
    }
    let mut out = Scorecard::default();
    let mut level_names: HashMap<String, Loc> = HashMap::new();
    let mut rule_ids: HashMap<String, Loc> = HashMap::new();
    for item in items {
        let Some(lo) = ctx.obj(item, "level", LEVEL_FIELDS) else {
            continue;
        };
        let Some(name_node) = lo.get("name") else {
            ctx.error("missing-field", lo.pos(), "level has no `name`")
                .hint = Some("e.g. `name: silver`".into());
            continue;
        };
        let Some(name) = ctx.string(name_node, "name") else {
            continue;
        };
        if !is_valid_name(&name) {
            ctx.error(
                "invalid-name",
                name_node.pos,
                format!("`{name}` is not a valid level name"),
            )
            .hint = Some("level names are lowercase letters, digits and `-`".into());
            continue;
        }
        let loc = ctx.loc(name_node.pos);
        if let Some(prev) = level_names.get(&name) {
            let hint = format!("first declared at line {}", prev.line);
            ctx.error(
                "duplicate-name",
                name_node.pos,
                format!("duplicate level name `{name}`"),
            )
            .hint = Some(hint);
            continue;
        }
        level_names.insert(name.clone(), loc);
        let mut level = Level {
            title: ctx
                .opt_string(&lo, "title")
                .unwrap_or_else(|| capitalise(&name)),
            description: ctx.opt_string(&lo, "description").unwrap_or_default(),
            name,
            rules: Vec::new(),
            loc,
        };
        if let Some(rn) = lo.get("rules") {
            for r in ctx.list(rn, "rules") {
                if let Some(rule) = rule(ctx, r) {
                    if let Some(prev) = rule_ids.get(&rule.id) {
                        let hint = format!(
                            "first declared at line {}; give one of them another `id`",
                            prev.line
                        );
                        ctx.error(
                            "duplicate-name",
                            Pos {
                                line: rule.loc.line,
                                col: rule.loc.col,
                            },
                            format!("duplicate rule id `{}`", rule.id),
                        )
                        .hint = Some(hint);
                        continue;
                    }
                    rule_ids.insert(rule.id.clone(), rule.loc);
                    level.rules.push(rule);
                }
            }
        }
        out.levels.push(level);
    }
    if out.levels.is_empty() {
        return None;
    }
    Some(out)
}

fn rule<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Rule> {
    let Value::Mapping(m) = n.v else {
        ctx.type_error(n, "rule", "a mapping such as `{ has: runbook }`");
        return None;
    };
    // Unknown keys get their own code: a misspelt check is the likely mistake.
    let allowed: Vec<&str> = RULE_META_FIELDS
        .iter()
        .chain(RULE_CHECKS)
        .copied()
        .collect();
    let keys: Vec<&str> = m.keys().filter_map(|k| k.as_str()).collect();
    let o = ctx.obj(n, "rule", &keys)?;
    let mut unknown = false;
    for (key, pos, _) in o.fields() {
        if !allowed.contains(key) {
            unknown = true;
            let hint = did_you_mean(key, allowed.iter().copied()).unwrap_or_else(|| {
                format!(
                    "a rule is one check ({}) with optional {}",
                    RULE_CHECKS.join(", "),
                    RULE_META_FIELDS.join(", ")
                )
            });
            ctx.error("unknown-rule", *pos, format!("unknown rule `{key}`"))
                .hint = Some(hint);
        }
    }
    let checks: Vec<(&str, Pos, Node<'a>)> = o
        .fields()
        .iter()
        .filter(|(k, ..)| RULE_CHECKS.contains(k))
        .copied()
        .collect();
    let (key, kpos, value) = match checks.as_slice() {
        [one] => *one,
        [] => {
            if !unknown {
                ctx.error("invalid-rule", o.pos(), "rule has no check").hint =
                    Some(format!("add one of: {}", RULE_CHECKS.join(", ")));
            }
            return None;
        }
        [_, second, ..] => {
            let names: Vec<&str> = checks.iter().map(|(k, ..)| *k).collect();
            ctx.error(
                "invalid-rule",
                second.1,
                format!("rule has {} checks ({})", names.len(), names.join(", ")),
            )
            .hint = Some("a rule checks one thing: split it into one rule per check".into());
            return None;
        }
    };
    let check = check(ctx, key, value)?;
    let id = match o.get("id") {
        Some(idn) => {
            let id = ctx.string(idn, "id")?;
            if !is_valid_name(&id) {
                ctx.error(
                    "invalid-name",
                    idn.pos,
                    format!("`{id}` is not a valid rule id"),
                )
                .hint = Some("rule ids are lowercase letters, digits and `-`".into());
                return None;
            }
            id
        }
        None => default_id(&check),
    };
    let when = match o.get("when") {
        Some(w) => selector(ctx, w)?,
        None => Selector::default(),
    };
    Some(Rule {
        id,
        title: ctx
            .opt_string(&o, "title")
            .unwrap_or_else(|| default_title(&check)),
        hint: ctx.opt_string(&o, "hint").unwrap_or_default(),
        check,
        when,
        loc: ctx.loc(kpos),
    })
}

fn names_list<'a>(ctx: &mut Ctx<'a>, key: &str, n: Node<'a>) -> Option<Vec<String>> {
    let items = ctx.list(n, key);
    let out: Vec<String> = items
        .into_iter()
        .filter_map(|i| ctx.string(i, key))
        .collect();
    if out.is_empty() {
        if matches!(n.v, Value::Sequence(_)) {
            ctx.error(
                "invalid-rule",
                n.pos,
                format!("`{key}` lists nothing to check"),
            )
            .hint = Some(format!("e.g. `{key}: [{}]`", example_for(key)));
        }
        return None;
    }
    Some(out)
}

fn example_for(key: &str) -> &'static str {
    match key {
        "ilities" => "reliability, scalability",
        "support" => "database, logs",
        "environments" => "staging",
        _ => "...",
    }
}

fn check<'a>(ctx: &mut Ctx<'a>, key: &str, n: Node<'a>) -> Option<Check> {
    match key {
        "has" => {
            let s = ctx.string(n, "has")?;
            match Fact::parse(&s) {
                Some(f) => Some(Check::Has(f)),
                None => {
                    let hint = did_you_mean(&s, Fact::ALL)
                        .unwrap_or_else(|| format!("one of: {}", Fact::ALL.join(", ")));
                    ctx.error(
                        "invalid-value",
                        n.pos,
                        format!("`has: {s}` is not something a system can have"),
                    )
                    .hint = Some(hint);
                    None
                }
            }
        }
        "ilities" => names_list(ctx, key, n).map(Check::Ilities),
        "support" => names_list(ctx, key, n).map(Check::Support),
        "environments" => names_list(ctx, key, n).map(Check::Environments),
        "rated" => {
            let m = ctx.free_obj(n, "rated")?;
            let mut out = Vec::new();
            for (k, _, v) in m.fields().to_vec() {
                if let Some(r) = ctx.integer(v, k, 1..=5) {
                    out.push((k.to_string(), r as u8));
                }
            }
            if out.is_empty() {
                ctx.error("invalid-rule", n.pos, "`rated` lists nothing to check")
                    .hint =
                    Some("e.g. `rated: { reliability: 3 }` (the lowest acceptable rating)".into());
                return None;
            }
            Some(Check::Rated(out))
        }
        "no_deprecated_consumption" | "apis_described" => match ctx.boolean(n, key)? {
            true if key == "apis_described" => Some(Check::ApisDescribed),
            true => Some(Check::NoDeprecatedConsumption),
            false => {
                ctx.error(
                    "invalid-value",
                    n.pos,
                    format!("`{key}: false` checks nothing"),
                )
                .hint = Some(format!("write `{key}: true`, or remove the rule"));
                None
            }
        },
        _ => None,
    }
}

fn selector<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Selector> {
    let o = ctx.obj(n, "when", SELECTOR_FIELDS)?;
    let mut s = Selector::default();
    if let Some(t) = o.get("tier") {
        for item in one_or_many(ctx, t, "tier") {
            if let Some(v) = ctx.integer(item, "tier", 1..=3) {
                s.tiers.push(v as u8);
            }
        }
    }
    if let Some(l) = o.get("lifecycle") {
        for item in one_or_many(ctx, l, "lifecycle") {
            let Some(v) = ctx.string(item, "lifecycle") else {
                continue;
            };
            match Lifecycle::parse(&v) {
                Some(lc) => s.lifecycles.push(lc),
                None => {
                    let hint = did_you_mean(&v, Lifecycle::ALL)
                        .unwrap_or_else(|| format!("one of: {}", Lifecycle::ALL.join(", ")));
                    ctx.error(
                        "invalid-value",
                        item.pos,
                        format!("unknown lifecycle `{v}`"),
                    )
                    .hint = Some(hint);
                }
            }
        }
    }
    if let Some(d) = o.get("domain") {
        for item in one_or_many(ctx, d, "domain") {
            if let Some(v) = ctx.spanned_string(item, "domain") {
                s.domains.push(v);
            }
        }
    }
    Some(s)
}

/// A single value or a list of them (`tier: 1` or `tier: [1, 2]`).
fn one_or_many<'a>(ctx: &mut Ctx<'a>, n: Node<'a>, what: &str) -> Vec<Node<'a>> {
    match n.v {
        Value::Sequence(_) => ctx.list(n, what),
        _ => vec![n],
    }
}

/// The id of a rule written without one: `runbook`, `ilities-reliability-scalability`, ...
pub fn default_id(c: &Check) -> String {
    let with = |prefix: &str, names: &[String]| {
        let s = crate::text::slug(&names.join(" "));
        if s.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}-{s}")
        }
    };
    match c {
        Check::Has(f) => f.as_str().to_string(),
        Check::Ilities(n) => with("ilities", n),
        Check::Rated(n) => with(
            "rated",
            &n.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        ),
        Check::Support(n) => with("support", n),
        Check::Environments(n) => with("environment", n),
        Check::NoDeprecatedConsumption => "no-deprecated-consumption".into(),
        Check::ApisDescribed => "apis-described".into(),
    }
}

/// The title of a rule written without one.
pub fn default_title(c: &Check) -> String {
    match c {
        Check::Has(f) => match f {
            Fact::Description => "Says what it does".into(),
            Fact::Owner => "Owned by a declared team".into(),
            Fact::Oncall => "Its owner has an on-call rotation".into(),
            Fact::Contacts => "Its owner can be reached (email or chat)".into(),
            Fact::Runbook => "Has a runbook".into(),
            Fact::Docs => "Has docs".into(),
            Fact::Repo => "Links its source repository".into(),
            Fact::Domain => "Belongs to a domain".into(),
            Fact::Tier => "Declares how essential it is (tier)".into(),
            Fact::Links => "Links its dashboards and trackers".into(),
        },
        Check::Ilities(n) => format!("Describes its {}", and_list(n)),
        Check::Rated(n) => format!(
            "Rated {}",
            n.iter()
                .map(|(k, r)| format!("{k} {r}/5 or better"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Check::Support(n) => format!("Gives its {} for first responders", and_list(n)),
        Check::Environments(n) if n.len() == 1 => format!("Has a {} environment", n[0]),
        Check::Environments(n) => format!("Has {} environments", and_list(n)),
        Check::NoDeprecatedConsumption => "Relies on no deprecated API or system".into(),
        Check::ApisDescribed => "Lists the endpoints of every API it provides".into(),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
