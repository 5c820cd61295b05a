//! Server-rendered HTML pages (askama templates in `templates/`). Each template's context
//! struct sits next to its handler. Every page works without JavaScript; catalog text is
//! escaped by askama, Markdown is sanitised by `crate::docs`, snippets are escaped by the
//! search engine before highlighting, SVG text is escaped by `svg`.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use askama::Template;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::api::{self, params, Params};
use super::assets::{CSS_URL, JS_URL};
use super::svg::{self, GEdge, GNode, GraphStyle};
use super::{AppError, AppState, Live};
use crate::date::Date;
use crate::diag::{closest, Severity};
use crate::drift;
use crate::graph::Via;
use crate::model::{Catalog, DocRef, Lifecycle, System};
use crate::oncall::{on_call, OnCall};
use crate::report;
use crate::search::SearchOptions;
use crate::views::{self, ConsumerView};

/// What every page's layout needs.
pub struct Layout {
    pub title: String,
    pub css: &'static str,
    pub js: &'static str,
    pub banner: Option<Banner>,
    pub generation: u64,
    pub loaded: String,
    pub query: String,
    pub nav: &'static str,
    pub version: &'static str,
}

pub struct Banner {
    pub serious: bool,
    pub message: String,
    pub items: Vec<String>,
    pub more: usize,
}

pub(super) fn layout(live: &Live, title: impl Into<String>, nav: &'static str) -> Layout {
    let snap = &live.snapshot;
    let banner = match &live.broken {
        Some(b) => Some(Banner {
            serious: true,
            message: format!(
                "The catalog cannot be read ({}); serving the last catalog that could be.",
                b.load_error
            ),
            more: 0,
            items: Vec::new(),
        }),
        None if snap.catalog.errors() > 0 => Some(errors_banner(&snap.catalog)),
        None => None,
    };
    Layout {
        title: title.into(),
        css: CSS_URL,
        js: JS_URL,
        banner,
        generation: snap.generation,
        loaded: ago(snap.loaded_at),
        query: String::new(),
        nav,
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The banner of a catalog with errors: the files held back first (each with the error that
/// holds it, so a syntax error is never hidden behind what follows from it), then the other
/// errors, root causes first (`diag::sort`), consequences left to `/api/v1/diagnostics`.
fn errors_banner(c: &crate::model::Catalog) -> Banner {
    use crate::model::HeldAs;
    let mut items: Vec<String> = c
        .held
        .iter()
        .map(|h| {
            let how = match h.served {
                HeldAs::LastGood => format!(
                    "held back since {}, its last good version is served",
                    ago(h.since)
                ),
                HeldAs::AsRead => {
                    "never loaded without errors, served as far as it could be read".to_string()
                }
                HeldAs::LeftOut => "left out".to_string(),
            };
            format!(
                "{}: {how}: {}:{}: {}",
                h.path, h.cause.line, h.cause.column, h.cause.message
            )
        })
        .collect();
    let errors = c.errors();
    items.extend(
        c.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.cause.is_none())
            .filter(|d| c.held_file(&d.file).is_none())
            .map(|d| format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message)),
    );
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let message = match c.held.len() {
        0 => format!(
            "The catalog has {errors} error{}: some entries may be incomplete.",
            s(errors)
        ),
        n => format!(
            "The catalog has {errors} error{}; {n} file{} with errors of {} own {} served as listed below, every other file as it is now.",
            s(errors),
            s(n),
            if n == 1 { "its" } else { "their" },
            if n == 1 { "is" } else { "are" },
        ),
    };
    Banner {
        serious: true,
        message,
        more: items.len().saturating_sub(8),
        items: items.into_iter().take(8).collect(),
    }
}

pub(super) fn ago(t: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86399 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86400),
    }
}

pub(super) fn render<T: Template>(t: &T) -> Result<Response, AppError> {
    let html = t.render().map_err(AppError::internal)?;
    Ok(Html(html).into_response())
}

pub(super) fn tier_label(t: Option<u8>) -> String {
    match t {
        Some(1) => "tier 1 · essential".into(),
        Some(3) => "tier 3 · leaf".into(),
        Some(t) => format!("tier {t}"),
        None => "no tier".into(),
    }
}

pub(super) fn oncall_text(o: &Option<OnCall>) -> String {
    o.as_ref().map(report::oncall_text).unwrap_or_default()
}

// ---------------------------------------------------------------- home

/// A system as a small card or row.
pub struct SystemCard {
    pub name: String,
    pub title: String,
    pub description: String,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
    pub owner: String,
}

pub(super) fn card(s: &System) -> SystemCard {
    let mut description: String = s.description.chars().take(140).collect();
    if s.description.chars().count() > 140 {
        description.push('…');
    }
    SystemCard {
        name: s.name.value.clone(),
        title: s.display_title().to_string(),
        description,
        tier: s.tier,
        lifecycle: s.lifecycle.as_str(),
        owner: s.owner_name().unwrap_or("").to_string(),
    }
}

pub struct DomainBlock {
    pub name: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub systems: Vec<SystemCard>,
}

pub struct TeamRow {
    pub name: String,
    pub title: String,
    pub systems: usize,
    pub oncall: String,
    pub email: String,
}

