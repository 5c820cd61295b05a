//! Backstage import, phase two: once every file is read, [`resolve`] maps the
//! [`BsEntity`]s of phase one (`backstage.rs`) onto native systems, teams and domains — an API
//! belongs to the components that `providesApis` it, which may be declared in another file.
//! References that resolve nowhere keep their text and location, so `validate` reports them at
//! the line that wrote them.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::backstage::{BsEntity, EntityRef};
use crate::diag::Diagnostic;
use crate::model::*;

/// What phase two adds to the catalog.
#[derive(Default)]
pub struct Mapped {
    pub systems: Vec<System>,
    pub teams: Vec<Team>,
    pub domains: Vec<Domain>,
    /// Backstage reference keys (`component:default/pkgdb`, `api:default/pkgdb-api`) → Cairn targets.
    pub refs: HashMap<String, BackstageTarget>,
}

/// Lower-case, `_`/`.` → `-`: a Backstage name as a Cairn name.
pub fn cairn_name(namespace: &str, name: &str) -> String {
    let mut base: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    base = base.trim_matches('-').to_string();
    if namespace != "default" {
        base = format!("{}-{base}", cairn_name("default", namespace));
    }
    base
}

fn lifecycle(s: Option<&str>) -> Lifecycle {
    match s.map(str::to_ascii_lowercase).as_deref() {
        Some("experimental") => Lifecycle::Experimental,
        Some("deprecated") => Lifecycle::Deprecated,
        Some("retired") => Lifecycle::Retired,
        _ => Lifecycle::Production,
    }
}

fn api_kind(t: Option<&str>) -> ApiKind {
    match t.map(str::to_ascii_lowercase).as_deref() {
        Some("openapi") => ApiKind::Rest,
        Some("asyncapi") => ApiKind::Events,
        Some("graphql") => ApiKind::Graphql,
        Some("grpc") => ApiKind::Grpc,
        _ => ApiKind::Other,
    }
}

