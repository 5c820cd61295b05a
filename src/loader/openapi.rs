//! OpenAPI 3.0 / 3.1 documents (YAML or JSON) → endpoints with their contracts.
//!
//! Each operation under `paths` becomes `METHOD /path` with its operationId, summary and
//! deprecated flag, plus an [`OperationContract`] — parameters, request body and response
//! schemas, with `$ref`s inside the document resolved and `allOf` merged — that `cairn diff`
//! compares. The document is parsed with the same hardened YAML entry point as catalog files
//! (JSON is YAML), so hostile specs get the same protections; schema reading is bounded in depth
//! and in total nodes, and `$ref`s to other files are never followed (no file access here).

use super::yaml::{parse_documents, parse_values, Document, SpanNode, SyntaxError, Value};
use crate::model::{Endpoint, OperationContract, Parameter, RequestBody, Response, Schema};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Reads the operations of an OpenAPI document's text, each contract part with its line.
pub fn endpoints(text: &str) -> Result<Vec<Endpoint>, String> {
    endpoints_of(parse_documents(text))
}

/// [`endpoints`] without the lines of the contracts' parts (each is the document's first):
/// for definitions whose lines are never shown (a Backstage API's, which has no spec file to
/// point into), at half the parsing.
pub fn endpoints_without_lines(text: &str) -> Result<Vec<Endpoint>, String> {
    endpoints_of(parse_values(text))
}

fn endpoints_of(parsed: Result<Vec<Document>, SyntaxError>) -> Result<Vec<Endpoint>, String> {
    let docs =
        parsed.map_err(|e| format!("{} at line {} column {}", e.message, e.pos.line, e.pos.col))?;
    let Some(doc) = docs.first() else {
        return Err("the document is empty".into());
    };
    let Value::Mapping(root) = &doc.value else {
        return Err("the document is not a mapping".into());
    };
    let version = root.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !(version.starts_with("3.")) {
        return Err(match root.get("swagger") {
            Some(_) => "Swagger 2.0 documents are not supported; convert to OpenAPI 3".into(),
            None => "not an OpenAPI 3 document (no `openapi: 3.x` field)".into(),
        });
    }
    let mut out = Vec::new();
    let doc_node = N::new(&doc.value, doc.spans.as_ref(), doc.start.line);
    let Some(paths) = doc_node.get("paths") else {
        return Ok(out);
    };
    let mut reader = Reader {
        root: doc_node,
        budget: MAX_SCHEMA_NODES,
    };
    for (path, item) in paths.entries() {
        let Some(item) = reader.deref(item) else {
            continue;
        };
        if !matches!(item.v, Value::Mapping(_)) {
            continue;
        }
        let shared = item.get("parameters");
        for (method, op) in item.entries() {
            if !METHODS.contains(&method) {
                continue;
            }
            let field = |k: &str| op.get(k).and_then(|n| n.v.as_str()).map(str::to_string);
            let deprecated = op
                .get("deprecated")
                .and_then(|n| n.v.as_bool())
                .unwrap_or(false);
            let contract = reader.operation(op, shared);
            out.push(Endpoint {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
                operation_id: field("operationId"),
                summary: field("summary"),
                deprecated,
                loc: Default::default(),
                contract: Some(Box::new(contract)),
            });
        }
    }
    Ok(out)
}

/// Schema nodes read per document at most (`$ref`s are expanded where used): a recursive or
/// hostile schema stops here and is left `known: false` (not compared) rather than expanding
/// exponentially. Generous for real specs, a few megabytes at worst.
const MAX_SCHEMA_NODES: usize = 100_000;
/// Nesting of schemas (properties, items, allOf) and `$ref` chains followed at most.
const MAX_SCHEMA_DEPTH: u32 = 24;
const MAX_REF_HOPS: u32 = 16;

/// A value with its span, walked together; `line` falls back to the parent's when the span tree
/// disagrees with the value tree (aliases).
#[derive(Clone, Copy)]
struct N<'a> {
    v: &'a Value,
    s: Option<&'a SpanNode>,
    line: u32,
}

