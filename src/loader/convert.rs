//! Native documents (`kind: system`, `team`, `domain`) → model entities, reporting every unknown
//! field and wrong type (the reader is in `node.rs`; which converter a document goes to is
//! decided in `document.rs`).
//!
//! The conversion is hand-written rather than `#[derive(Deserialize)]` because serde stops at
//! the first error, and users need all of them, each at the line of the offending value. An
//! entity with a bad field is still kept (with the field left at its default) so that references
//! to it resolve and one mistake does not cascade into many.

use super::node::{is_todo, is_todo_node, Ctx, Node, Obj};
use super::yaml::{Pos, Value};
use crate::date::{parse_period_days, Date};
use crate::diag::did_you_mean;
use crate::model::*;

/// Field names per document kind; the reference in `docs/catalog-format.md` lists the same.
pub const SYSTEM_FIELDS: &[&str] = &[
    "kind",
    "name",
    "title",
    "description",
    "owner",
    "domain",
    "lifecycle",
    "tier",
    "tags",
    "aliases",
    "repo",
    "links",
    "environments",
    "docs",
    "runbook",
    "provides",
    "consumes",
    "depends_on",
    "ilities",
    "support",
    "annotations",
    "labels",
];
pub const API_FIELDS: &[&str] = &[
    "name",
    "version",
    "kind",
    "description",
    "spec",
    "endpoints",
    "lifecycle",
    "sunset",
    "consumers",
];
pub const ENDPOINT_FIELDS: &[&str] = &["endpoint", "summary", "operation_id", "deprecated"];
pub const LISTED_CONSUMER_FIELDS: &[&str] = &["name", "contact", "description", "acknowledged"];
pub const CONSUMES_FIELDS: &[&str] = &["api", "uses", "notes", "acknowledged"];
pub const LINK_FIELDS: &[&str] = &["title", "url", "kind"];
pub const ILITY_FIELDS: &[&str] = &["rating", "notes"];
pub const TEAM_FIELDS: &[&str] = &[
    "kind",
    "name",
    "title",
    "description",
    "contacts",
    "members",
    "oncall",
    "onboarding",
];
pub const CONTACT_FIELDS: &[&str] = &["email", "chat", "issues", "pager"];
pub const MEMBER_FIELDS: &[&str] = &["name", "email", "role"];
pub const ONCALL_FIELDS: &[&str] = &["ical", "rotation", "lead"];
pub const ROTATION_FIELDS: &[&str] = &["start", "every", "order"];
pub const ONBOARDING_FIELDS: &[&str] = &["welcome", "steps"];
pub const ONBOARDING_STEP_FIELDS: &[&str] = &["title", "details", "url"];
pub const DOMAIN_FIELDS: &[&str] = &["kind", "name", "title", "description", "owner"];

/// Readers only the native kinds use.
impl<'a> Ctx<'a> {
    fn name(&mut self, o: &Obj<'a>, what: &str) -> Option<Spanned<String>> {
        let Some(n) = o.get("name") else {
            self.error("missing-field", o.pos(), format!("{what} has no `name`"));
            return None;
        };
        let name = self.spanned_string(n, "name")?;
        if !is_valid_name(&name.value) {
            let suggestion = crate::text::slug(&name.value);
            self.error(
                "invalid-name",
                n.pos,
                format!("`{}` is not a valid {what} name", name.value),
            )
            .hint = Some(if suggestion.is_empty() {
                "names are lowercase letters, digits and `-`, starting with a letter or digit"
                    .into()
            } else {
                format!("names are lowercase letters, digits and `-`: try `{suggestion}`")
            });
            return None;
        }
        Some(name)
    }

    fn lifecycle(&mut self, o: &Obj<'a>) -> Lifecycle {
        let Some(n) = o.get("lifecycle") else {
            return Lifecycle::default();
        };
        let Some(s) = self.string(n, "lifecycle") else {
            return Lifecycle::default();
        };
        match Lifecycle::parse(&s) {
            Some(l) => l,
            None => {
                let hint = did_you_mean(&s, Lifecycle::ALL)
                    .unwrap_or_else(|| format!("one of: {}", Lifecycle::ALL.join(", ")));
                self.error("invalid-value", n.pos, format!("unknown lifecycle `{s}`"))
                    .hint = Some(hint);
                Lifecycle::default()
            }
        }
    }
}

