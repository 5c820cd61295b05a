//! Writes catalog entities in Cairn's native YAML format (`cairn import backstage`).
//!
//! A small hand-written emitter rather than serde_yaml: the output is meant to be read and
//! edited by people, with fields in the order of docs/catalog-format.md, flow style for short
//! lists, and strings quoted only when YAML would otherwise read them as something else.
//! Pure string building; writing files is the caller's business.

use std::fmt::Write as _;

use crate::model::*;

/// A YAML scalar for `s`: plain when that is unambiguous, else a double-quoted string
/// (JSON escaping is valid YAML).
pub fn scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.len() < 200
        && s.trim() == s
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~".contains(c) || c.is_ascii_digit())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s
            .chars()
            .any(|c| c.is_control() || matches!(c, '[' | ']' | '{' | '}' | ','))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
        );
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
}

fn flow_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.into_iter().map(scalar).collect();
    format!("[{}]", v.join(", "))
}

fn field(out: &mut String, indent: &str, key: &str, value: &str) {
    if !value.is_empty() {
        let _ = writeln!(out, "{indent}{key}: {}", scalar(value));
    }
}

fn map(out: &mut String, indent: &str, key: &str, m: &std::collections::BTreeMap<String, String>) {
    if m.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}{key}:");
    for (k, v) in m {
        let _ = writeln!(out, "{indent}  {}: {}", scalar(k), scalar(v));
    }
}

/// One system as a native document.
pub fn system(s: &System) -> String {
    let mut o = String::from("kind: system\n");
    field(&mut o, "", "name", &s.name.value);
    field(&mut o, "", "title", &s.title);
    field(&mut o, "", "description", &s.description);
    if let Some(owner) = s.owner_name() {
        field(&mut o, "", "owner", owner);
    }
    if let Some(d) = &s.domain {
        field(&mut o, "", "domain", &d.value);
    }
    field(&mut o, "", "lifecycle", s.lifecycle.as_str());
    if let Some(t) = s.tier {
        let _ = writeln!(o, "tier: {t}");
    }
    if !s.tags.is_empty() {
        let _ = writeln!(o, "tags: {}", flow_list(s.tags.iter().map(String::as_str)));
    }
    if !s.aliases.is_empty() {
        let _ = writeln!(
            o,
            "aliases: {}",
            flow_list(s.aliases.iter().map(|a| a.value.as_str()))
        );
    }
    if let Some(r) = &s.repo {
        field(&mut o, "", "repo", r);
    }
    if !s.links.is_empty() {
        o.push_str("links:\n");
        for l in &s.links {
            let _ = write!(
                o,
                "  - {{ title: {}, url: {}",
                scalar(&l.title),
                scalar(&l.url)
            );
            if let Some(k) = &l.kind {
                let _ = write!(o, ", kind: {}", scalar(k));
            }
            o.push_str(" }\n");
        }
    }
    map(&mut o, "", "environments", &s.environments);
    if !s.provides.is_empty() {
        o.push_str("provides:\n");
        for a in &s.provides {
            let _ = writeln!(
                o,
                "  - name: {}\n    version: {}\n    kind: {}",
                scalar(&a.name.value),
                a.version,
                a.kind.as_str()
            );
            field(&mut o, "    ", "description", &a.description);
            field(&mut o, "    ", "lifecycle", a.lifecycle.as_str());
            if let Some(d) = &a.sunset {
                field(&mut o, "    ", "sunset", &d.value);
            }
            if !a.endpoints.is_empty() {
                o.push_str("    endpoints:\n");
                for e in &a.endpoints {
                    if e.summary.is_none() && e.operation_id.is_none() && !e.deprecated {
                        let _ = writeln!(o, "      - {}", scalar(&e.label()));
                    } else {
                        let _ = write!(o, "      - {{ endpoint: {}", scalar(&e.label()));
                        if let Some(sm) = &e.summary {
                            let _ = write!(o, ", summary: {}", scalar(sm));
                        }
                        if let Some(id) = &e.operation_id {
                            let _ = write!(o, ", operation_id: {}", scalar(id));
                        }
                        if e.deprecated {
                            o.push_str(", deprecated: true");
                        }
                        o.push_str(" }\n");
                    }
                }
            }
            if !a.consumers.is_empty() {
                o.push_str("    consumers:\n");
                for c in &a.consumers {
                    match c {
                        ListedConsumer::System(n) => {
                            let _ = writeln!(o, "      - {}", scalar(&n.value));
                        }
                        ListedConsumer::External(x) => {
                            let _ = write!(o, "      - {{ name: {}", scalar(&x.name));
                            if let Some(ct) = &x.contact {
                                let _ = write!(o, ", contact: {}", scalar(ct));
                            }
                            if let Some(d) = &x.description {
                                let _ = write!(o, ", description: {}", scalar(d));
                            }
                            o.push_str(" }\n");
                        }
                    }
                }
            }
        }
    }
    if !s.consumes.is_empty() {
        o.push_str("consumes:\n");
        for k in &s.consumes {
            let _ = writeln!(o, "  - api: {}", scalar(&k.api.value.to_string()));
            if let Some(u) = &k.uses {
                let _ = writeln!(
                    o,
                    "    uses: {}",
                    flow_list(u.iter().map(|e| e.value.as_str()))
                );
            }
            if let Some(n) = &k.notes {
                field(&mut o, "    ", "notes", n);
            }
        }
    }
    if !s.depends_on.is_empty() {
        let _ = writeln!(
            o,
            "depends_on: {}",
            flow_list(s.depends_on.iter().map(|d| d.value.as_str()))
        );
    }
    if !s.ilities.is_empty() {
        o.push_str("ilities:\n");
        for (k, i) in &s.ilities {
            match i.rating {
                Some(r) => {
                    let _ = writeln!(
                        o,
                        "  {}: {{ rating: {r}, notes: {} }}",
                        scalar(k),
                        scalar(&i.notes)
                    );
                }
                None => {
                    let _ = writeln!(o, "  {}: {}", scalar(k), scalar(&i.notes));
                }
            }
        }
    }
    map(&mut o, "", "support", &s.support);
    map(&mut o, "", "annotations", &s.annotations);
    map(&mut o, "", "labels", &s.labels);
    o
}

