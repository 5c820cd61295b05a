//! OpenAPI endpoint-level comparison: the oasdiff-style checks of one operation's contract
//! (parameters, request body, success responses) between the old and the new spec.

use std::collections::{BTreeSet, HashMap};

use super::{code, Severity, Side};
use crate::model::{OperationContract, Parameter, Schema};

/// A change found inside one operation's contract.
pub(super) struct Found {
    pub(super) severity: Severity,
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) side: Side,
    pub(super) line: u32,
}

/// The oasdiff-style checks on one operation: what callers must now send, and what they no
/// longer get back.
pub(super) fn compare_operation(
    o: &OperationContract,
    n: &OperationContract,
    (old_path, new_path): (&str, &str),
    out: &mut Vec<Found>,
) {
    let (old_holes, new_holes) = (path_placeholders(old_path), path_placeholders(new_path));
    let key = |p: &Parameter, holes: &[&str]| -> (String, String) {
        if p.location == "path" {
            if let Some(i) = holes.iter().position(|x| *x == p.name) {
                // Path parameters are matched by position: renaming `{id}` is not a change.
                return ("path".into(), format!("#{i}"));
            }
        }
        let name = if p.location == "header" {
            p.name.to_ascii_lowercase()
        } else {
            p.name.clone()
        };
        (p.location.clone(), name)
    };
    let old_params: HashMap<(String, String), &Parameter> = o
        .parameters
        .iter()
        .map(|p| (key(p, &old_holes), p))
        .collect();
    let new_keys: BTreeSet<(String, String)> =
        n.parameters.iter().map(|p| key(p, &new_holes)).collect();
    for np in &n.parameters {
        let what = format!("{} parameter {}", np.location, code(&np.name));
        match old_params.get(&key(np, &new_holes)) {
            None if np.required => out.push(Found {
                severity: Severity::Breaking,
                code: "request-parameter-added-required",
                message: format!("new required {what}"),
                side: Side::New,
                line: np.line,
            }),
            None => out.push(Found {
                severity: Severity::Safe,
                code: "request-parameter-added",
                message: format!("new optional {what}"),
                side: Side::New,
                line: np.line,
            }),
            Some(op) => {
                if np.required && !op.required {
                    out.push(Found {
                        severity: Severity::Breaking,
                        code: "request-parameter-became-required",
                        message: format!("{what} became required"),
                        side: Side::New,
                        line: np.line,
                    });
                }
                if type_changed(&op.schema, &np.schema) {
                    out.push(Found {
                        severity: Severity::Breaking,
                        code: "request-parameter-type-changed",
                        message: format!(
                            "type of {what} changed from {} to {}",
                            op.schema.type_label(),
                            np.schema.type_label()
                        ),
                        side: Side::New,
                        line: np.schema.line.max(np.line),
                    });
                }
            }
        }
    }
    for op in &o.parameters {
        if !new_keys.contains(&key(op, &old_holes)) {
            out.push(Found {
                severity: Severity::Notable,
                code: "request-parameter-removed",
                message: format!(
                    "{} parameter {} was removed (callers still sending it may be refused)",
                    op.location,
                    code(&op.name)
                ),
                side: Side::Old,
                line: op.line,
            });
        }
    }
    let o_required = o.request_body.as_ref().is_some_and(|b| b.required);
    if let Some(nb) = &n.request_body {
        if nb.required && !o_required {
            out.push(Found {
                severity: Severity::Breaking,
                code: "request-body-became-required",
                message: "the request body became required".into(),
                side: Side::New,
                line: nb.line,
            });
        }
        if let (Some(os), Some(ns)) = (
            o.request_body.as_ref().and_then(|b| b.schema.as_ref()),
            nb.schema.as_ref(),
        ) {
            compare_request(os, ns, "", out, 0);
        }
    }
    for or in &o.responses {
        if !or.status.starts_with('2') {
            continue;
        }
        let Some(nr) = n.responses.iter().find(|r| r.status == or.status) else {
            out.push(Found {
                severity: Severity::Breaking,
                code: "response-status-removed",
                message: format!("success response {} was removed", code(&or.status)),
                side: Side::Old,
                line: or.line,
            });
            continue;
        };
        match (&or.schema, &nr.schema) {
            (Some(os), Some(ns)) => compare_response(os, ns, &or.status, "", out, 0),
            (Some(_), None) => out.push(Found {
                severity: Severity::Breaking,
                code: "response-body-removed",
                message: format!("response {} no longer has a body", code(&or.status)),
                side: Side::New,
                line: nr.line,
            }),
            _ => {}
        }
    }
}