pub(super) fn system<'a>(ctx: &mut Ctx<'a>, root: Node<'a>) -> Option<System> {
    let o = ctx.obj(root, "system", SYSTEM_FIELDS)?;
    let name = ctx.name(&o, "system")?;
    let mut s = System {
        name,
        loc: ctx.loc(root.pos),
        ..Default::default()
    };
    s.title = ctx.opt_string(&o, "title").unwrap_or_default();
    s.description = ctx.opt_string(&o, "description").unwrap_or_default();
    s.owner = o.get("owner").and_then(|n| ctx.spanned_string(n, "owner"));
    // `owner: TODO` is reported as a TODO (a scaffold not filled in yet), not as missing.
    if s.owner.is_none() && !o.get("owner").is_some_and(is_todo_node) {
        ctx.error(
            "missing-owner",
            Pos {
                line: s.name.loc.line,
                col: s.name.loc.col,
            },
            format!("system `{}` has no `owner`", s.name.value),
        )
        .hint = Some("every system needs an owning team: `owner: <team>`".into());
    }
    s.domain = o
        .get("domain")
        .and_then(|n| ctx.spanned_string(n, "domain"));
    s.lifecycle = ctx.lifecycle(&o);
    s.tier = o
        .get("tier")
        .and_then(|n| ctx.integer(n, "tier", 1..=3))
        .map(|t| t as u8);
    s.tags = ctx
        .string_list(&o, "tags")
        .into_iter()
        .map(|t| t.value)
        .collect();
    s.aliases = ctx.string_list(&o, "aliases");
    s.repo = ctx.opt_string(&o, "repo");
    if let Some(n) = o.get("links") {
        for item in ctx.list(n, "links") {
            if let Some(l) = link(ctx, item) {
                s.links.push(l);
            }
        }
    }
    s.environments = ctx.string_map(&o, "environments");
    if let Some(n) = o.get("docs") {
        for item in ctx.list(n, "docs") {
            if let Some(p) = ctx.doc_path(item, "doc") {
                s.docs.push(p);
            }
        }
    }
    if let Some(n) = o.get("runbook") {
        if let Some(raw) = ctx.string(n, "runbook") {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                s.runbook = Some(Spanned::new(DocRef::Url(raw), ctx.loc(n.pos)));
            } else if let Some(p) = ctx.doc_path(n, "runbook") {
                s.runbook = Some(Spanned::new(DocRef::Path(p.value), p.loc));
            }
        }
    }
    if let Some(n) = o.get("provides") {
        for item in ctx.list(n, "provides") {
            if let Some(a) = api(ctx, item) {
                s.provides.push(a);
            }
        }
    }
    if let Some(n) = o.get("consumes") {
        for item in ctx.list(n, "consumes") {
            if let Some(c) = consumption(ctx, item) {
                s.consumes.push(c);
            }
        }
    }
    s.depends_on = ctx.string_list(&o, "depends_on");
    if let Some(n) = o.get("ilities") {
        if let Some(m) = ctx.free_obj(n, "ilities") {
            for (k, _, v) in m.fields {
                if let Some(i) = ility(ctx, k, v) {
                    s.ilities.insert(k.to_string(), i);
                }
            }
        }
    }
    s.support = ctx.string_map(&o, "support");
    s.annotations = ctx.string_map(&o, "annotations");
    s.labels = ctx.string_map(&o, "labels");
    Some(s)
}

