//! Backstage `catalog-info.yaml` documents (`apiVersion: backstage.io/v1alpha1|v1beta1`) loaded
//! beside native ones, mapped per docs/backstage.md.
//!
//! Two phases. Per file (in parallel, with spans), here: each document becomes a [`BsEntity`]
//! holding its references as located [`EntityRef`]s, with `$text`/`$json`/`$yaml` substitutions
//! resolved and API definitions read into endpoints. Then, once every file is read,
//! `backstage_resolve.rs` maps the entities onto native systems, teams and domains — an API
//! belongs to the components that `providesApis` it, which may be declared in another file.
//! References that resolve nowhere keep their text and location, so `validate` reports them at
//! the line that wrote them.

use std::collections::BTreeMap;

use super::node::{join_inside, Ctx, Node};
use super::yaml::{SpanNode, Value};
use crate::diag::{did_you_mean, Diagnostic};
use crate::model::*;

/// A reference to another entity: `name`, `kind:name`, `kind:namespace/name` or a mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityRef {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: String,
}

impl EntityRef {
    pub fn parse(s: &str) -> Option<EntityRef> {
        let s = s.trim();
        let (kind, rest) = match s.split_once(':') {
            Some((k, r)) if !k.contains('/') => (Some(k.trim().to_ascii_lowercase()), r),
            _ => (None, s),
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, n)) => (Some(ns.trim().to_ascii_lowercase()), n.trim()),
            None => (None, rest.trim()),
        };
        if name.is_empty() {
            return None;
        }
        Some(EntityRef {
            kind,
            namespace,
            name: name.to_string(),
        })
    }

    /// `kind:namespace/name` with defaults filled in, lower-cased: the key entities are indexed by.
    pub fn key(&self, default_kind: &str) -> String {
        format!(
            "{}:{}/{}",
            self.kind.as_deref().unwrap_or(default_kind),
            self.namespace.as_deref().unwrap_or("default"),
            self.name.to_ascii_lowercase()
        )
    }
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(k) = &self.kind {
            write!(f, "{k}:")?;
        }
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)
    }
}

/// One Backstage entity after the per-file phase.
#[derive(Clone, Debug, Default)]
pub struct BsEntity {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub name_loc: Loc,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
    pub annotations: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    pub owner: Option<Spanned<EntityRef>>,
    pub system: Option<Spanned<EntityRef>>,
    pub domain: Option<Spanned<EntityRef>>,
    pub provides_apis: Vec<Spanned<EntityRef>>,
    pub consumes_apis: Vec<Spanned<EntityRef>>,
    pub depends_on: Vec<Spanned<EntityRef>>,
    pub dependency_of: Vec<Spanned<EntityRef>>,
    pub subcomponent_of: Option<Spanned<EntityRef>>,
    pub members: Vec<Spanned<EntityRef>>,
    pub member_of: Vec<Spanned<EntityRef>>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// Endpoints read from an OpenAPI/AsyncAPI `definition`.
    pub endpoints: Vec<Endpoint>,
    /// `cairn/runbook` when it names a file: relative to the catalog root, checked to exist
    /// inside it (the same rule as a native file's `runbook:`).
    pub runbook_path: Option<Spanned<String>>,
    /// `cairn/tier` when it is 1, 2 or 3 (anything else is a warning at its line).
    pub tier: Option<u8>,
    pub loc: Loc,
}

impl BsEntity {
    pub fn key(&self) -> String {
        format!(
            "{}:{}/{}",
            self.kind,
            self.namespace,
            self.name.to_ascii_lowercase()
        )
    }
}

/// `true` for a document that is a Backstage entity.
pub fn is_backstage(m: &serde_yaml::Mapping) -> bool {
    m.get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("backstage.io/"))
}

const KINDS: &[&str] = &[
    "component",
    "resource",
    "api",
    "group",
    "user",
    "system",
    "domain",
    "location",
    "template",
];

fn field<'a>(n: Node<'a>, key: &str) -> Option<Node<'a>> {
    let Value::Mapping(m) = n.v else { return None };
    let idx = m.keys().position(|k| k.as_str() == Some(key))?;
    let v = m.get(key)?;
    let span = match n.s {
        Some(SpanNode::Map(_, e)) if e.len() == m.len() => Some(&e[idx].2),
        _ => None,
    };
    let node = Node::new(v, span, n.pos);
    (!v.is_null()).then_some(node)
}

