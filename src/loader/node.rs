//! The typed reader over parsed YAML that every converter shares: [`Node`] (a value with its
//! position), [`Obj`] (a mapping whose keys were checked against the allowed fields) and
//! [`Ctx`], the per-file state whose readers report each wrong type, unknown field and TODO
//! placeholder as a located diagnostic; plus [`join_inside`] for the paths a document names.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use super::yaml::{Pos, SpanNode, Value};
use crate::diag::{did_you_mean, Diagnostic};
use crate::model::*;

/// `true` for a placeholder left to fill in: exactly `TODO`, or text starting with `TODO:`.
/// Such a value is flagged (`todo-value`) and counts as absent.
pub fn is_todo(s: &str) -> bool {
    let t = s.trim();
    t == "TODO" || t.starts_with("TODO:")
}

/// `true` when the node is a TODO placeholder string.
pub(crate) fn is_todo_node(n: Node) -> bool {
    matches!(n.v, Value::String(s) if is_todo(s))
}

/// Per-file conversion state.
pub struct Ctx<'a> {
    pub file: FileId,
    pub file_path: &'a str,
    /// Directory of the file, relative to the catalog root (`""` at the root).
    pub dir: &'a str,
    pub root: &'a Path,
    pub diags: Vec<Diagnostic>,
    /// Endpoints read from OpenAPI documents, keyed by path relative to the root.
    pub spec_reader: &'a dyn Fn(&str) -> Result<Vec<Endpoint>, String>,
    /// Files (relative to the root) that Backstage `$text`/`$json`/`$yaml` substitutions named,
    /// read or not: an incremental load re-parses this file when one of them changes.
    pub substituted: Vec<String>,
    /// The largest file a substitution may read (`--max-file-size`).
    pub max_file_size: u64,
}

/// A value together with its span (if known) and a fallback position.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub v: &'a Value,
    pub s: Option<&'a SpanNode>,
    pub pos: Pos,
}

impl<'a> Node<'a> {
    pub fn new(v: &'a Value, s: Option<&'a SpanNode>, fallback: Pos) -> Node<'a> {
        Node {
            v,
            s,
            pos: s.map(|s| s.pos()).unwrap_or(fallback),
        }
    }

    fn type_name(&self) -> &'static str {
        match self.v {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
            Value::Tagged(_) => "a tagged value",
        }
    }
}

/// A mapping whose keys have been checked against the allowed field names.
pub struct Obj<'a> {
    pub node: Node<'a>,
    pub(super) fields: Vec<(&'a str, Pos, Node<'a>)>,
}

impl<'a> Obj<'a> {
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.fields
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, _, n)| *n)
            .filter(|n| !n.v.is_null())
    }

    pub fn key_pos(&self, key: &str) -> Pos {
        self.fields
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, p, _)| *p)
            .unwrap_or(self.node.pos)
    }

    pub fn pos(&self) -> Pos {
        self.node.pos
    }

    /// The accepted keys, with the key's position and the value, in document order.
    pub fn fields(&self) -> &[(&'a str, Pos, Node<'a>)] {
        &self.fields
    }
}

impl<'a> Ctx<'a> {
    pub fn loc(&self, p: Pos) -> Loc {
        Loc {
            file: self.file,
            line: p.line,
            col: p.col,
        }
    }

    pub fn error(&mut self, code: &'static str, p: Pos, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(code, self.file_path, p.line, p.col, msg));
        self.diags.last_mut().expect("just pushed")
    }

    pub(crate) fn type_error(&mut self, n: Node, what: &str, expected: &str) {
        let got = n.type_name();
        self.error(
            "wrong-type",
            n.pos,
            format!("`{what}` must be {expected}, found {got}"),
        );
    }