fn link<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Link> {
    if let Value::String(url) = n.v {
        return Some(Link {
            title: url.clone(),
            url: url.clone(),
            kind: None,
        });
    }
    let o = ctx.obj(n, "link", LINK_FIELDS)?;
    let Some(url) = ctx.opt_string(&o, "url") else {
        ctx.error("missing-field", o.pos(), "link has no `url`");
        return None;
    };
    Some(Link {
        title: ctx.opt_string(&o, "title").unwrap_or_else(|| url.clone()),
        url,
        kind: ctx.opt_string(&o, "kind"),
    })
}

fn ility<'a>(ctx: &mut Ctx<'a>, key: &str, n: Node<'a>) -> Option<Ility> {
    match n.v {
        Value::Mapping(_) => {
            let o = ctx.obj(n, key, ILITY_FIELDS)?;
            Some(Ility {
                rating: o
                    .get("rating")
                    .and_then(|r| ctx.integer(r, "rating", 1..=5))
                    .map(|r| r as u8),
                notes: ctx.opt_string(&o, "notes").unwrap_or_default(),
            })
        }
        _ => ctx.string(n, key).map(|notes| Ility {
            rating: None,
            notes,
        }),
    }
}

fn api<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Api> {
    let o = ctx.obj(n, "provided API", API_FIELDS)?;
    let Some(name_node) = o.get("name") else {
        ctx.error("missing-field", o.pos(), "provided API has no `name`")
            .hint = Some("e.g. `name: api`".into());
        return None;
    };
    let name = ctx.spanned_string(name_node, "name")?;
    if name.value.is_empty() || name.value.contains(['/', '@', ' ']) {
        ctx.error(
            "invalid-name",
            name_node.pos,
            format!("`{}` is not a valid API name", name.value),
        )
        .hint = Some("API names cannot contain `/`, `@` or spaces".into());
        return None;
    }
    let mut a = Api {
        name,
        version: 1,
        loc: ctx.loc(o.pos()),
        ..Default::default()
    };
    if let Some(v) = o.get("version") {
        // `2` and `"v2"` both mean major version 2, as in references (`api@v2`).
        let parsed = match v.v {
            Value::Number(x) => x.as_u64(),
            Value::String(s) => s.trim().trim_start_matches('v').parse().ok(),
            _ => None,
        };
        match parsed.filter(|n| *n <= u32::MAX as u64) {
            Some(n) => a.version = n as u32,
            None => {
                ctx.error(
                    "wrong-type",
                    v.pos,
                    "`version` must be a major version number, e.g. `2`",
                )
                .hint = Some(
                    "a new major version is a new contract; minor versions do not belong here"
                        .into(),
                );
            }
        }
    }
    if let Some(k) = o.get("kind") {
        if let Some(s) = ctx.string(k, "kind") {
            match ApiKind::parse(&s) {
                Some(kind) => a.kind = kind,
                None => {
                    let hint = did_you_mean(&s, ApiKind::ALL)
                        .unwrap_or_else(|| format!("one of: {}", ApiKind::ALL.join(", ")));
                    ctx.error("invalid-value", k.pos, format!("unknown API kind `{s}`"))
                        .hint = Some(hint);
                }
            }
        }
    }
    a.description = ctx.opt_string(&o, "description").unwrap_or_default();
    a.lifecycle = ctx.lifecycle(&o);
    if let Some(sn) = o.get("sunset") {
        if let Some(s) = ctx.string(sn, "sunset") {
            if Date::parse(&s).is_none() {
                ctx.error(
                    "invalid-value",
                    sn.pos,
                    format!("sunset `{s}` is not a date"),
                )
                .hint = Some("write it as YYYY-MM-DD".into());
            } else {
                a.sunset = Some(Spanned::new(s, ctx.loc(sn.pos)));
            }
        }
    }
    if let Some(n) = o.get("endpoints") {
        for item in ctx.list(n, "endpoints") {
            if let Some(e) = endpoint(ctx, item) {
                a.endpoints.push(e);
            }
        }
    }
    if let Some(sn) = o.get("spec") {
        if let Some(path) = ctx.doc_path(sn, "spec") {
            if ctx.root.join(&path.value).is_file() {
                match (ctx.spec_reader)(&path.value) {
                    Ok(eps) => {
                        let loc = ctx.loc(sn.pos);
                        // Listed by hand first; a spec operation of the same key is not added
                        // again. Keys in a set: a linear search per operation made a spec of
                        // 40,000 operations take 100 s to load.
                        let mut seen: std::collections::HashSet<crate::model::EndpointKey> =
                            a.endpoints.iter().map(|e| e.key()).collect();
                        for mut e in eps {
                            if seen.insert(e.key()) {
                                e.loc = loc;
                                a.endpoints.push(e);
                            }
                        }
                    }
                    Err(msg) => {
                        ctx.error(
                            "invalid-spec",
                            sn.pos,
                            format!("cannot read spec `{}`: {msg}", path.value),
                        );
                    }
                }
            }
            a.spec = Some(path);
        }
    }
    if let Some(n) = o.get("consumers") {
        for item in ctx.list(n, "consumers") {
            match item.v {
                Value::Mapping(_) => {
                    let Some(c) = ctx.obj(item, "consumer", LISTED_CONSUMER_FIELDS) else {
                        continue;
                    };
                    let Some(name) = ctx.opt_string(&c, "name") else {
                        ctx.error("missing-field", c.pos(), "external consumer has no `name`");
                        continue;
                    };
                    a.consumers.push(ListedConsumer::External(ExternalConsumer {
                        name,
                        contact: ctx.opt_string(&c, "contact"),
                        description: ctx.opt_string(&c, "description"),
                        acknowledged: acknowledged(ctx, &c),
                        loc: ctx.loc(c.pos()),
                    }));
                }
                _ => {
                    if let Some(s) = ctx.spanned_string(item, "consumers") {
                        a.consumers.push(ListedConsumer::System(s));
                    }
                }
            }
        }
    }
    Some(a)
}