pub struct FileRow {
    pub path: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub domains: Vec<DomainBlock>,
    pub teams: Vec<TeamRow>,
    pub essential: Vec<SystemCard>,
    pub counts: Vec<(&'static str, usize)>,
    pub errors: usize,
    pub warnings: usize,
    pub recent: Vec<FileRow>,
}

pub async fn home(State(st): State<AppState>) -> Result<Response, AppError> {
    let live = st.live();
    let c = &live.snapshot.catalog;
    let today = Date::today();
    let mut domains: Vec<DomainBlock> = c
        .domains
        .iter()
        .map(|d| DomainBlock {
            name: d.name.value.clone(),
            title: if d.title.is_empty() {
                d.name.value.clone()
            } else {
                d.title.clone()
            },
            description: d.description.clone(),
            owner: d
                .owner
                .as_ref()
                .map(|o| o.value.clone())
                .unwrap_or_default(),
            systems: Vec::new(),
        })
        .collect();
    let mut other = Vec::new();
    for s in &c.systems {
        let slot = s
            .domain
            .as_ref()
            .and_then(|d| domains.iter_mut().find(|b| b.name == d.value));
        match slot {
            Some(b) => b.systems.push(card(s)),
            None => other.push(card(s)),
        }
    }
    if !other.is_empty() {
        domains.push(DomainBlock {
            name: String::new(),
            title: "Other systems".into(),
            description: "Systems without a domain.".into(),
            owner: String::new(),
            systems: other,
        });
    }
    for d in &mut domains {
        d.systems
            .sort_by(|a, b| (a.tier.unwrap_or(9), &a.name).cmp(&(b.tier.unwrap_or(9), &b.name)));
    }
    let teams = c
        .teams
        .iter()
        .map(|t| TeamRow {
            name: t.name.value.clone(),
            title: t.display_title().to_string(),
            systems: c.systems_owned_by(&t.name.value).count(),
            oncall: on_call(t, today)
                .and_then(|o| o.primary)
                .unwrap_or_default(),
            email: t.contacts.email.clone().unwrap_or_default(),
        })
        .collect();
    let mut essential: Vec<SystemCard> = c
        .systems
        .iter()
        .filter(|s| s.tier == Some(1))
        .map(|s| card(s))
        .collect();
    essential.sort_by(|a, b| a.name.cmp(&b.name));
    let endpoints: usize = c
        .systems
        .iter()
        .flat_map(|s| &s.provides)
        .map(|a| a.endpoints.len())
        .sum();
    let mut files: Vec<&crate::model::SourceFile> = c.files.iter().collect();
    files.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.path.cmp(&b.path)));
    let recent = files
        .iter()
        .take(8)
        .map(|f| FileRow {
            path: f.path.clone(),
            when: f.modified.map(ago).unwrap_or_default(),
        })
        .collect();
    render(&HomePage {
        layout: layout(&live, "Overview", "home"),
        domains,
        teams,
        essential,
        counts: vec![
            ("systems", c.systems.len()),
            ("APIs", c.api_count()),
            ("endpoints", endpoints),
            ("teams", c.teams.len()),
            ("domains", c.domains.len()),
        ],
        errors: c.errors(),
        warnings: c.warnings(),
        recent,
    })
}

// ---------------------------------------------------------------- system

pub struct ApiBlock {
    pub anchor: String,
    pub reference: String,
    pub kind: &'static str,
    pub description: String,
    pub lifecycle: &'static str,
    pub sunset: String,
    pub spec: String,
    pub endpoints: Vec<views::EndpointView>,
    pub consumers: Vec<ConsumerView>,
    /// All consumers, of which `consumers` lists the first [`MAX_ROWS`].
    pub consumers_total: usize,
    pub impact_url: String,
}

pub struct DepRow {
    pub system: String,
    pub what: String,
    pub detail: String,
    pub owner: String,
    pub known: bool,
    /// Declared, but not seen in observed traffic although both ends are (see `drift`).
    pub stale: bool,
}

pub struct DocBlock {
    pub label: String,
    pub path: String,
    pub html: String,
    pub toc: Vec<crate::docs::TocEntry>,
}

pub struct IlityRow {
    pub name: String,
    pub rating: Option<u8>,
    pub html: String,
}

#[derive(Template)]
#[template(path = "system.html")]
pub struct SystemPage {
    pub layout: Layout,
    pub s: views::SystemView,
    pub tier_label: String,
    pub owner_oncall: String,
    pub apis: Vec<ApiBlock>,
    pub uses: Vec<DepRow>,
    pub used_by: Vec<DepRow>,
    pub picture: String,
    pub docs: Vec<DocBlock>,
    pub runbook_url: String,
    pub ilities: Vec<IlityRow>,
    pub impact_url: String,
    /// (label, text, href — empty when the URL is not a web link).
    pub links: Vec<(String, String, String)>,
    /// Dependents not listed in `used_by` (see the impact report for all).
    pub more_dependents: usize,
    /// Observed callers, when the server has observed traffic.
    pub observed: Option<ObservedBlock>,
    /// `None` for systems that are not scored (retired).
    pub readiness: Option<super::readiness::SystemReadiness>,
    /// Set when the system's file has errors and its last good version is shown: why.
    pub held: Option<String>,
}

pub struct ObservedBlock {
    /// The first [`MAX_ROWS`] callers, most calls first.
    pub callers: Vec<drift::ObservedCaller>,
    /// Callers not listed (the JSON API lists them all).
    pub more: usize,
    /// The sources, comma-separated.
    pub sources: String,
    /// Why the last re-read failed (the previous read is shown), or empty.
    pub error: String,
}