impl<'a> N<'a> {
    fn new(v: &'a Value, s: Option<&'a SpanNode>, fallback: u32) -> N<'a> {
        let line = s
            .map(|s| s.pos().line)
            .filter(|l| *l > 0)
            .unwrap_or(fallback);
        N { v, s, line }
    }

    fn entries(self) -> Vec<(&'a str, N<'a>)> {
        let Value::Mapping(m) = self.v else {
            return Vec::new();
        };
        let spans = match self.s {
            Some(SpanNode::Map(_, e)) if e.len() == m.len() => Some(e),
            _ => None,
        };
        m.iter()
            .enumerate()
            .filter_map(|(i, (k, v))| {
                let k = k.as_str()?;
                let line = spans.map(|e| e[i].1.line).unwrap_or(self.line);
                Some((k, N::new(v, spans.map(|e| &e[i].2), line)))
            })
            .collect()
    }

    fn get(self, key: &str) -> Option<N<'a>> {
        let Value::Mapping(m) = self.v else {
            return None;
        };
        let (i, v) = m
            .values()
            .enumerate()
            .zip(m.keys())
            .find(|(_, k)| k.as_str() == Some(key))
            .map(|(iv, _)| iv)?;
        if v.is_null() {
            return None;
        }
        let span = match self.s {
            Some(SpanNode::Map(_, e)) if e.len() == m.len() => Some(&e[i]),
            _ => None,
        };
        let line = span.map(|e| e.1.line).unwrap_or(self.line);
        Some(N::new(v, span.map(|e| &e.2), line))
    }

    fn items(self) -> Vec<N<'a>> {
        let Value::Sequence(items) = self.v else {
            return Vec::new();
        };
        let spans = match self.s {
            Some(SpanNode::Seq(_, s)) if s.len() == items.len() => Some(s),
            _ => None,
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| N::new(v, spans.map(|s| &s[i]), self.line))
            .collect()
    }

    fn str(self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(|n| n.v.as_str())
    }

    fn flag(self, key: &str) -> bool {
        self.get(key).and_then(|n| n.v.as_bool()).unwrap_or(false)
    }
}

struct Reader<'a> {
    root: N<'a>,
    budget: usize,
}