/// `{a}` and `{b}` of `/x/{a}/y/{b}`, in order.
fn path_placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect()
}

fn type_changed(o: &Schema, n: &Schema) -> bool {
    if !o.known || !n.known {
        return false;
    }
    let differ =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(x), Some(y)) if x != y);
    differ(&o.ty, &n.ty) || differ(&o.format, &n.format)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Comparison stops this deep: schemas are already bounded when read, this bounds the walk.
const MAX_COMPARE_DEPTH: u32 = 32;

/// Request bodies: callers must now send more (new required property) or something else (type).
fn compare_request(o: &Schema, n: &Schema, path: &str, out: &mut Vec<Found>, depth: u32) {
    if !o.known || !n.known || depth > MAX_COMPARE_DEPTH {
        return;
    }
    if type_changed(o, n) {
        let what = if path.is_empty() {
            "the request body".to_string()
        } else {
            format!("request property {}", code(path))
        };
        out.push(Found {
            severity: Severity::Breaking,
            code: "request-property-type-changed",
            message: format!(
                "type of {what} changed from {} to {}",
                o.type_label(),
                n.type_label()
            ),
            side: Side::New,
            line: n.line,
        });
        return;
    }
    for (name, np) in &n.properties {
        let p = join(path, name);
        match o.properties.get(name) {
            None if n.required.contains(name) => out.push(Found {
                severity: Severity::Breaking,
                code: "request-property-added-required",
                message: format!("new required request property {}", code(&p)),
                side: Side::New,
                line: np.line,
            }),
            None => out.push(Found {
                severity: Severity::Safe,
                code: "request-property-added",
                message: format!("new optional request property {}", code(&p)),
                side: Side::New,
                line: np.line,
            }),
            Some(op) => {
                if n.required.contains(name) && !o.required.contains(name) {
                    out.push(Found {
                        severity: Severity::Breaking,
                        code: "request-property-became-required",
                        message: format!("request property {} became required", code(&p)),
                        side: Side::New,
                        line: np.line,
                    });
                }
                compare_request(op, np, &p, out, depth + 1);
            }
        }
    }
    for (name, op) in &o.properties {
        if !n.properties.contains_key(name) {
            out.push(Found {
                severity: Severity::Notable,
                code: "request-property-removed",
                message: format!(
                    "request property {} was removed (callers still sending it may be refused)",
                    code(&join(path, name))
                ),
                side: Side::Old,
                line: op.line,
            });
        }
    }
    if let (Some(oi), Some(ni)) = (&o.items, &n.items) {
        compare_request(oi, ni, &format!("{path}[]"), out, depth + 1);
    }
}