pub async fn system(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(sys) = c.system_by_name_or_alias(&name) else {
        return Err(not_found_error(c, &name, "system"));
    };
    if sys.name.value != name {
        // An alias: send people to the canonical page.
        return Ok(
            axum::response::Redirect::permanent(&format!("/systems/{}", sys.name.value))
                .into_response(),
        );
    }
    let idx = c
        .system_id(&name)
        .ok_or_else(|| AppError::internal("indexed system missing"))?;
    let today = Date::today();
    let v = views::system_view(c, &snap.graph, idx, today);
    let apis = v
        .provides
        .iter()
        .map(|a| ApiBlock {
            anchor: format!("api-{}-v{}", a.name, a.version),
            reference: a.reference.clone(),
            kind: a.kind,
            description: a.description.clone(),
            lifecycle: a.lifecycle,
            sunset: a.sunset.clone().unwrap_or_default(),
            spec: a.spec.clone().unwrap_or_default(),
            endpoints: a.endpoints.clone(),
            consumers: a.consumers.iter().take(MAX_ROWS).cloned().collect(),
            consumers_total: a.consumers.len(),
            impact_url: format!("/impact?target={}", urlencode(&a.reference)),
        })
        .collect();
    let mut uses = Vec::new();
    for k in &sys.consumes {
        let known = c.system(&k.api.system).is_some();
        uses.push(DepRow {
            system: k.api.system.clone(),
            what: format!("consumes {}", k.api.value),
            detail: match (&k.uses, &k.notes) {
                (Some(u), _) => format!(
                    "uses {}",
                    u.iter()
                        .map(|e| e.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                (None, Some(n)) => n.clone(),
                (None, None) => "all endpoints / unknown".into(),
            },
            owner: c
                .system(&k.api.system)
                .and_then(|s| s.owner_name())
                .unwrap_or("")
                .to_string(),
            known,
            stale: false,
        });
    }
    for d in &sys.depends_on {
        uses.push(DepRow {
            system: d.value.clone(),
            what: "depends on".into(),
            detail: String::new(),
            owner: c
                .system(&d.value)
                .and_then(|s| s.owner_name())
                .unwrap_or("")
                .to_string(),
            known: c.system(&d.value).is_some(),
            stale: false,
        });
    }
    let observed = snap.evidence.as_ref().map(|ev| {
        let mut callers = drift::observed_callers(c, &snap.graph, ev, idx);
        let more = callers.len().saturating_sub(MAX_ROWS);
        callers.truncate(MAX_ROWS);
        ObservedBlock {
            callers,
            more,
            sources: ev
                .sources
                .iter()
                .map(|s| s.source.clone())
                .collect::<Vec<_>>()
                .join(", "),
            error: snap.observed_error.clone().unwrap_or_default(),
        }
    });
    let stale_callers: Vec<String> = snap
        .evidence
        .as_ref()
        .map(|ev| {
            drift::stale_into(c, &snap.graph, ev, idx)
                .into_iter()
                .map(|s| s.caller)
                .collect()
        })
        .unwrap_or_default();
    let mut used_by: Vec<DepRow> = Vec::new();
    let mut more_dependents = 0;
    for l in snap.graph.dependents(idx) {
        if used_by.len() >= MAX_ROWS {
            more_dependents += 1;
            continue;
        }
        // One row per dependent: its own declaration (sorted first) wins over the provider's listing.
        if used_by
            .last()
            .is_some_and(|r| r.system == c.systems[l.system as usize].name.value)
        {
            continue;
        }
        let dep = &c.systems[l.system as usize];
        let what = match l.via {
            Via::Consumes { api } => format!(
                "consumes {}",
                sys.provides[api as usize].reference(&sys.name.value)
            ),
            Via::Listed { api } => format!(
                "listed as consumer of {}",
                sys.provides[api as usize].reference(&sys.name.value)
            ),
            Via::DependsOn => "depends on it".into(),
        };
        used_by.push(DepRow {
            stale: stale_callers.contains(&dep.name.value),
            system: dep.name.value.clone(),
            what,
            detail: tier_label(dep.tier),
            owner: dep.owner_name().unwrap_or("").to_string(),
            known: true,
        });
    }
    // Rendered once per snapshot, on a blocking thread (never on the async workers).
    let paths: Vec<String> = sys
        .docs
        .iter()
        .map(|d| d.value.clone())
        .chain(match sys.runbook.as_ref().map(|r| &r.value) {
            Some(DocRef::Path(p)) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let rendered: std::collections::HashMap<String, std::sync::Arc<crate::docs::RenderedDoc>> = {
        let snap = live.snapshot.clone();
        tokio::task::spawn_blocking(move || {
            paths
                .into_iter()
                .filter_map(|p| snap.rendered(&p).map(|r| (p, r)))
                .collect()
        })
        .await
        .map_err(AppError::internal)?
    };
    let mut docs = Vec::new();
    for d in &sys.docs {
        if let Some(r) = rendered.get(&d.value) {
            docs.push(DocBlock {
                label: r.title.clone().unwrap_or_else(|| d.value.clone()),
                path: d.value.clone(),
                html: r.html.clone(),
                toc: r.toc.clone(),
            });
        }
    }
    let mut runbook_url = String::new();
    match sys.runbook.as_ref().map(|r| &r.value) {
        Some(DocRef::Path(p)) => {
            if let Some(r) = rendered.get(p) {
                docs.push(DocBlock {
                    label: "Runbook".into(),
                    path: p.clone(),
                    html: r.html.clone(),
                    toc: r.toc.clone(),
                });
                runbook_url = format!("/docs/{p}");
            }
        }
        Some(DocRef::Url(u)) => runbook_url = safe_url(u),
        None => {}
    }
    let ilities = v
        .ilities
        .iter()
        .map(|(k, i)| IlityRow {
            name: k.clone(),
            rating: i.rating,
            html: crate::docs::render(&i.notes).html,
        })
        .collect();
    let picture = neighbourhood_svg(c, &snap.graph, idx);
    let mut links = Vec::new();
    if let Some(r) = &v.repo {
        links.push(("repo".to_string(), r.clone(), safe_url(r)));
    }
    for (k, u) in &v.environments {
        links.push((k.clone(), u.clone(), safe_url(u)));
    }
    for l in &v.links {
        links.push((
            l.kind.clone().unwrap_or_else(|| "link".into()),
            l.title.clone(),
            safe_url(&l.url),
        ));
    }
    let owner_oncall = v
        .owner
        .as_ref()
        .map(|o| oncall_text(&o.oncall))
        .unwrap_or_default();
    use crate::model::HeldAs;
    let held = c.held_file(c.file_path(sys.loc.file)).map(|h| {
        let shown = match h.served {
            HeldAs::LastGood => format!(
                "this page shows its last good version (held back since {})",
                ago(h.since)
            ),
            _ => "this page shows what could be read of it".to_string(),
        };
        format!(
            "{} has {} error{}: {shown}. First error, line {}, column {}: {}",
            h.path,
            h.errors,
            if h.errors == 1 { "" } else { "s" },
            h.cause.line,
            h.cause.column,
            h.cause.message
        )
    });
    render(&SystemPage {
        held,
        layout: layout(&live, sys.display_title().to_string(), "systems"),
        tier_label: tier_label(v.tier),
        owner_oncall,
        apis,
        uses,
        used_by,
        picture,
        docs,
        runbook_url,
        ilities,
        impact_url: format!("/impact?target={}", urlencode(&v.name)),
        links,
        observed,
        more_dependents,
        readiness: snap
            .readiness
            .get(idx)
            .and_then(Option::as_ref)
            .map(|r| super::readiness::system_readiness(c, r)),
        s: v,
    })
}

/// Long lists on a page stop here and point to the full report.
const MAX_ROWS: usize = 60;

/// Links from catalog data only when they are web or mail links.
pub fn safe_url(u: &str) -> String {
    let t = u.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
    {
        t.to_string()
    } else {
        String::new()
    }
}

/// What [`urlencode`] leaves as it is: ASCII letters and digits and `-_.~/@`, so a system name, a
/// doc path or an API reference (`system/api@version`) reads as itself in a link. Every other
/// byte, every byte of a non-ASCII character among them, becomes `%XX` (upper-case hex). Not
/// askama's `urlencode` filter: that one encodes `@`, and these links are built in Rust anyway.
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b'@');

/// `s` percent-encoded for a path or a query value (see [`URL_KEEP`]).
pub fn urlencode(s: &str) -> String {
    utf8_percent_encode(s, URL_KEEP).to_string()
}

/// Upstream and downstream, two levels each, laid out in five columns.
fn neighbourhood_svg(c: &Catalog, g: &crate::graph::Graph, idx: usize) -> String {
    const PER_COLUMN: usize = 14;
    let mut nodes: Vec<GNode> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    let mut edges = Vec::new();
    let add = |nodes: &mut Vec<GNode>,
               index: &mut HashMap<usize, usize>,
               s: usize,
               layer: i32|
     -> usize {
        *index.entry(s).or_insert_with(|| {
            let sys = &c.systems[s];
            nodes.push(GNode {
                label: sys.name.value.clone(),
                sublabel: format!(
                    "{} · {}",
                    sys.tier
                        .map(|t| format!("tier {t}"))
                        .unwrap_or_else(|| "no tier".into()),
                    sys.owner_name().unwrap_or("no owner")
                ),
                href: Some(format!("/systems/{}", sys.name.value)),
                class: format!(
                    "tier-{}{}",
                    sys.tier.unwrap_or(0),
                    if s == idx { " focus" } else { "" }
                ),
                group: None,
                layer: Some(layer),
                title: sys.display_title().to_string(),
            });
            nodes.len() - 1
        })
    };
    let me = add(&mut nodes, &mut index, idx, 0);
    let mut more_up = 0;
    let mut more_down = 0;
    // Downstream: dependents (to the left, they point at us). Upstream: dependencies (right).
    let mut level1_down = Vec::new();
    for l in g.dependents(idx).iter() {
        let s = l.system as usize;
        if index.contains_key(&s) {
            continue;
        }
        if level1_down.len() >= PER_COLUMN {
            more_down += 1;
            continue;
        }
        let n = add(&mut nodes, &mut index, s, -1);
        edges.push(GEdge {
            from: n,
            to: me,
            label: None,
            dashed: l.via == Via::DependsOn,
            class: String::new(),
        });
        level1_down.push(s);
    }
    let mut level1_up = Vec::new();
    for l in g.dependencies(idx).iter() {
        let s = l.system as usize;
        if index.contains_key(&s) {
            continue;
        }
        if level1_up.len() >= PER_COLUMN {
            more_up += 1;
            continue;
        }
        let n = add(&mut nodes, &mut index, s, 1);
        edges.push(GEdge {
            from: me,
            to: n,
            label: None,
            dashed: l.via == Via::DependsOn,
            class: String::new(),
        });
        level1_up.push(s);
    }
    let mut count2 = 0;
    for &s in &level1_down {
        for l in g.dependents(s) {
            let t = l.system as usize;
            if index.contains_key(&t) || count2 >= PER_COLUMN {
                continue;
            }
            let n = add(&mut nodes, &mut index, t, -2);
            edges.push(GEdge {
                from: n,
                to: index[&s],
                label: None,
                dashed: l.via == Via::DependsOn,
                class: "far".into(),
            });
            count2 += 1;
        }
    }
    let mut count2 = 0;
    for &s in &level1_up {
        for l in g.dependencies(s) {
            let t = l.system as usize;
            if index.contains_key(&t) || count2 >= PER_COLUMN {
                continue;
            }
            let n = add(&mut nodes, &mut index, t, 2);
            edges.push(GEdge {
                from: index[&s],
                to: n,
                label: None,
                dashed: l.via == Via::DependsOn,
                class: "far".into(),
            });
            count2 += 1;
        }
    }
    if more_down > 0 {
        nodes.push(GNode {
            label: format!("+{more_down} more"),
            sublabel: "dependents".into(),
            href: Some(format!(
                "/impact?target={}",
                urlencode(&c.systems[idx].name.value)
            )),
            class: "more".into(),
            group: None,
            layer: Some(-1),
            title: "See the impact report for all of them".into(),
        });
    }
    if more_up > 0 {
        nodes.push(GNode {
            label: format!("+{more_up} more"),
            sublabel: "dependencies".into(),
            href: None,
            class: "more".into(),
            group: None,
            layer: Some(1),
            title: String::new(),
        });
    }
    svg::render(&nodes, &edges, &GraphStyle::default())
}

// ---------------------------------------------------------------- team

#[derive(Template)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub layout: Layout,
    pub t: views::TeamView,
    pub oncall_until: String,
    pub systems: Vec<SystemCard>,
    pub contacts: Vec<(String, String, String)>,
    pub oncall_view: views::TeamOncallView,
    pub readiness: Vec<super::readiness::ScoreRow>,
    pub readiness_bar: super::readiness::Bar,
    /// Always false here: every row is the team's own.
    pub show_owner: bool,
}

pub async fn team(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(idx) = c.teams.iter().position(|t| t.name.value == name) else {
        // An owner that is not in the files (an org-directory group): say so, and list what it
        // owns, rather than a bare "no such team".
        let owned: Vec<String> = c
            .systems_owned_by(&name)
            .map(|s| s.name.value.clone())
            .take(50)
            .collect();
        if !owned.is_empty() {
            return Err(AppError::not_found(
                format!(
                    "“{name}” is not in the catalog (owners often live in the organisation's directory); it is named as the owner of the systems below"
                ),
                owned,
            ));
        }
        return Err(not_found_error(c, &name, "team"));
    };
    let today = Date::today();
    let v = views::team_view(c, &snap.graph, idx, today);
    let systems = c.systems_owned_by(&name).map(card).collect();
    let owned: Vec<usize> = (0..c.systems.len())
        .filter(|&i| c.systems[i].owner_name() == Some(name.as_str()))
        .collect();
    let readiness = super::readiness::score_rows(snap, owned.iter().copied());
    let sc = crate::score::effective(c).scorecard;
    let mut counts: Vec<(Option<usize>, usize)> = std::iter::once(None)
        .chain((0..sc.levels.len()).map(Some))
        .map(|l| (l, 0))
        .collect();
    for r in owned.iter().filter_map(|&i| snap.readiness[i].as_ref()) {
        counts[r.level.map_or(0, |l| l + 1)].1 += 1;
    }
    let contacts = v
        .contacts
        .iter()
        .map(|(k, val)| {
            let href = match *k {
                "email" => format!("mailto:{val}"),
                _ => safe_url(val),
            };
            (k.to_string(), val.clone(), href)
        })
        .collect();
    render(&TeamPage {
        layout: layout(&live, v.title.clone(), "teams"),
        oncall_until: v
            .oncall
            .as_ref()
            .and_then(|o| o.until.clone())
            .unwrap_or_default(),
        systems,
        contacts,
        oncall_view: views::team_oncall(c, &c.teams[idx], today),
        readiness,
        readiness_bar: super::readiness::bar(sc, &counts),
        show_owner: false,
        t: v,
    })
}

// ---------------------------------------------------------------- search

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub name: String,
    pub links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub results: Vec<crate::search::SearchHit>,
    pub total: usize,
    pub facets: Vec<FacetGroup>,
    pub prev: String,
    pub next: String,
    pub first: usize,
    pub last: usize,
}

pub async fn search(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let query: String = q
        .get("q")
        .map(|s| s.chars().take(1000).collect())
        .unwrap_or_default();
    let offset = api::number::<usize>(&q, "offset")?.unwrap_or(0).min(10_000);
    let limit = 20;
    let live = st.live();
    let resp = live
        .snapshot
        .search(&query, &SearchOptions { limit, offset });
    let mut facets = Vec::new();
    for (name, values) in &resp.facets {
        let mut links: Vec<FacetLink> = values
            .iter()
            .map(|(value, count)| {
                let filter = format!("{name}:{value}");
                let active = query.split_whitespace().any(|w| w == filter);
                let new_q = if active {
                    query
                        .split_whitespace()
                        .filter(|w| *w != filter)
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    format!("{} {filter}", query.trim()).trim().to_string()
                };
                FacetLink {
                    label: value.clone(),
                    count: *count,
                    url: format!("/search?q={}", urlencode(&new_q)),
                    active,
                }
            })
            .collect();
        links.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        links.truncate(12);
        if !links.is_empty() {
            facets.push(FacetGroup {
                name: name.clone(),
                links,
            });
        }
    }
    let page_url = |off: usize| format!("/search?q={}&offset={off}", urlencode(&query));
    let l = layout(
        &live,
        if query.is_empty() {
            "Search".to_string()
        } else {
            format!("{query} — search")
        },
        "search",
    );
    render(&SearchPage {
        layout: l,
        first: offset + 1,
        last: offset + resp.results.len(),
        prev: if offset > 0 {
            page_url(offset.saturating_sub(limit))
        } else {
            String::new()
        },
        next: if offset + limit < resp.total {
            page_url(offset + limit)
        } else {
            String::new()
        },
        q: query,
        total: resp.total,
        results: resp.results.clone(),
        facets,
    })
}

// ---------------------------------------------------------------- impact

pub struct AffectedRow {
    pub system: String,
    pub depth: u32,
    pub path: String,
    pub via: String,
    pub unknown: bool,
    pub owner: String,
    pub tier: Option<u8>,
    pub oncall: String,
}

pub struct DepthGroup {
    pub title: String,
    pub rows: Vec<AffectedRow>,
}

#[derive(Template)]
#[template(path = "impact.html")]
pub struct ImpactPage {
    pub layout: Layout,
    pub target: String,
    pub endpoint: String,
    pub at: String,
    pub suggestions: Vec<String>,
    pub endpoints: Vec<String>,
    pub error: String,
    pub error_suggestions: Vec<String>,
    pub report: Option<crate::impact::ImpactReport>,
    pub headline: String,
    pub groups: Vec<DepthGroup>,
    pub tiers: Vec<(String, usize)>,
    pub markdown: String,
    pub download: String,
    /// The server holds observed traffic (then `observed` lists undeclared consumers).
    pub has_evidence: bool,
    pub observed: Vec<crate::impact::ObservedConsumer>,
}

pub async fn impact(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let target = q
        .get("target")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let endpoint = q
        .get("endpoint")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut suggestions: Vec<String> = c.systems.iter().map(|s| s.name.value.clone()).collect();
    suggestions.extend(c.all_api_refs());
    suggestions.sort();
    let endpoints: Vec<String> = crate::impact::resolve_target(c, &target, None)
        .ok()
        .map(|t| {
            c.systems[t.system]
                .provides
                .iter()
                .filter(|a| {
                    t.api.as_deref().is_none_or(|n| n == a.name.value)
                        && t.version.is_none_or(|v| v == a.version)
                })
                .flat_map(|a| a.endpoints.iter().map(|e| e.label()))
                .collect()
        })
        .unwrap_or_default();
    let mut page = ImpactPage {
        layout: layout(
            &live,
            if target.is_empty() {
                "Impact".to_string()
            } else {
                format!("Impact of {target}")
            },
            "impact",
        ),
        at: q.get("at").cloned().unwrap_or_default(),
        suggestions,
        endpoints,
        error: String::new(),
        error_suggestions: Vec::new(),
        report: None,
        headline: String::new(),
        groups: Vec::new(),
        tiers: Vec::new(),
        markdown: String::new(),
        download: String::new(),
        has_evidence: snap.evidence.is_some(),
        observed: Vec::new(),
        target: target.clone(),
        endpoint: endpoint.clone(),
    };
    let mut status = StatusCode::OK;
    if !target.is_empty() {
        match api::run_impact(snap, &q) {
            Ok((r, at)) => {
                page.headline = report::headline(&r);
                page.tiers = r
                    .summary
                    .by_tier
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                let mut groups: BTreeMap<u32, Vec<AffectedRow>> = BTreeMap::new();
                for a in &r.affected {
                    groups.entry(a.depth).or_default().push(AffectedRow {
                        system: a.system.clone(),
                        depth: a.depth,
                        path: a.path.join(" → "),
                        via: a.via.clone(),
                        unknown: a.usage == "unknown",
                        owner: a.owner.clone().unwrap_or_default(),
                        tier: a.tier,
                        oncall: oncall_text(&a.oncall),
                    });
                }
                page.groups = groups
                    .into_iter()
                    .map(|(d, rows)| DepthGroup {
                        title: if d == 1 {
                            "Direct consumers".into()
                        } else {
                            format!("Depth {d} — transitive")
                        },
                        rows,
                    })
                    .collect();
                page.markdown = report::impact_markdown(&r, &at.to_string());
                let mut dl = format!("/impact.md?target={}", urlencode(&target));
                if !endpoint.is_empty() {
                    dl.push_str(&format!("&endpoint={}", urlencode(&endpoint)));
                }
                if !page.at.is_empty() {
                    dl.push_str(&format!("&at={}", urlencode(&page.at)));
                }
                page.download = dl;
                page.observed = r.observed.clone().unwrap_or_default();
                page.report = Some(r);
            }
            Err(e) => {
                status = e.status;
                page.error = e.message;
                page.error_suggestions = e.suggestions;
            }
        }
    }
    let html = page.render().map_err(AppError::internal)?;
    Ok((status, Html(html)).into_response())
}

pub async fn impact_markdown(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let (r, at) = api::run_impact(&live.snapshot, &q)?;
    let md = report::impact_markdown(&r, &at.to_string());
    let file: String = r
        .target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"impact-{file}.md\""),
            ),
        ],
        md,
    )
        .into_response())
}