fn endpoint<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Endpoint> {
    let (label_node, o) = match n.v {
        Value::Mapping(_) => {
            let o = ctx.obj(n, "endpoint", ENDPOINT_FIELDS)?;
            let Some(l) = o.get("endpoint") else {
                ctx.error("missing-field", o.pos(), "endpoint has no `endpoint`")
                    .hint = Some("e.g. `endpoint: GET /api/packages`".into());
                return None;
            };
            (l, Some(o))
        }
        _ => (n, None),
    };
    let label = ctx.string(label_node, "endpoint")?;
    let Some((method, path)) = split_endpoint(&label) else {
        ctx.error(
            "invalid-endpoint",
            label_node.pos,
            format!("`{label}` is not an endpoint"),
        )
        .hint = Some("write endpoints as `METHOD /path`, e.g. `GET /api/critpath`".into());
        return None;
    };
    let mut e = Endpoint {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        loc: ctx.loc(label_node.pos),
        ..Default::default()
    };
    if let Some(o) = o {
        e.summary = ctx.opt_string(&o, "summary");
        e.operation_id = ctx.opt_string(&o, "operation_id");
        e.deprecated = o
            .get("deprecated")
            .and_then(|d| ctx.boolean(d, "deprecated"))
            .unwrap_or(false);
    }
    Some(e)
}