    /// Checks that `n` is a mapping with only `allowed` keys.
    pub fn obj(&mut self, n: Node<'a>, what: &str, allowed: &[&str]) -> Option<Obj<'a>> {
        let Value::Mapping(m) = n.v else {
            self.type_error(n, what, "a mapping");
            return None;
        };
        let span_entries = match n.s {
            Some(SpanNode::Map(_, e)) if e.len() == m.len() => Some(e),
            _ => None,
        };
        let mut fields = Vec::with_capacity(m.len());
        for (i, (k, v)) in m.iter().enumerate() {
            let (kpos, vspan) = match span_entries {
                Some(e) => (e[i].1, Some(&e[i].2)),
                None => (n.pos, None),
            };
            let Some(key) = k.as_str() else {
                self.error(
                    "wrong-type",
                    kpos,
                    format!("keys of `{what}` must be strings"),
                );
                continue;
            };
            if !allowed.contains(&key) {
                let hint = did_you_mean(key, allowed.iter().copied());
                self.error(
                    "unknown-field",
                    kpos,
                    format!("unknown field `{key}` in {what}"),
                )
                .hint = hint.or_else(|| Some(format!("allowed fields: {}", allowed.join(", "))));
                continue;
            }
            fields.push((key, kpos, Node::new(v, vspan, kpos)));
        }
        Some(Obj { node: n, fields })
    }

    /// Any scalar as text (`version: 9.2` is the string "9.2"); lists and maps are errors.
    /// A TODO placeholder is flagged with a warning and read as absent.
    pub fn string(&mut self, n: Node, what: &str) -> Option<String> {
        match n.v {
            Value::String(s) if is_todo(s) => {
                self.diags.push(
                    Diagnostic::warning(
                        "todo-value",
                        self.file_path,
                        n.pos.line,
                        n.pos.col,
                        format!("`{what}` is still a TODO"),
                    )
                    .with_hint("fill it in, or delete the line; until then it counts as absent"),
                );
                None
            }
            Value::String(s) => Some(s.clone()),
            Value::Number(x) => Some(x.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
            _ => {
                self.type_error(n, what, "a string");
                None
            }
        }
    }

    pub fn opt_string(&mut self, o: &Obj<'a>, key: &str) -> Option<String> {
        o.get(key).and_then(|n| self.string(n, key))
    }

    pub fn spanned_string(&mut self, n: Node, what: &str) -> Option<Spanned<String>> {
        let pos = n.pos;
        self.string(n, what).map(|s| Spanned::new(s, self.loc(pos)))
    }

    pub fn list(&mut self, n: Node<'a>, what: &str) -> Vec<Node<'a>> {
        let Value::Sequence(items) = n.v else {
            self.type_error(n, what, "a list");
            if matches!(n.v, Value::String(_)) {
                self.diags.last_mut().expect("pushed").hint = Some(format!(
                    "write a list: `{what}: [{}]`",
                    n.v.as_str().unwrap_or("")
                ));
            }
            return Vec::new();
        };
        let spans = match n.s {
            Some(SpanNode::Seq(_, s)) if s.len() == items.len() => Some(s),
            _ => None,
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| Node::new(v, spans.map(|s| &s[i]), n.pos))
            .collect()
    }

    pub fn string_list(&mut self, o: &Obj<'a>, key: &str) -> Vec<Spanned<String>> {
        let Some(n) = o.get(key) else {
            return Vec::new();
        };
        let items = self.list(n, key);
        items
            .into_iter()
            .filter_map(|i| self.spanned_string(i, key))
            .collect()
    }

    pub fn string_map(&mut self, o: &Obj<'a>, key: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(n) = o.get(key) else { return out };
        let Some(m) = self.free_obj(n, key) else {
            return out;
        };
        for (k, _, v) in m.fields {
            if let Some(s) = self.string(v, k) {
                out.insert(k.to_string(), s);
            }
        }
        out
    }

    /// A mapping with free keys.
    pub(crate) fn free_obj(&mut self, n: Node<'a>, what: &str) -> Option<Obj<'a>> {
        let Value::Mapping(m) = n.v else {
            self.type_error(n, what, "a mapping");
            return None;
        };
        let keys: Vec<&str> = m.keys().filter_map(|k| k.as_str()).collect();
        self.obj(n, what, &keys)
    }

    pub(crate) fn integer(
        &mut self,
        n: Node,
        what: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        if is_todo_node(n) {
            return self.string(n, what).and(None);
        }
        let v = match n.v {
            Value::Number(x) => x.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        match v {
            Some(v) if range.contains(&v) => Some(v),
            _ => {
                self.error(
                    "wrong-type",
                    n.pos,
                    format!(
                        "`{what}` must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, n: Node, what: &str) -> Option<bool> {
        match n.v {
            Value::Bool(b) => Some(*b),
            _ => {
                self.type_error(n, what, "true or false");
                None
            }
        }
    }
    /// Resolves a path relative to this file into a path relative to the catalog root,
    /// checking it stays inside the catalog and exists.
    pub fn doc_path(&mut self, n: Node, what: &str) -> Option<Spanned<String>> {
        let raw = self.string(n, what)?;
        if has_scheme(&raw) {
            self.error(
                "invalid-value",
                n.pos,
                format!("{what} `{raw}` is neither a path nor an http(s) URL"),
            )
            .hint = Some(
                "use a path relative to this file, or an https:// link where URLs are allowed"
                    .into(),
            );
            return None;
        }
        let rel = match join_inside(self.dir, &raw) {
            Ok(p) => p,
            Err(msg) => {
                self.error("path-outside-catalog", n.pos, format!("`{raw}` {msg}"))
                    .hint = Some("paths are relative to the file that names them and must stay inside the catalog".into());
                return None;
            }
        };
        let full = self.root.join(&rel);
        match (full.canonicalize(), self.root.canonicalize()) {
            (Ok(f), Ok(r)) if !f.starts_with(&r) => {
                self.error(
                    "path-outside-catalog",
                    n.pos,
                    format!("`{raw}` is a symlink that leaves the catalog"),
                );
                return None;
            }
            (Ok(f), _) if f.is_file() => {}
            (Ok(_), _) => {
                self.error(
                    "missing-file",
                    n.pos,
                    format!("{what} `{raw}` is not a file"),
                );
            }
            (Err(_), _) => {
                self.error(
                    "missing-file",
                    n.pos,
                    format!("{what} `{raw}` does not exist"),
                )
                .hint = Some(format!("looked for `{rel}` in the catalog"));
            }
        }
        Some(Spanned::new(rel, self.loc(n.pos)))
    }
}

/// `true` for `scheme:...` (a URL, `javascript:`, `data:`), which is never a catalog path.
fn has_scheme(raw: &str) -> bool {
    match raw.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Joins `raw` to `dir` lexically; errors when the result is absolute or leaves the root.
pub fn join_inside(dir: &str, raw: &str) -> Result<String, &'static str> {
    let p = Path::new(raw);
    if p.is_absolute() || raw.starts_with('/') || raw.starts_with('\\') {
        return Err("is an absolute path");
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().ok_or("is not valid UTF-8")?),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err("leaves the catalog directory");
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err("is an absolute path"),
        }
    }
    if parts.is_empty() {
        return Err("names the catalog directory itself, not a file");
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(
            join_inside("systems/bodhi", "README.md"),
            Ok("systems/bodhi/README.md".into())
        );
        assert_eq!(
            join_inside("systems/bodhi", "../x/./a.md"),
            Ok("systems/x/a.md".into())
        );
        assert_eq!(join_inside("", "a.md"), Ok("a.md".into()));
        assert!(join_inside("systems", "../../etc/passwd").is_err());
        assert!(join_inside("", "/etc/passwd").is_err());
        assert!(join_inside("a", "..").is_err());
    }
}