// ---------------------------------------------------------------- graph

#[derive(Template)]
#[template(path = "graph.html")]
pub struct GraphPage {
    pub layout: Layout,
    pub svg: String,
    pub note: String,
    pub domains: Vec<(String, bool)>,
    pub teams: Vec<(String, bool)>,
    pub tier: String,
    pub focus: String,
    pub shown: usize,
    pub total: usize,
    pub overview: bool,
}

/// Above this many systems the picture is drawn per domain instead of per system.
const MAX_GRAPH_NODES: usize = 250;

pub async fn graph(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let filter = api::graph_filter(c, &q).map_err(AppError::html)?;
    let selected = crate::export::select(c, &snap.graph, &filter);
    let filtered = ["focus", "team", "domain", "tier"]
        .iter()
        .any(|k| q.get(*k).is_some_and(|v| !v.trim().is_empty()));
    let everything = q.get("all").is_some_and(|v| v == "1");
    let (svg_text, note) = if !filtered && !everything && c.domains.len() > 1 {
        (
            domains_svg(c, &snap.graph, &selected),
            "The central picture by domain: each box is a domain, each arrow counts the dependencies between two domains. Click a domain, or filter below, to see its systems.".to_string(),
        )
    } else if selected.len() <= MAX_GRAPH_NODES {
        (systems_svg(c, &snap.graph, &selected), String::new())
    } else {
        (
            domains_svg(c, &snap.graph, &selected),
            format!(
                "{} systems are too many to draw one by one: this is the picture by domain (edges count the dependencies between domains). Filter by domain, team or tier to see systems.",
                selected.len()
            ),
        )
    };
    let sel = |k: &str| q.get(k).cloned().unwrap_or_default();
    let domains = c
        .domains
        .iter()
        .map(|d| (d.name.value.clone(), sel("domain") == d.name.value))
        .collect();
    let teams = c
        .teams
        .iter()
        .map(|t| (t.name.value.clone(), sel("team") == t.name.value))
        .collect();
    render(&GraphPage {
        layout: layout(&live, "Dependency graph", "graph"),
        svg: svg_text,
        note,
        domains,
        teams,
        tier: sel("tier"),
        focus: sel("focus"),
        shown: selected.len(),
        total: c.systems.len(),
        overview: !filtered && !everything && c.domains.len() > 1,
    })
}