fn consumption<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Consumption> {
    let (api_node, o) = match n.v {
        Value::String(_) => (n, None),
        _ => {
            let o = ctx.obj(n, "consumes entry", CONSUMES_FIELDS)?;
            let Some(a) = o.get("api") else {
                ctx.error("missing-field", o.pos(), "consumes entry has no `api`")
                    .hint = Some("e.g. `api: pkgdb/api@2`".into());
                return None;
            };
            (a, Some(o))
        }
    };
    let raw = ctx.string(api_node, "api")?;
    let r = match ApiRef::parse(&raw) {
        Ok(r) => r,
        Err(msg) => {
            ctx.error(
                "invalid-reference",
                api_node.pos,
                format!("invalid API reference `{raw}`: {msg}"),
            )
            .hint = Some("write `system/api@version`, e.g. `pkgdb/api@2`".into());
            return None;
        }
    };
    let mut c = Consumption {
        api: Spanned::new(r, ctx.loc(api_node.pos)),
        uses: None,
        notes: None,
        acknowledged: None,
        loc: ctx.loc(n.pos),
    };
    if let Some(o) = o {
        if let Some(u) = o.get("uses") {
            let items = ctx.list(u, "uses");
            let mut uses = Vec::new();
            for item in items {
                if let Some(s) = ctx.spanned_string(item, "uses") {
                    if split_endpoint(&s.value).is_none() {
                        ctx.error(
                            "invalid-endpoint",
                            item.pos,
                            format!("`{}` is not an endpoint", s.value),
                        )
                        .hint = Some(
                            "write endpoints as `METHOD /path`, e.g. `GET /api/critpath`".into(),
                        );
                        continue;
                    }
                    uses.push(s);
                }
            }
            c.uses = Some(uses);
        }
        c.notes = ctx.opt_string(&o, "notes");
        c.acknowledged = acknowledged(ctx, &o);
    }
    Some(c)
}

/// `acknowledged: YYYY-MM-DD` of a consumes entry or a listed consumer: the last day on which a
/// breaking change to the contract is accepted.
fn acknowledged<'a>(ctx: &mut Ctx<'a>, o: &Obj<'a>) -> Option<Spanned<Date>> {
    let n = o.get("acknowledged")?;
    let s = ctx.string(n, "acknowledged")?;
    match Date::parse(&s) {
        Some(d) => Some(Spanned::new(d, ctx.loc(n.pos))),
        None => {
            ctx.error(
                "invalid-value",
                n.pos,
                format!("acknowledged `{s}` is not a date"),
            )
            .hint = Some(
                "write the last day on which the breaking change is accepted, as YYYY-MM-DD".into(),
            );
            None
        }
    }
}

pub(super) fn team<'a>(ctx: &mut Ctx<'a>, root: Node<'a>) -> Option<Team> {
    let o = ctx.obj(root, "team", TEAM_FIELDS)?;
    let name = ctx.name(&o, "team")?;
    let mut t = Team {
        name,
        loc: ctx.loc(root.pos),
        ..Default::default()
    };
    t.title = ctx.opt_string(&o, "title").unwrap_or_default();
    t.description = ctx.opt_string(&o, "description").unwrap_or_default();
    if let Some(n) = o.get("contacts") {
        if let Some(c) = ctx.obj(n, "contacts", CONTACT_FIELDS) {
            t.contacts = Contacts {
                email: ctx.opt_string(&c, "email"),
                chat: ctx.opt_string(&c, "chat"),
                issues: ctx.opt_string(&c, "issues"),
                pager: ctx.opt_string(&c, "pager"),
            };
        }
    }
    if let Some(n) = o.get("members") {
        for item in ctx.list(n, "members") {
            if let Value::String(_) = item.v {
                if let Some(name) = ctx.spanned_string(item, "members") {
                    t.members.push(Member {
                        name,
                        ..Default::default()
                    });
                }
                continue;
            }
            let Some(m) = ctx.obj(item, "member", MEMBER_FIELDS) else {
                continue;
            };
            let Some(name) = m.get("name").and_then(|n| ctx.spanned_string(n, "name")) else {
                if !m.get("name").is_some_and(is_todo_node) {
                    ctx.error("missing-field", m.pos(), "member has no `name`");
                }
                continue;
            };
            t.members.push(Member {
                name,
                email: ctx.opt_string(&m, "email"),
                role: ctx.opt_string(&m, "role"),
            });
        }
    }
    if let Some(n) = o.get("oncall") {
        if let Some(oc) = ctx.obj(n, "oncall", ONCALL_FIELDS) {
            let lead = oc.get("lead").and_then(|n| ctx.spanned_string(n, "lead"));
            let rotation = oc.get("rotation").and_then(|rn| rotation(ctx, rn));
            let feeds = oc
                .get("ical")
                .map(|n| super::feeds::feeds(ctx, n))
                .unwrap_or_default();
            t.oncall = Some(Oncall {
                rotation,
                lead,
                feeds,
            });
        }
    }
    if let Some(n) = o.get("onboarding") {
        t.onboarding = onboarding(ctx, n);
    }
    Some(t)
}