fn text(n: Option<Node>) -> Option<String> {
    match n?.v {
        Value::String(s) => Some(s.clone()),
        Value::Number(x) => Some(x.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn items<'a>(ctx: &mut Ctx<'a>, n: Option<Node<'a>>, what: &str) -> Vec<Node<'a>> {
    match n {
        None => Vec::new(),
        // A single reference where a list is expected: accept it, as Backstage does.
        Some(one) if !matches!(one.v, Value::Sequence(_)) => vec![one],
        Some(list) => ctx.list(list, what),
    }
}

fn entity_ref<'a>(ctx: &mut Ctx<'a>, n: Node<'a>, what: &str) -> Option<Spanned<EntityRef>> {
    let r = match n.v {
        Value::String(s) => EntityRef::parse(s),
        Value::Mapping(_) => {
            let name = text(field(n, "name"));
            name.map(|name| EntityRef {
                kind: text(field(n, "kind")).map(|k| k.to_ascii_lowercase()),
                namespace: text(field(n, "namespace")).map(|k| k.to_ascii_lowercase()),
                name,
            })
        }
        _ => None,
    };
    match r {
        Some(r) => Some(Spanned::new(r, ctx.loc(n.pos))),
        None => {
            ctx.error(
                "invalid-reference",
                n.pos,
                format!("`{what}` is not an entity reference"),
            )
            .hint = Some(
                "write `name`, `kind:name`, `kind:namespace/name` or {kind, namespace, name}"
                    .into(),
            );
            None
        }
    }
}

fn refs<'a>(ctx: &mut Ctx<'a>, n: Option<Node<'a>>, what: &str) -> Vec<Spanned<EntityRef>> {
    items(ctx, n, what)
        .into_iter()
        .filter_map(|i| entity_ref(ctx, i, what))
        .collect()
}

fn string_map(n: Option<Node>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Mapping(m)) = n.map(|n| n.v) {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (
                k.as_str(),
                text(Some(Node::new(v, None, Default::default()))),
            ) {
                out.insert(k.to_string(), v);
            }
        }
    }
    out
}

/// Phase one: one document → entity. `None` (with diagnostics) when it is not usable.
pub fn entity<'a>(ctx: &mut Ctx<'a>, root: Node<'a>) -> Option<BsEntity> {
    let kind_node = field(root, "kind");
    let Some(kind) = text(kind_node).map(|k| k.to_ascii_lowercase()) else {
        ctx.error("missing-field", root.pos, "Backstage entity has no `kind`");
        return None;
    };
    if !KINDS.contains(&kind.as_str()) {
        let p = kind_node.map(|n| n.pos).unwrap_or(root.pos);
        // Plugins add kinds of their own; they describe nothing Cairn maps, so say so and go on.
        let hint = did_you_mean(&kind, KINDS.iter().copied())
            .unwrap_or_else(|| format!("Cairn maps the kinds {}", KINDS.join(", ")));
        ctx.diags.push(
            Diagnostic::warning(
                "unknown-kind",
                ctx.file_path,
                p.line,
                p.col,
                format!("Backstage kind `{kind}` is not mapped; skipped"),
            )
            .with_hint(hint),
        );
        return None;
    }
    if kind == "template" {
        return None; // scaffolder templates describe no running system
    }
    let Some(meta) = field(root, "metadata") else {
        ctx.error(
            "missing-field",
            root.pos,
            format!("Backstage {kind} has no `metadata`"),
        );
        return None;
    };
    let name_node = field(meta, "name");
    let Some(name) = text(name_node) else {
        ctx.error(
            "missing-field",
            meta.pos,
            format!("Backstage {kind} has no `metadata.name`"),
        );
        return None;
    };
    let name_pos = name_node.map(|n| n.pos).unwrap_or(meta.pos);
    let mut e = BsEntity {
        namespace: text(field(meta, "namespace"))
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_else(|| "default".into()),
        name_loc: ctx.loc(name_pos),
        title: text(field(meta, "title")).unwrap_or_default(),
        description: text(field(meta, "description"))
            .unwrap_or_default()
            .trim()
            .to_string(),
        annotations: string_map(field(meta, "annotations")),
        labels: string_map(field(meta, "labels")),
        loc: ctx.loc(root.pos),
        kind: kind.clone(),
        name,
        ..Default::default()
    };
    cairn_annotations(ctx, &mut e, field(meta, "annotations"));
    for t in items(ctx, field(meta, "tags"), "tags") {
        if let Some(t) = text(Some(t)) {
            e.tags.push(t);
        }
    }
    for l in items(ctx, field(meta, "links"), "links") {
        if let Some(url) = text(field(l, "url")) {
            let title = text(field(l, "title")).unwrap_or_else(|| url.clone());
            e.links.push(Link {
                title,
                url,
                kind: text(field(l, "type")).or_else(|| text(field(l, "icon"))),
            });
        }
    }
    let spec = field(root, "spec");
    if let Some(spec) = spec {
        e.spec_type = text(field(spec, "type"));
        e.lifecycle = text(field(spec, "lifecycle"));
        e.owner = field(spec, "owner").and_then(|n| entity_ref(ctx, n, "owner"));
        e.system = field(spec, "system").and_then(|n| entity_ref(ctx, n, "system"));
        e.domain = field(spec, "domain").and_then(|n| entity_ref(ctx, n, "domain"));
        e.provides_apis = refs(ctx, field(spec, "providesApis"), "providesApis");
        e.consumes_apis = refs(ctx, field(spec, "consumesApis"), "consumesApis");
        e.depends_on = refs(ctx, field(spec, "dependsOn"), "dependsOn");
        e.dependency_of = refs(ctx, field(spec, "dependencyOf"), "dependencyOf");
        e.subcomponent_of =
            field(spec, "subcomponentOf").and_then(|n| entity_ref(ctx, n, "subcomponentOf"));
        e.members = refs(ctx, field(spec, "members"), "members");
        e.member_of = refs(ctx, field(spec, "memberOf"), "memberOf");
        if let Some(p) = field(spec, "profile") {
            e.email = text(field(p, "email"));
            e.display_name = text(field(p, "displayName"));
        }
        if kind == "api" {
            if let Some(def) = field(spec, "definition") {
                definition(ctx, &mut e, def);
            }
        }
        if kind == "location" {
            let mut targets = items(ctx, field(spec, "targets"), "targets");
            targets.extend(field(spec, "target"));
            for t in targets {
                location_target(ctx, t);
            }
        }
    }
    Some(e)
}