/// Responses: callers may no longer get what they read (removed or optional property, type).
fn compare_response(
    o: &Schema,
    n: &Schema,
    status: &str,
    path: &str,
    out: &mut Vec<Found>,
    depth: u32,
) {
    if !o.known || !n.known || depth > MAX_COMPARE_DEPTH {
        return;
    }
    let what = |p: &str| {
        if p.is_empty() {
            format!("the {} response body", code(status))
        } else {
            format!("response property {} ({})", code(p), status)
        }
    };
    if type_changed(o, n) {
        out.push(Found {
            severity: Severity::Breaking,
            code: "response-property-type-changed",
            message: format!(
                "type of {} changed from {} to {}",
                what(path),
                o.type_label(),
                n.type_label()
            ),
            side: Side::New,
            line: n.line,
        });
        return;
    }
    for (name, op) in &o.properties {
        let p = join(path, name);
        match n.properties.get(name) {
            None => out.push(Found {
                severity: Severity::Breaking,
                code: "response-property-removed",
                message: format!("{} was removed", what(&p)),
                side: Side::Old,
                line: op.line,
            }),
            Some(np) => {
                if o.required.contains(name) && !n.required.contains(name) {
                    out.push(Found {
                        severity: Severity::Breaking,
                        code: "response-property-became-optional",
                        message: format!("{} is no longer always present", what(&p)),
                        side: Side::New,
                        line: np.line,
                    });
                }
                compare_response(op, np, status, &p, out, depth + 1);
            }
        }
    }
    for (name, np) in &n.properties {
        if !o.properties.contains_key(name) {
            out.push(Found {
                severity: Severity::Safe,
                code: "response-property-added",
                message: format!("new {}", what(&join(path, name))),
                side: Side::New,
                line: np.line,
            });
        }
    }
    if let (Some(oi), Some(ni)) = (&o.items, &n.items) {
        compare_response(oi, ni, status, &format!("{path}[]"), out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_order() {
        assert_eq!(path_placeholders("/a/{x}/b/{y}"), vec!["x", "y"]);
        assert!(path_placeholders("/a").is_empty());
        assert_eq!(path_placeholders("/a/{unclosed"), Vec::<&str>::new());
    }

    /// The codes `compare_operation` finds between two one-operation specs (`paths:` bodies).
    fn contract_codes(old: &str, new: &str) -> Vec<(&'static str, Severity, String)> {
        let read = |paths: &str| {
            let spec = format!("openapi: 3.0.0\npaths:\n  /x:\n    post:\n{paths}");
            let eps = crate::loader::openapi::endpoints(&spec).expect("spec reads");
            *eps[0].contract.clone().expect("contract")
        };
        let mut out = Vec::new();
        compare_operation(&read(old), &read(new), ("/x", "/x"), &mut out);
        out.into_iter()
            .map(|f| (f.code, f.severity, f.message))
            .collect()
    }

    #[test]
    fn contract_checks() {
        let body = |required: bool, props: &str, req: &str| {
            format!(
                "      requestBody:\n        required: {required}\n        content:\n          application/json:\n            schema: {{ type: object, required: [{req}], properties: {{ {props} }} }}\n"
            )
        };
        let response = |props: &str, req: &str| {
            format!(
                "      responses:\n        \"200\":\n          content:\n            application/json:\n              schema: {{ type: object, required: [{req}], properties: {{ {props} }} }}\n"
            )
        };
        let codes = |old: String, new: String| -> Vec<&'static str> {
            contract_codes(&old, &new)
                .into_iter()
                .map(|c| c.0)
                .collect()
        };
        // Request side.
        assert_eq!(
            codes(
                body(false, "a: { type: string }, b: { type: string }", ""),
                body(
                    true,
                    "a: { type: integer }, b: { type: string }, c: { type: string }",
                    "b"
                )
            ),
            [
                "request-body-became-required",
                "request-property-type-changed",
                "request-property-became-required",
                "request-property-added",
            ]
        );
        assert_eq!(
            codes(
                body(false, "a: { type: string }, gone: { type: string }", ""),
                body(false, "a: { type: string }", "")
            ),
            ["request-property-removed"]
        );
        assert_eq!(
            codes(
                "      parameters: [{ name: q, in: query, schema: { type: string } }, { name: X-Id, in: header }]\n".into(),
                "      parameters: [{ name: q, in: query, required: true, schema: { type: string, format: uuid } }, { name: x-id, in: header }]\n".into()
            ),
            ["request-parameter-became-required"],
            "a format appearing is not a change; header names are case-insensitive"
        );
        // Response side.
        assert_eq!(
            codes(
                response("a: { type: string }, b: { type: integer }, c: { type: object, properties: { d: { type: string } } }", "a"),
                response("a: { type: string }, b: { type: string }, c: { type: object, properties: { e: { type: string } } }", "")
            ),
            [
                "response-property-became-optional",
                "response-property-type-changed",
                "response-property-removed",
                "response-property-added",
            ]
        );
        let removed = contract_codes(
            &response(
                "c: { type: object, properties: { d: { type: string } } }",
                "",
            ),
            &response("c: { type: object }", ""),
        );
        assert_eq!(removed[0].2, "response property `c.d` (200) was removed");
        assert_eq!(
            codes(
                response("a: { type: string }", ""),
                "      responses:\n        \"201\": { description: created }\n".into()
            ),
            ["response-status-removed"]
        );
        assert_eq!(
            codes(
                response("a: { type: string }", ""),
                "      responses:\n        \"200\": { description: nothing }\n".into()
            ),
            ["response-body-removed"]
        );
        // Schemas that cannot be compared are left alone.
        assert!(codes(
            response("a: { type: string }", ""),
            "      responses:\n        \"200\":\n          content:\n            application/json:\n              schema: { oneOf: [{ type: string }] }\n".into()
        )
        .is_empty());
    }
}