fn systems_svg(c: &Catalog, g: &crate::graph::Graph, selected: &[usize]) -> String {
    let pos: HashMap<usize, usize> = selected.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    let nodes: Vec<GNode> = selected
        .iter()
        .map(|&i| {
            let s = &c.systems[i];
            GNode {
                label: s.name.value.clone(),
                sublabel: format!(
                    "{} · {}",
                    s.tier
                        .map(|t| format!("tier {t}"))
                        .unwrap_or_else(|| "no tier".into()),
                    s.owner_name().unwrap_or("no owner")
                ),
                href: Some(format!("/systems/{}", s.name.value)),
                class: format!(
                    "tier-{}{}",
                    s.tier.unwrap_or(0),
                    if s.lifecycle == Lifecycle::Deprecated || s.lifecycle == Lifecycle::Retired {
                        " retired"
                    } else {
                        ""
                    }
                ),
                group: s.domain.as_ref().map(|d| d.value.clone()),
                layer: None,
                title: s.display_title().to_string(),
            }
        })
        .collect();
    let mut edges = Vec::new();
    for &i in selected {
        let mut seen = std::collections::HashSet::new();
        for l in g.dependencies(i) {
            let Some(&to) = pos.get(&(l.system as usize)) else {
                continue;
            };
            if seen.insert(to) {
                edges.push(GEdge {
                    from: pos[&i],
                    to,
                    label: None,
                    dashed: l.via == Via::DependsOn,
                    class: String::new(),
                });
            }
        }
    }
    svg::render(
        &nodes,
        &edges,
        &GraphStyle {
            clusters: true,
            ..GraphStyle::default()
        },
    )
}