/// Checks the Cairn annotations that need the file or a line: `cairn/runbook` naming a file
/// (resolved like a native `runbook:`, inside the catalog and existing) and `cairn/tier`.
/// The rest (`cairn/support-*`, a runbook URL) is read from `annotations` when resolving.
fn cairn_annotations<'a>(ctx: &mut Ctx<'a>, e: &mut BsEntity, annotations: Option<Node<'a>>) {
    let Some(annotations) = annotations else {
        return;
    };
    if let Some(n) = field(annotations, "cairn/runbook") {
        let raw = text(Some(n)).unwrap_or_default();
        if !(raw.starts_with("https://") || raw.starts_with("http://")) {
            e.runbook_path = ctx.doc_path(n, "cairn/runbook");
        }
    }
    if let Some(n) = field(annotations, "cairn/tier") {
        let raw = text(Some(n)).unwrap_or_default();
        match raw.trim().parse::<u8>() {
            Ok(t @ 1..=3) => e.tier = Some(t),
            _ => {
                let d = Diagnostic::warning(
                    "invalid-annotation",
                    ctx.file_path,
                    n.pos.line,
                    n.pos.col,
                    format!(
                        "annotation `cairn/tier: {}` is not a tier (1, 2 or 3); left out",
                        raw.trim()
                    ),
                )
                .with_hint("see docs/backstage.md, \"Cairn's annotations\"");
                ctx.diags.push(d);
            }
        }
    }
}

/// Reads an API `definition`: inline text, or a `$text`/`$json`/`$yaml` substitution.
fn definition<'a>(ctx: &mut Ctx<'a>, e: &mut BsEntity, def: Node<'a>) {
    let content = match def.v {
        Value::String(s) => Some(s.clone()),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            let key = k.as_str().unwrap_or("");
            let target = v.as_str().unwrap_or("").trim();
            if !matches!(key, "$text" | "$json" | "$yaml") {
                None
            } else if target.starts_with("http://") || target.starts_with("https://") {
                // Never fetched: kept as a link so people can follow it.
                e.links.push(Link {
                    title: "API definition".into(),
                    url: target.to_string(),
                    kind: Some("api-definition".into()),
                });
                None
            } else {
                let raw = target.strip_prefix("file:").unwrap_or(target);
                match join_inside(ctx.dir, raw) {
                    Err(msg) => {
                        ctx.error(
                            "path-outside-catalog",
                            def.pos,
                            format!("{key} `{raw}` {msg}"),
                        );
                        None
                    }
                    Ok(rel) => {
                        let read = read_inside(ctx, &rel);
                        ctx.substituted.push(rel);
                        match read {
                            Ok(t) => Some(t),
                            Err((code, msg)) => {
                                ctx.error(code, def.pos, format!("{key} `{raw}`: {msg}"));
                                None
                            }
                        }
                    }
                }
            }
        }
        Value::Mapping(_) => serde_yaml::to_string(def.v).ok(),
        _ => None,
    };
    let Some(content) = content else { return };
    let spec_type = e.spec_type.as_deref().unwrap_or("");
    if spec_type == "openapi" || content.contains("openapi:") || content.contains("\"openapi\"") {
        match super::openapi::endpoints_without_lines(&content) {
            Ok(eps) => e.endpoints = eps,
            Err(msg) => {
                ctx.error(
                    "invalid-spec",
                    def.pos,
                    format!("cannot read the OpenAPI definition of `{}`: {msg}", e.name),
                );
            }
        }
    } else if spec_type == "asyncapi" || content.contains("asyncapi:") {
        e.endpoints = super::openapi::asyncapi_channels(&content);
    }
}