impl<'a> Reader<'a> {
    /// Follows `$ref: '#/...'` inside the document; `None` for references it cannot follow
    /// (another file, a missing target, a chain too long).
    fn deref(&self, mut n: N<'a>) -> Option<N<'a>> {
        for _ in 0..MAX_REF_HOPS {
            let Some(r) = n.str("$ref") else {
                return Some(n);
            };
            let pointer = r.strip_prefix("#/")?;
            let mut cur = self.root;
            for part in pointer.split('/') {
                let part = part.replace("~1", "/").replace("~0", "~");
                cur = match cur.v {
                    Value::Sequence(_) => cur.items().get(part.parse::<usize>().ok()?).copied()?,
                    _ => cur.get(&part)?,
                };
            }
            n = cur;
        }
        None
    }

    fn operation(&mut self, op: N<'a>, shared: Option<N<'a>>) -> OperationContract {
        let mut parameters: Vec<Parameter> = Vec::new();
        for list in [shared, op.get("parameters")].into_iter().flatten() {
            for p in list.items() {
                let Some(p) = self.parameter(p) else { continue };
                // Operation-level parameters override path-level ones with the same name and place.
                parameters.retain(|q| !(q.name == p.name && q.location == p.location));
                parameters.push(p);
            }
        }
        let request_body = op.get("requestBody").and_then(|b| {
            let line = b.line;
            let b = self.deref(b)?;
            Some(RequestBody {
                required: b.flag("required"),
                schema: b.get("content").and_then(|c| self.content(c)),
                line,
            })
        });
        let mut responses = Vec::new();
        if let Some(rs) = op.get("responses") {
            for (status, r) in rs.entries() {
                let line = r.line;
                let schema = self
                    .deref(r)
                    .and_then(|r| r.get("content"))
                    .and_then(|c| self.content(c));
                responses.push(Response {
                    status: status.to_string(),
                    schema,
                    line,
                });
            }
        }
        OperationContract {
            line: op.line,
            parameters,
            request_body,
            responses,
        }
    }

    fn parameter(&mut self, n: N<'a>) -> Option<Parameter> {
        let line = n.line;
        let p = self.deref(n)?;
        let name = p.str("name")?.to_string();
        let location = p.str("in")?.to_string();
        let schema = match p.get("schema") {
            Some(s) => self.schema(s, 0),
            None => p
                .get("content")
                .and_then(|c| self.content(c))
                .unwrap_or_default(),
        };
        Some(Parameter {
            required: location == "path" || p.flag("required"),
            name,
            location,
            schema,
            line,
        })
    }

    /// The schema of the preferred media type of a `content` map: JSON, then `+json`, then the first.
    fn content(&mut self, content: N<'a>) -> Option<Schema> {
        let entries = content.entries();
        let pick = entries
            .iter()
            .find(|(m, _)| m.starts_with("application/json"))
            .or_else(|| entries.iter().find(|(m, _)| m.contains("+json")))
            .or_else(|| entries.first())?;
        let schema = pick.1.get("schema")?;
        Some(self.schema(schema, 0))
    }

    fn schema(&mut self, n: N<'a>, depth: u32) -> Schema {
        let unknown = Schema {
            line: n.line,
            ..Default::default()
        };
        if depth > MAX_SCHEMA_DEPTH || self.budget == 0 {
            return unknown;
        }
        self.budget -= 1;
        let Some(r) = self.deref(n) else {
            return unknown;
        };
        if !matches!(r.v, Value::Mapping(_)) || r.get("oneOf").is_some() || r.get("anyOf").is_some()
        {
            return unknown;
        }
        let mut out = Schema {
            known: true,
            line: n.line,
            ..Default::default()
        };
        for part in r.get("allOf").map(|a| a.items()).unwrap_or_default() {
            let s = self.schema(part, depth + 1);
            if !s.known {
                return unknown;
            }
            merge(&mut out, s);
        }
        out.ty = match r.get("type").map(|t| t.v) {
            Some(Value::String(t)) => Some(t.clone()),
            // OpenAPI 3.1: `type: [string, "null"]`.
            Some(Value::Sequence(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .map(str::to_string),
            _ => None,
        }
        .or(out.ty.take());
        if let Some(f) = r.str("format") {
            out.format = Some(f.to_string());
        }
        if let Some(props) = r.get("properties") {
            for (name, p) in props.entries() {
                let s = self.schema(p, depth + 1);
                out.properties.insert(name.to_string(), s);
            }
        }
        if let Some(req) = r.get("required") {
            out.required.extend(
                req.items()
                    .iter()
                    .filter_map(|i| i.v.as_str())
                    .map(str::to_string),
            );
        }
        if let Some(items) = r.get("items") {
            out.items = Some(Box::new(self.schema(items, depth + 1)));
        }
        if out.ty.is_none() && !out.properties.is_empty() {
            out.ty = Some("object".into());
        }
        if self.budget == 0 {
            // Cut short somewhere below: comparing a partial schema would report false removals.
            return unknown;
        }
        out
    }
}

/// `allOf`: properties and required names add up; the first stated type and format win.
fn merge(into: &mut Schema, s: Schema) {
    into.ty = into.ty.take().or(s.ty);
    into.format = into.format.take().or(s.format);
    into.properties.extend(s.properties);
    into.required.extend(s.required);
    into.items = into.items.take().or(s.items);
}

/// AsyncAPI channels → endpoints: `SUB channel` (2.x `subscribe`, 3.x `receive`) and
/// `PUB channel` (`publish` / `send`). Unreadable documents yield no endpoints.
pub fn asyncapi_channels(text: &str) -> Vec<Endpoint> {
    let Ok(docs) = parse_documents(text) else {
        return Vec::new();
    };
    let Some(Value::Mapping(root)) = docs.first().map(|d| &d.value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Some(Value::Mapping(channels)) = root.get("channels") else {
        return out;
    };
    for (name, ch) in channels {
        let Some(name) = name.as_str() else { continue };
        let address = match ch {
            Value::Mapping(m) => m.get("address").and_then(Value::as_str).unwrap_or(name),
            _ => name,
        };
        let mut ops = Vec::new();
        if let Value::Mapping(m) = ch {
            if m.contains_key("subscribe") {
                ops.push("SUB");
            }
            if m.contains_key("publish") {
                ops.push("PUB");
            }
        }
        if ops.is_empty() {
            ops.push("SUB");
        }
        for op in ops {
            out.push(Endpoint {
                method: op.into(),
                path: address.to_string(),
                ..Default::default()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Schema;

    #[test]
    fn reads_operations() {
        let eps = endpoints(
            "openapi: 3.0.0\npaths:\n  /pets/{id}:\n    parameters: []\n    get:\n      operationId: getPet\n      summary: Get a pet\n    delete:\n      deprecated: true\n",
        )
        .unwrap();
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[0].label(), "GET /pets/{id}");
        assert_eq!(eps[0].operation_id.as_deref(), Some("getPet"));
        assert!(eps[1].deprecated);
        assert!(
            endpoints("{\"openapi\": \"3.1.0\", \"paths\": {\"/a\": {\"post\": {}}}}").unwrap()[0]
                .label()
                == "POST /a"
        );
        assert!(endpoints("swagger: '2.0'\n")
            .unwrap_err()
            .contains("Swagger 2.0"));
    }

    const CONTRACT: &str = r##"openapi: 3.1.0
paths:
  /users/{id}:
    parameters:
      - $ref: "#/components/parameters/Id"
      - { name: X-Trace, in: header, schema: { type: string } }
    get:
      parameters:
        - { name: X-Trace, in: header, required: true, schema: { type: string } }
      requestBody:
        content:
          text/plain: { schema: { type: string } }
          application/json:
            schema:
              allOf:
                - { $ref: "#/components/schemas/Base" }
                - { required: [extra], properties: { extra: { type: [integer, "null"] } } }
      responses:
        "200":
          $ref: "#/components/responses/One"
        "404": { description: missing }
components:
  parameters:
    Id: { name: id, in: path, schema: { type: integer, format: int64 } }
  responses:
    One:
      description: one
      content: { application/json: { schema: { $ref: "#/components/schemas/Base" } } }
  schemas:
    Base:
      properties:
        name: { type: string }
        tree: { $ref: "#/components/schemas/Base" }
        other: { $ref: "other.yaml#/User" }
        either: { oneOf: [{ type: string }, { type: integer }] }
"##;

    #[test]
    fn reads_contracts_with_refs_all_of_and_path_parameters() {
        let eps = endpoints(CONTRACT).unwrap();
        let k = eps[0].contract.as_deref().unwrap();
        assert_eq!(k.line, 8);
        let params: Vec<(&str, &str, bool, Option<&str>)> = k
            .parameters
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.location.as_str(),
                    p.required,
                    p.schema.ty.as_deref(),
                )
            })
            .collect();
        // Path parameters are always required; the operation's X-Trace overrides the path's.
        assert_eq!(
            params,
            [
                ("id", "path", true, Some("integer")),
                ("X-Trace", "header", true, Some("string"))
            ]
        );
        assert_eq!(k.parameters[0].schema.format.as_deref(), Some("int64"));
        let body = k.request_body.as_ref().unwrap();
        assert!(!body.required);
        let schema = body.schema.as_ref().unwrap();
        assert_eq!(
            schema.ty.as_deref(),
            Some("object"),
            "JSON wins over text/plain"
        );
        assert!(schema.required.contains("extra"));
        assert_eq!(schema.properties["extra"].ty.as_deref(), Some("integer"));
        assert!(schema.properties.contains_key("name"));
        let ok = k.responses.iter().find(|r| r.status == "200").unwrap();
        let base = ok.schema.as_ref().unwrap();
        assert!(base.known && base.properties["tree"].known);
        assert!(
            !base.properties["other"].known,
            "references to other files are not followed"
        );
        assert!(!base.properties["either"].known, "oneOf is not compared");
        assert!(k
            .responses
            .iter()
            .any(|r| r.status == "404" && r.schema.is_none()));
    }

    #[test]
    fn hostile_schemas_are_bounded() {
        // A schema that refers to itself twice at every level would expand exponentially.
        let bomb = r##"openapi: 3.0.0
paths:
  /x:
    get:
      responses:
        "200":
          content:
            application/json: { schema: { $ref: "#/components/schemas/T" } }
  /loop:
    get:
      parameters: [{ $ref: "#/components/parameters/A" }]
      responses: { "200": { $ref: "#/components/responses/R" } }
components:
  parameters:
    A: { $ref: "#/components/parameters/B" }
    B: { $ref: "#/components/parameters/A" }
  responses:
    R: { $ref: "#/components/responses/R" }
  schemas:
    T:
      properties:
        a: { $ref: "#/components/schemas/T" }
        b: { $ref: "#/components/schemas/T" }
        c: { $ref: "#/nowhere/at/all" }
"##;
        let eps = endpoints(bomb).unwrap();
        fn count(s: &Schema) -> usize {
            1 + s.properties.values().map(count).sum::<usize>()
        }
        let t = eps[0].contract.as_deref().unwrap().responses[0]
            .schema
            .as_ref()
            .unwrap();
        assert!(count(t) <= MAX_SCHEMA_NODES + 1, "{}", count(t));
        let l = eps[1].contract.as_deref().unwrap();
        assert!(l.parameters.is_empty(), "a $ref loop yields nothing");
        assert!(l.responses[0].schema.is_none());
    }
}