pub(super) fn domains_svg(c: &Catalog, g: &crate::graph::Graph, selected: &[usize]) -> String {
    let domain_of = |i: usize| {
        c.systems[i]
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "(no domain)".into())
    };
    let mut names: Vec<String> = selected.iter().map(|&i| domain_of(i)).collect();
    names.sort();
    names.dedup();
    let pos: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut counts = vec![0usize; names.len()];
    let set: std::collections::HashSet<usize> = selected.iter().copied().collect();
    let mut edge_counts: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for &i in selected {
        let from = pos[domain_of(i).as_str()];
        counts[from] += 1;
        for l in g.dependencies(i) {
            if !set.contains(&(l.system as usize)) {
                continue;
            }
            let to = pos[domain_of(l.system as usize).as_str()];
            if to != from {
                *edge_counts.entry((from, to)).or_default() += 1;
            }
        }
    }
    let nodes: Vec<GNode> = names
        .iter()
        .enumerate()
        .map(|(i, n)| GNode {
            label: n.clone(),
            sublabel: format!("{} systems", counts[i]),
            href: if n.starts_with('(') {
                None
            } else {
                Some(format!("/graph?domain={}", urlencode(n)))
            },
            class: "domain".into(),
            group: None,
            layer: None,
            title: n.clone(),
        })
        .collect();
    let edges: Vec<GEdge> = edge_counts
        .into_iter()
        .map(|((from, to), n)| GEdge {
            from,
            to,
            label: Some(n.to_string()),
            dashed: false,
            class: String::new(),
        })
        .collect();
    // Few, wide-spread nodes: top to bottom keeps the picture readable at page width.
    svg::render(
        &nodes,
        &edges,
        &GraphStyle {
            direction: svg::Direction::TopToBottom,
            ..GraphStyle::default()
        },
    )
}