/// Phase two: all entities → native systems, teams, domains. `taken` holds native names.
pub fn resolve(
    entities: Vec<BsEntity>,
    taken: &HashSet<String>,
    files: &[SourceFile],
    diags: &mut Vec<Diagnostic>,
) -> Mapped {
    let mut out = Mapped::default();
    let by_key: HashMap<String, usize> = entities
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key(), i))
        .collect();
    let at = |loc: Loc| {
        (
            files
                .get(loc.file as usize)
                .map(|f| f.path.as_str())
                .unwrap_or(""),
            loc.line,
            loc.col,
        )
    };
    let find = |r: &EntityRef, default_kind: &str| by_key.get(&r.key(default_kind)).copied();

    // Names: a Component keeps its name; a Resource with a Component's name is qualified.
    // Every entity's Cairn name once, and the Components' as a set: a Resource looks its name
    // up there instead of going through every entity (which made loading quadratic).
    let bases: Vec<String> = entities
        .iter()
        .map(|e| cairn_name(&e.namespace, &e.name))
        .collect();
    let component_names: HashSet<&str> = entities
        .iter()
        .zip(&bases)
        .filter(|(e, _)| e.kind == "component")
        .map(|(_, b)| b.as_str())
        .collect();
    let mut names: Vec<String> = Vec::with_capacity(entities.len());
    let mut used: HashSet<String> = taken.clone();
    for (e, base) in entities.iter().zip(&bases) {
        let base = base.clone();
        let name = match e.kind.as_str() {
            "component" | "api" | "resource" => {
                let clash = used.contains(&base)
                    || (e.kind == "resource" && component_names.contains(base.as_str()));
                if clash && e.kind != "component" {
                    format!("{}-{base}", e.kind)
                } else {
                    base
                }
            }
            _ => base,
        };
        if matches!(e.kind.as_str(), "component" | "resource") {
            used.insert(name.clone());
        }
        names.push(name);
    }

    // Teams from groups; members from spec.members and User.spec.memberOf.
    let mut team_of_group: HashMap<usize, usize> = HashMap::new();
    for (i, e) in entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == "group")
    {
        team_of_group.insert(i, out.teams.len());
        out.teams.push(Team {
            name: Spanned::new(names[i].clone(), e.name_loc),
            title: e
                .display_name
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| e.title.clone()),
            description: e.description.clone(),
            contacts: Contacts {
                email: e.email.clone(),
                ..Default::default()
            },
            loc: e.loc,
            ..Default::default()
        });
        out.refs
            .insert(e.key(), BackstageTarget::Team(names[i].clone()));
    }
    let add_member = |teams: &mut Vec<Team>, t: usize, user: &BsEntity, name: &str, loc: Loc| {
        if teams[t].members.iter().all(|m| m.name.value != name) {
            teams[t].members.push(Member {
                name: Spanned::new(name.to_string(), loc),
                email: user.email.clone(),
                role: None,
            });
        }
    };
    for (i, e) in entities.iter().enumerate() {
        match e.kind.as_str() {
            "group" => {
                for m in &e.members {
                    match find(&m.value, "user") {
                        Some(u) => add_member(
                            &mut out.teams,
                            team_of_group[&i],
                            &entities[u],
                            &names[u],
                            m.loc,
                        ),
                        None => {
                            let (f, l, c) = at(m.loc);
                            diags.push(
                                Diagnostic::warning(
                                    "unknown-user",
                                    f,
                                    l,
                                    c,
                                    format!("member `{}` is not a User in the catalog", m.value),
                                )
                                .refers_to(&m.value.name),
                            );
                        }
                    }
                }
            }
            "user" => {
                for g in &e.member_of {
                    match find(&g.value, "group").and_then(|gi| team_of_group.get(&gi)) {
                        Some(&t) => add_member(&mut out.teams, t, e, &names[i], e.name_loc),
                        None => {
                            let (f, l, c) = at(g.loc);
                            diags.push(
                                Diagnostic::warning(
                                    "unknown-team",
                                    f,
                                    l,
                                    c,
                                    format!("group `{}` is not in the catalog", g.value),
                                )
                                .refers_to(&g.value.name),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // The owner of something, as a Cairn team name. Users map to their first group.
    let owner_of = |e: &BsEntity| -> Option<Spanned<String>> {
        let r = e.owner.as_ref()?;
        let resolved = match find(&r.value, "group") {
            Some(g) if entities[g].kind == "group" => Some(names[g].clone()),
            Some(u) if entities[u].kind == "user" => entities[u]
                .member_of
                .iter()
                .find_map(|g| find(&g.value, "group"))
                .map(|g| names[g].clone()),
            _ => None,
        };
        // Unresolved: keep the reference text so validation reports it where it was written.
        Some(Spanned::new(
            resolved.unwrap_or_else(|| r.value.to_string()),
            r.loc,
        ))
    };

    // Domains from Backstage Systems and Domains.
    for (i, e) in entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == "system" || e.kind == "domain")
    {
        let mut description = e.description.clone();
        if let Some(d) = &e.domain {
            description = format!("{description} (part of domain {})", d.value.name)
                .trim()
                .to_string();
        }
        out.domains.push(Domain {
            name: Spanned::new(names[i].clone(), e.name_loc),
            title: e.title.clone(),
            description,
            owner: owner_of(e),
            loc: e.loc,
        });
        out.refs
            .insert(e.key(), BackstageTarget::Domain(names[i].clone()));
    }

    // APIs: who provides each.
    let mut providers: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, e) in entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == "component" || e.kind == "resource")
    {
        for r in &e.provides_apis {
            match find(&r.value, "api").filter(|&a| entities[a].kind == "api") {
                Some(a) => providers.entry(a).or_default().push(i),
                None => {
                    let (f, l, c) = at(r.loc);
                    diags.push(
                        Diagnostic::warning(
                            "unknown-api",
                            f,
                            l,
                            c,
                            format!("providesApis `{}` is not in the catalog", r.value),
                        )
                        .refers_to(&r.value.name),
                    );
                }
            }
        }
    }
    let make_api = |a: usize, loc: Loc| -> Api {
        let e = &entities[a];
        Api {
            name: Spanned::new(names[a].clone(), loc),
            version: 1,
            kind: api_kind(e.spec_type.as_deref()),
            description: e.description.clone(),
            spec: None,
            endpoints: e
                .endpoints
                .iter()
                .cloned()
                .map(|mut ep| {
                    ep.loc = e.loc;
                    ep
                })
                .collect(),
            lifecycle: lifecycle(e.lifecycle.as_deref()),
            sunset: None,
            consumers: Vec::new(),
            loc,
        }
    };

    // Systems from Components and Resources.
    let mut system_of: HashMap<usize, usize> = HashMap::new();
    for (i, e) in entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == "component" || e.kind == "resource")
    {
        let mut tags = e.tags.clone();
        if let Some(t) = &e.spec_type {
            tags.push(t.clone());
        }
        if e.kind == "resource" {
            tags.push("resource".into());
        }
        let repo = e
            .annotations
            .get("github.com/project-slug")
            .map(|s| format!("https://github.com/{s}"));
        let (support, runbook) = cairn_annotations(e);
        let mut s = System {
            tier: e.tier,
            support,
            runbook,
            name: Spanned::new(names[i].clone(), e.name_loc),
            title: e.title.clone(),
            description: e.description.clone(),
            owner: owner_of(e),
            domain: e.system.as_ref().map(|r| {
                let d = find(&r.value, "system")
                    .map(|d| names[d].clone())
                    .unwrap_or_else(|| r.value.to_string());
                Spanned::new(d, r.loc)
            }),
            lifecycle: lifecycle(e.lifecycle.as_deref()),
            tags,
            repo,
            links: e.links.clone(),
            annotations: e.annotations.clone(),
            labels: e.labels.clone(),
            loc: e.loc,
            ..Default::default()
        };
        for r in &e.provides_apis {
            if let Some(a) = find(&r.value, "api").filter(|&a| entities[a].kind == "api") {
                s.provides.push(make_api(a, r.loc));
            }
        }
        for r in &e.depends_on {
            let name = find(&r.value, "component")
                .map(|d| names[d].clone())
                .unwrap_or_else(|| r.value.to_string());
            s.depends_on.push(Spanned::new(name, r.loc));
        }
        system_of.insert(i, out.systems.len());
        out.refs
            .insert(e.key(), BackstageTarget::System(names[i].clone()));
        out.systems.push(s);
    }
    // An API nobody provides still exists, owned by its owner.
    for (a, e) in entities.iter().enumerate().filter(|(_, e)| e.kind == "api") {
        let provs: Vec<String> = providers
            .get(&a)
            .map(|p| p.iter().map(|&i| names[i].clone()).collect())
            .unwrap_or_default();
        if provs.is_empty() {
            let mut sys_name = names[a].clone();
            if used.contains(&sys_name) {
                sys_name = format!("api-{sys_name}");
            }
            used.insert(sys_name.clone());
            out.systems.push(System {
                name: Spanned::new(sys_name.clone(), e.name_loc),
                title: e.title.clone(),
                description: e.description.clone(),
                owner: owner_of(e),
                domain: e.system.as_ref().map(|r| {
                    Spanned::new(
                        find(&r.value, "system")
                            .map(|d| names[d].clone())
                            .unwrap_or_else(|| r.value.to_string()),
                        r.loc,
                    )
                }),
                lifecycle: lifecycle(e.lifecycle.as_deref()),
                tags: e.tags.iter().cloned().chain(["api".to_string()]).collect(),
                links: e.links.clone(),
                annotations: e.annotations.clone(),
                labels: e.labels.clone(),
                provides: vec![make_api(a, e.name_loc)],
                loc: e.loc,
                ..Default::default()
            });
            out.refs.insert(
                e.key(),
                BackstageTarget::Api {
                    name: names[a].clone(),
                    providers: vec![sys_name],
                },
            );
        } else {
            out.refs.insert(
                e.key(),
                BackstageTarget::Api {
                    name: names[a].clone(),
                    providers: provs,
                },
            );
        }
    }
    // Consumption, reverse dependencies and subcomponents, now that every system exists.
    for (i, e) in entities.iter().enumerate() {
        let Some(&si) = system_of.get(&i) else {
            continue;
        };
        for r in &e.consumes_apis {
            match find(&r.value, "api").and_then(|a| out.refs.get(&entities[a].key()).cloned()) {
                Some(BackstageTarget::Api { name, providers }) => {
                    for p in providers {
                        out.systems[si].consumes.push(Consumption {
                            api: Spanned::new(
                                ApiRef {
                                    system: p,
                                    api: Some(name.clone()),
                                    version: None,
                                },
                                r.loc,
                            ),
                            uses: None,
                            notes: None,
                            acknowledged: None,
                            loc: r.loc,
                        });
                    }
                }
                _ => {
                    let (f, l, c) = at(r.loc);
                    diags.push(
                        Diagnostic::warning(
                            "unknown-api",
                            f,
                            l,
                            c,
                            format!("consumesApis `{}` is not in the catalog", r.value),
                        )
                        .refers_to(&r.value.name),
                    );
                }
            }
        }
        for r in &e.dependency_of {
            match find(&r.value, "component").and_then(|d| system_of.get(&d)) {
                Some(&di) => {
                    let me = out.systems[si].name.value.clone();
                    out.systems[di].depends_on.push(Spanned::new(me, r.loc));
                }
                None => {
                    let (f, l, c) = at(r.loc);
                    diags.push(
                        Diagnostic::warning(
                            "unknown-system",
                            f,
                            l,
                            c,
                            format!("dependencyOf `{}` is not in the catalog", r.value),
                        )
                        .refers_to(&r.value.name),
                    );
                }
            }
        }
        if let Some(r) = &e.subcomponent_of {
            match find(&r.value, "component").and_then(|d| system_of.get(&d)) {
                // The parent is made of its subcomponents: a change to one affects the parent.
                Some(&pi) => {
                    let me = out.systems[si].name.value.clone();
                    out.systems[pi].depends_on.push(Spanned::new(me, r.loc));
                }
                None => {
                    let (f, l, c) = at(r.loc);
                    diags.push(
                        Diagnostic::warning(
                            "unknown-system",
                            f,
                            l,
                            c,
                            format!("subcomponentOf `{}` is not in the catalog", r.value),
                        )
                        .refers_to(&r.value.name),
                    );
                }
            }
        }
    }
    out
}

/// What Cairn reads from a Component's or Resource's annotations beyond the ones Backstage
/// defines (docs/backstage.md, "Cairn's annotations"): `cairn/support-<fact>` (a support fact:
/// `cairn/support-version`, `-database`, `-logs`, ...) and `cairn/runbook` (an `http(s)://`
/// URL, or the file checked at parse time into [`BsEntity::runbook_path`]). `cairn/tier` was
/// checked at parse time too ([`BsEntity::tier`]).
fn cairn_annotations(e: &BsEntity) -> (BTreeMap<String, String>, Option<Spanned<DocRef>>) {
    let mut support = BTreeMap::new();
    let mut runbook = None;
    for (k, v) in &e.annotations {
        let v = v.trim();
        if let Some(fact) = k.strip_prefix("cairn/support-") {
            if !fact.is_empty() && !v.is_empty() {
                support.insert(fact.to_string(), v.to_string());
            }
        } else if k == "cairn/runbook" && (v.starts_with("https://") || v.starts_with("http://")) {
            runbook = Some(Spanned::new(DocRef::Url(v.to_string()), e.loc));
        }
    }
    if let Some(p) = &e.runbook_path {
        runbook = Some(Spanned::new(DocRef::Path(p.value.clone()), p.loc));
    }
    (support, runbook)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_cairn_names() {
        assert_eq!(cairn_name("default", "Artist_Web.v2"), "artist-web-v2");
        assert_eq!(cairn_name("ops", "db"), "ops-db");
    }
}
