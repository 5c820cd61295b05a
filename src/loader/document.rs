//! One parsed YAML document → an [`Entity`]: decides which format the document is (an API
//! description beside the catalog files, skipped; a Backstage entity; a native `kind:`) and
//! hands it to that converter (`convert`, `backstage`, `settings`).

use std::sync::Arc;

use super::backstage;
use super::convert::{domain, system, team};
use super::node::{Ctx, Node};
use super::yaml::{Pos, SpanNode, Value};
use crate::diag::did_you_mean;
use crate::model::*;

/// An entity converted from one document.
#[derive(Clone)]
pub(crate) enum Entity {
    /// Shared between the parse cache and the catalogs built from it.
    System(Arc<System>),
    Team(Box<Team>),
    Domain(Domain),
    Settings(Box<Settings>),
    /// Mapped once every file is read (its relations may point into other files).
    Backstage(Box<backstage::BsEntity>),
}

/// The native kinds: what `kind:` may say.
pub const KINDS: &[&str] = &["system", "team", "domain", "settings"];

/// Position of the value of a top-level key, or the document start.
fn key_value_pos(root: Node, key: &str) -> Pos {
    match root.s {
        Some(SpanNode::Map(_, entries)) => entries
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(_, _, v)| v.pos())
            .unwrap_or(root.pos),
        _ => root.pos,
    }
}

/// Converts one document. Returns `None` (with diagnostics) when it cannot become an entity.
pub fn document<'a>(ctx: &mut Ctx<'a>, root: Node<'a>) -> Option<Entity> {
    if let Value::Mapping(m) = root.v {
        // API descriptions often live beside catalog files; they are read through `spec`, not as entities.
        if ["openapi", "swagger", "asyncapi"]
            .iter()
            .any(|k| m.contains_key(*k))
        {
            return None;
        }
        if super::backstage::is_backstage(m) {
            return super::backstage::entity(ctx, root).map(|e| Entity::Backstage(Box::new(e)));
        }
        if let Some(v) = m.get("apiVersion") {
            let pos = key_value_pos(root, "apiVersion");
            let shown = v.as_str().map(str::to_string).unwrap_or_else(|| {
                serde_yaml::to_string(v)
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            });
            ctx.error("unknown-api-version", pos, format!("`apiVersion: {shown}` is not a Backstage entity version")).hint =
                Some("Backstage entities use `apiVersion: backstage.io/v1alpha1`; native Cairn documents have no apiVersion".into());
            return None;
        }
        if !m.contains_key("kind") && !m.contains_key("name") {
            ctx.diags.push(
                crate::diag::Diagnostic::warning(
                    "not-a-catalog-document",
                    ctx.file_path,
                    root.pos.line,
                    root.pos.col,
                    "not a catalog document (no `kind`); skipped",
                )
                .with_hint(
                    "catalog documents start with `kind: system`, `kind: team` or `kind: domain`",
                ),
            );
            return None;
        }
    }
    let Value::Mapping(m) = root.v else {
        ctx.type_error(root, "a catalog document", "a mapping with a `kind`");
        return None;
    };
    let kind = match m.get("kind") {
        Some(Value::String(k)) => k.as_str(),
        Some(other) => {
            let pos = match root.s {
                Some(SpanNode::Map(_, entries)) => entries
                    .iter()
                    .find(|(k, ..)| k == "kind")
                    .map(|(_, _, v)| v.pos())
                    .unwrap_or(root.pos),
                _ => root.pos,
            };
            let shown = serde_yaml::to_string(other).unwrap_or_default();
            ctx.error(
                "unknown-kind",
                pos,
                format!("`kind` must be a string, found `{}`", shown.trim()),
            )
            .hint = Some(format!("one of: {}", KINDS.join(", ")));
            return None;
        }
        _ => {
            ctx.error("missing-field", root.pos, "document has no `kind`")
                .hint = Some(format!(
                "add `kind: system` (or one of: {})",
                KINDS.join(", ")
            ));
            return None;
        }
    };
    match kind {
        "system" => system(ctx, root).map(|s| Entity::System(std::sync::Arc::new(s))),
        "team" => team(ctx, root).map(|t| Entity::Team(Box::new(t))),
        "domain" => domain(ctx, root).map(Entity::Domain),
        "settings" => super::settings::settings(ctx, root).map(|s| Entity::Settings(Box::new(s))),
        other => {
            let o = ctx.obj(root, "document", &["kind"]);
            let p = o
                .map(|o| o.get("kind").map(|n| n.pos).unwrap_or(root.pos))
                .unwrap_or(root.pos);
            // `obj` above reported every other key as unknown; drop those, only the kind matters.
            ctx.diags
                .retain(|d| d.code != "unknown-field" || d.line < p.line);
            ctx.error("unknown-kind", p, format!("unknown kind `{other}`"))
                .hint = Some(
                did_you_mean(other, KINDS.iter().copied())
                    .unwrap_or_else(|| format!("one of: {}", KINDS.join(", "))),
            );
            None
        }
    }
}