// ---------------------------------------------------------------- docs

#[derive(Template)]
#[template(path = "doc.html")]
pub struct DocPage {
    pub layout: Layout,
    pub path: String,
    pub html: String,
    pub toc: Vec<crate::docs::TocEntry>,
    pub systems: Vec<String>,
}

pub async fn doc(
    State(st): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    let c = &live.snapshot.catalog;
    // Only documents the catalog names are served, straight from the snapshot: no file system
    // access, so `..`, encoded traversal and symlinks cannot reach anything else.
    if c.document(&path).is_none() {
        let close =
            closest(&path, c.documents.keys().map(String::as_str)).map(|s| format!("docs/{s}"));
        return Err(AppError::not_found(
            format!("no document `{path}` in the catalog"),
            close.into_iter().collect(),
        ));
    };
    // Rendered once per snapshot, on a blocking thread (never on the async workers).
    let r = {
        let (snap, p) = (live.snapshot.clone(), path.clone());
        tokio::task::spawn_blocking(move || snap.rendered(&p))
            .await
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::internal("the document went away"))?
    };
    let systems = c
        .systems
        .iter()
        .filter(|s| c.doc_paths(s).any(|p| p == path))
        .map(|s| s.name.value.clone())
        .collect();
    render(&DocPage {
        layout: layout(
            &live,
            r.title.clone().unwrap_or_else(|| path.clone()),
            "docs",
        ),
        path,
        html: r.html.clone(),
        toc: r.toc.clone(),
        systems,
    })
}