fn onboarding<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Onboarding> {
    let o = ctx.obj(n, "onboarding", ONBOARDING_FIELDS)?;
    let mut out = Onboarding {
        welcome: ctx.opt_string(&o, "welcome").unwrap_or_default(),
        steps: Vec::new(),
    };
    if let Some(sn) = o.get("steps") {
        for item in ctx.list(sn, "steps") {
            if let Value::Mapping(_) = item.v {
                let Some(step) = ctx.obj(item, "onboarding step", ONBOARDING_STEP_FIELDS) else {
                    continue;
                };
                let Some(title) = ctx.opt_string(&step, "title") else {
                    if !step.get("title").is_some_and(is_todo_node) {
                        ctx.error(
                            "missing-field",
                            step.pos(),
                            "onboarding step has no `title`",
                        )
                        .hint = Some("e.g. `title: Get an account`".into());
                    }
                    continue;
                };
                out.steps.push(OnboardingStep {
                    title,
                    details: ctx.opt_string(&step, "details").unwrap_or_default(),
                    url: ctx.opt_string(&step, "url"),
                });
            } else if let Some(title) = ctx.string(item, "steps") {
                out.steps.push(OnboardingStep {
                    title,
                    ..Default::default()
                });
            }
        }
    }
    Some(out)
}

fn rotation<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Option<Rotation> {
    let o = ctx.obj(n, "rotation", ROTATION_FIELDS)?;
    let mut ok = true;
    let start = match o.get("start") {
        Some(sn) if is_todo_node(sn) => {
            ctx.string(sn, "start");
            ok = false;
            None
        }
        Some(sn) => {
            let s = ctx.string(sn, "start").unwrap_or_default();
            let d = Date::parse(&s);
            if d.is_none() {
                ctx.error(
                    "invalid-value",
                    sn.pos,
                    format!("rotation start `{s}` is not a date"),
                )
                .hint = Some("write it as YYYY-MM-DD".into());
            }
            d
        }
        None => {
            ctx.error("missing-field", o.pos(), "rotation has no `start` date");
            None
        }
    };
    let every = match o.get("every") {
        Some(en) => {
            let s = ctx.string(en, "every").unwrap_or_default();
            let d = parse_period_days(&s);
            if d.is_none() {
                ctx.error(
                    "invalid-value",
                    en.pos,
                    format!("rotation period `{s}` is not a period"),
                )
                .hint = Some("write a number of days or weeks: `1w`, `2w`, `3d`".into());
            }
            d
        }
        None => Some(7),
    };
    let order = ctx.string_list(&o, "order");
    let all_todo = o
        .get("order")
        .is_some_and(|n| matches!(n.v, Value::Sequence(items) if !items.is_empty() && items.iter().all(|i| matches!(i, Value::String(s) if is_todo(s)))));
    if order.is_empty() && !all_todo {
        ctx.error(
            "missing-field",
            o.key_pos("order"),
            "rotation has nobody in `order`",
        );
        ok = false;
    }
    if order.is_empty() {
        ok = false;
    }
    match (start, every, ok) {
        (Some(start), Some(every_days), true) => Some(Rotation {
            start,
            every_days,
            order,
            loc: ctx.loc(o.pos()),
        }),
        _ => None,
    }
}

pub(super) fn domain<'a>(ctx: &mut Ctx<'a>, root: Node<'a>) -> Option<Domain> {
    let o = ctx.obj(root, "domain", DOMAIN_FIELDS)?;
    let name = ctx.name(&o, "domain")?;
    Some(Domain {
        name,
        title: ctx.opt_string(&o, "title").unwrap_or_default(),
        description: ctx.opt_string(&o, "description").unwrap_or_default(),
        owner: o.get("owner").and_then(|n| ctx.spanned_string(n, "owner")),
        loc: ctx.loc(root.pos),
    })
}