/// Reads a file named by a substitution: inside the catalog, under the size limit. An error is
/// its diagnostic code and message.
fn read_inside(ctx: &Ctx, rel: &str) -> Result<String, (&'static str, String)> {
    let missing = |m: String| ("missing-file", m);
    let full = ctx.root.join(rel);
    let root = ctx
        .root
        .canonicalize()
        .map_err(|e| missing(e.to_string()))?;
    let canon = full
        .canonicalize()
        .map_err(|_| missing("does not exist".into()))?;
    if !canon.starts_with(&root) {
        return Err(missing("is a symlink that leaves the catalog".into()));
    }
    let bytes = super::read::read_regular(&canon, ctx.max_file_size).map_err(|e| match e {
        super::read::ReadError::TooLarge { size, limit } => (
            "file-too-large",
            match size {
                Some(s) => format!("is {s} bytes, over the {limit} byte limit (--max-file-size)"),
                None => format!("is over the {limit} byte limit (--max-file-size)"),
            },
        ),
        e => missing(e.to_string()),
    })?;
    String::from_utf8(bytes).map_err(|_| missing("is not valid UTF-8".into()))
}

fn location_target<'a>(ctx: &mut Ctx<'a>, t: Node<'a>) {
    let Some(raw) = text(Some(t)) else { return };
    let raw = raw.trim();
    if raw.starts_with("http://") || raw.starts_with("https://") || raw.starts_with("url:") {
        return; // remote locations are not fetched
    }
    let path = raw.strip_prefix("file:").unwrap_or(raw);
    let rel = match join_inside(ctx.dir, path) {
        Ok(r) => r,
        Err(msg) => {
            ctx.error(
                "path-outside-catalog",
                t.pos,
                format!("Location target `{raw}` {msg}"),
            );
            return;
        }
    };
    if rel.contains(['*', '?', '[']) {
        // A glob (`./**/*.yaml`, `components/*.yaml`): the directory it starts from must exist,
        // that is the part before the first component with a wildcard.
        let dir = rel
            .split('/')
            .take_while(|c| !c.contains(['*', '?', '[']))
            .collect::<Vec<_>>()
            .join("/");
        if !ctx.root.join(&dir).is_dir() {
            ctx.error(
                "missing-file",
                t.pos,
                format!("Location target `{raw}`: directory `{dir}` does not exist"),
            );
        }
        return;
    }
    if !ctx.root.join(&rel).is_file() {
        ctx.error(
            "missing-file",
            t.pos,
            format!("Location target `{raw}` does not exist"),
        )
        .hint = Some(format!("looked for `{rel}` in the catalog"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_in_all_forms() {
        let r = EntityRef::parse("component:default/pkgdb").unwrap();
        assert_eq!(
            (r.kind.as_deref(), r.namespace.as_deref(), r.name.as_str()),
            (Some("component"), Some("default"), "pkgdb")
        );
        assert_eq!(
            EntityRef::parse("api:pkgdb-api").unwrap().key("component"),
            "api:default/pkgdb-api"
        );
        assert_eq!(
            EntityRef::parse("team-a").unwrap().key("group"),
            "group:default/team-a"
        );
        assert_eq!(
            EntityRef::parse("ops/team-a").unwrap().key("group"),
            "group:ops/team-a"
        );
        assert_eq!(
            EntityRef::parse("User:Guest").unwrap().key("group"),
            "user:default/guest"
        );
        assert!(EntityRef::parse("component:").is_none());
    }
}