// ---------------------------------------------------------------- errors

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub reason: String,
    pub message: String,
    pub suggestions: Vec<(String, String)>,
}

/// The HTML for an error; used by `AppError`'s response (no snapshot needed).
pub fn error_page(status: StatusCode, message: &str, suggestions: &[String]) -> String {
    let suggestions = suggestions
        .iter()
        .map(|s| {
            let href = if s.starts_with("docs/") || s.starts_with("teams/") {
                format!("/{}", urlencode(s))
            } else if s.contains('/') || s.contains('@') {
                format!("/impact?target={}", urlencode(s))
            } else {
                format!("/systems/{}", urlencode(s))
            };
            (s.clone(), href)
        })
        .collect();
    let page = ErrorPage {
        layout: Layout {
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            css: CSS_URL,
            js: JS_URL,
            banner: None,
            generation: 0,
            loaded: String::new(),
            query: String::new(),
            nav: "",
            version: env!("CARGO_PKG_VERSION"),
        },
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error").to_string(),
        message: message.to_string(),
        suggestions,
    };
    page.render().unwrap_or_else(|_| "error".to_string())
}

pub(super) fn not_found_error(c: &Catalog, name: &str, kind: &str) -> AppError {
    let mut suggestions = Vec::new();
    let all: Vec<(&str, &str)> = c
        .systems
        .iter()
        .map(|s| (s.name.value.as_str(), "system"))
        .chain(c.teams.iter().map(|t| (t.name.value.as_str(), "team")))
        .collect();
    if let Some(best) = closest(name, all.iter().map(|(n, _)| *n)) {
        let k = all
            .iter()
            .find(|(n, _)| *n == best)
            .map(|(_, k)| *k)
            .unwrap_or("system");
        suggestions.push(if k == "team" {
            format!("teams/{best}")
        } else {
            best.to_string()
        });
    }
    AppError::not_found(
        format!("there is no {kind} named “{name}” in the catalog"),
        suggestions,
    )
}

pub async fn not_found(State(st): State<AppState>, OriginalUri(uri): OriginalUri) -> AppError {
    let live = st.live();
    let c = &live.snapshot.catalog;
    let last = uri.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    let mut err = not_found_error(c, last, "page");
    err.message = format!("there is no page at {}", uri.path());
    if last.is_empty() {
        err.suggestions.clear();
    }
    err
}

/// 405, as JSON under `/api/` and as a page elsewhere.
pub async fn method_not_allowed(uri: axum::http::Uri) -> AppError {
    let api = uri.path().starts_with("/api/");
    AppError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: if api {
            "this API only answers GET requests".into()
        } else {
            "this page only answers GET requests".into()
        },
        suggestions: Vec::new(),
        json: api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::percent_encode;

    /// Every byte value is encoded as the hand-written encoder `URL_KEEP` replaced did (its rule
    /// below), and a few strings pin the result.
    #[test]
    fn urlencode_encodes_as_it_always_did() {
        for b in 0..=255u8 {
            let kept = b.is_ascii_alphanumeric() || b"-_.~/@".contains(&b);
            let want = if kept {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            };
            assert_eq!(percent_encode(&[b], URL_KEEP).to_string(), want, "{b:#04x}");
        }
        assert_eq!(urlencode("payments/charge@2"), "payments/charge@2");
        assert_eq!(
            urlencode("docs/run-book_v1.2~x.md"),
            "docs/run-book_v1.2~x.md"
        );
        assert_eq!(
            urlencode("a b&c=d?e#f%g+h"),
            "a%20b%26c%3Dd%3Fe%23f%25g%2Bh"
        );
        assert_eq!(urlencode("team:web tier:1"), "team%3Aweb%20tier%3A1");
        assert_eq!(urlencode("<\"'>\\"), "%3C%22%27%3E%5C");
        assert_eq!(
            urlencode("café ☃ 𝄞"),
            "caf%C3%A9%20%E2%98%83%20%F0%9D%84%9E"
        );
        assert_eq!(urlencode("\n\t\u{7f}"), "%0A%09%7F");
        assert_eq!(urlencode(""), "");
    }
}
