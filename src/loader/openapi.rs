//! OpenAPI 3.0 / 3.1 documents (YAML or JSON) → endpoints.
//!
//! Only `paths` matters here: each operation becomes `METHOD /path` with its operationId,
//! summary and deprecated flag. The document is parsed with the same hardened YAML entry point
//! as catalog files (JSON is YAML), so hostile specs get the same protections.

use super::yaml::{parse_documents, Value};
use crate::model::Endpoint;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Reads the operations of an OpenAPI document's text.
pub fn endpoints(text: &str) -> Result<Vec<Endpoint>, String> {
    let docs = parse_documents(text)
        .map_err(|e| format!("{} at line {} column {}", e.message, e.pos.line, e.pos.col))?;
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
    let Some(Value::Mapping(paths)) = root.get("paths") else {
        return Ok(out);
    };
    for (path, item) in paths {
        let (Some(path), Value::Mapping(item)) = (path.as_str(), item) else {
            continue;
        };
        for (method, op) in item {
            let Some(method) = method.as_str().filter(|m| METHODS.contains(m)) else {
                continue;
            };
            let field = |k: &str| match op {
                Value::Mapping(m) => m.get(k).and_then(Value::as_str).map(str::to_string),
                _ => None,
            };
            let deprecated = match op {
                Value::Mapping(m) => m
                    .get("deprecated")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                _ => false,
            };
            out.push(Endpoint {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
                operation_id: field("operationId"),
                summary: field("summary"),
                deprecated,
                loc: Default::default(),
            });
        }
    }
    Ok(out)
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
}