/// One team as a native document.
pub fn team(t: &Team) -> String {
    let mut o = String::from("kind: team\n");
    field(&mut o, "", "name", &t.name.value);
    field(&mut o, "", "title", &t.title);
    field(&mut o, "", "description", &t.description);
    if !t.contacts.is_empty() {
        let parts: Vec<String> = t
            .contacts
            .entries()
            .iter()
            .map(|(k, v)| format!("{k}: {}", scalar(v)))
            .collect();
        let _ = writeln!(o, "contacts: {{ {} }}", parts.join(", "));
    }
    if !t.members.is_empty() {
        o.push_str("members:\n");
        for m in &t.members {
            let _ = write!(o, "  - {{ name: {}", scalar(&m.name.value));
            if let Some(e) = &m.email {
                let _ = write!(o, ", email: {}", scalar(e));
            }
            if let Some(r) = &m.role {
                let _ = write!(o, ", role: {}", scalar(r));
            }
            o.push_str(" }\n");
        }
    }
    if let Some(oc) = &t.oncall {
        o.push_str("oncall:\n");
        if let Some(r) = &oc.rotation {
            let order: Vec<&str> = r.order.iter().map(|p| p.value.as_str()).collect();
            let _ = writeln!(
                o,
                "  rotation: {{ start: {}, every: {}d, order: {} }}",
                r.start,
                r.every_days,
                flow_list(order)
            );
        }
        if let Some(l) = &oc.lead {
            field(&mut o, "  ", "lead", &l.value);
        }
    }
    o
}

/// One domain as a native document.
pub fn domain(d: &Domain) -> String {
    let mut o = String::from("kind: domain\n");
    field(&mut o, "", "name", &d.name.value);
    field(&mut o, "", "title", &d.title);
    field(&mut o, "", "description", &d.description);
    if let Some(owner) = &d.owner {
        field(&mut o, "", "owner", &owner.value);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::scalar;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("pkgdb"), "pkgdb");
        assert_eq!(scalar("GET /api/x"), "GET /api/x");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("2.1"), "\"2.1\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("#chan"), "\"#chan\"");
        assert_eq!(scalar("line\nbreak"), "\"line\\nbreak\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("[x]"), "\"[x]\"");
    }
}
