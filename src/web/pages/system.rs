//! A system's page (`/systems/{name}`): its APIs, what it uses and what uses it, its
//! neighbourhood in the graph, docs, readiness and links.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use crate::date::Date;
use crate::drift;
use crate::graph::Via;
use crate::model::{Catalog, DocRef, System};
use crate::picture::{self, GEdge, GNode, GraphStyle};
use crate::views::{self, ConsumerView};
use crate::web::error::{not_found_error, render};
use crate::web::page::{ago, layout, oncall_text, safe_url, urlencode, Layout};
use crate::web::readiness::{system_readiness, SystemReadiness};
use crate::web::{AppError, AppState, Live, Snapshot};

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
    /// Words of text, for "4 min read" on the folded doc.
    pub words: usize,
}

impl DocBlock {
    fn new(label: String, path: String, r: &crate::docs::RenderedDoc) -> DocBlock {
        // The doc's own title is the block's heading: its leading `<h1>` is not repeated.
        let html = match &r.title {
            Some(t) if *t == label => without_leading_h1(&r.html),
            _ => &r.html,
        };
        DocBlock {
            words: words_of_html(html),
            label,
            path,
            html: html.to_string(),
            toc: r.toc.clone(),
        }
    }

    /// Short docs are shown open; longer ones folded, so the page stays short (and a phone
    /// reaches the owner and on-call card without scrolling through them).
    pub fn open(&self) -> bool {
        self.words <= 250
    }

    /// "3 min read" (200 words a minute, at least one).
    pub fn reading_time(&self) -> String {
        format!("{} min read", self.words.div_ceil(200).max(1))
    }
}

/// `html` without its first element when that is an `<h1>` (the sanitised renderer's own
/// output: `<h1 id="…">…</h1>` with no nested `h1`).
fn without_leading_h1(html: &str) -> &str {
    let t = html.trim_start();
    if !t.starts_with("<h1") {
        return html;
    }
    match t.find("</h1>") {
        Some(end) => t[end + "</h1>".len()..].trim_start(),
        None => html,
    }
}

/// Words in the text of `html`: what is outside tags, split on whitespace.
fn words_of_html(html: &str) -> usize {
    let mut words = 0;
    let (mut in_tag, mut in_word) = (false, false);
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                in_word = false;
            }
            '>' => in_tag = false,
            _ if in_tag => {}
            c if c.is_whitespace() => in_word = false,
            _ => {
                if !in_word {
                    words += 1;
                }
                in_word = true;
            }
        }
    }
    words
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
    pub readiness: Option<SystemReadiness>,
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
    /// Whether any listed caller has a time of last call: the column is left out otherwise
    /// (Jaeger's `/api/dependencies` answer, say, carries none).
    pub last_seen: bool,
}

pub async fn system(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    let c = &live.snapshot.catalog;
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
    let page = system_page(&live, sys, idx).await?;
    render(&page)
}

/// Everything the page of `sys` (system `idx` of the served snapshot) shows.
async fn system_page(live: &Live, sys: &System, idx: usize) -> Result<SystemPage, AppError> {
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let today = Date::today();
    let v = views::system_view(c, snap.graph(), idx, today);
    let (used_by, more_dependents) = dependents(snap, sys, idx);
    let (docs, runbook_url) = docs_and_runbook(snap, sys).await?;
    Ok(SystemPage {
        held: held_note(c, sys),
        layout: layout(live, sys.display_title().to_string(), "systems"),
        tier_label: tier_label(v.tier),
        owner_oncall: v
            .owner
            .as_ref()
            .map(|o| oncall_text(&o.oncall))
            .unwrap_or_default(),
        apis: api_blocks(&v),
        uses: dependencies(c, sys),
        used_by,
        picture: neighbourhood_svg(c, snap.graph(), idx),
        docs,
        runbook_url,
        ilities: ility_rows(snap, &v).await?,
        impact_url: format!("/impact?target={}", urlencode(&v.name)),
        links: links(&v),
        observed: observed_block(snap, idx),
        more_dependents,
        readiness: snap
            .readiness()
            .get(idx)
            .and_then(Option::as_ref)
            .map(|r| system_readiness(c, r)),
        s: v,
    })
}

/// The APIs the system provides, each with its first [`MAX_ROWS`] consumers.
fn api_blocks(v: &views::SystemView) -> Vec<ApiBlock> {
    v.provides
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
        .collect()
}

/// What the system uses, as it declares it: the APIs it consumes, then what it depends on.
fn dependencies(c: &Catalog, sys: &System) -> Vec<DepRow> {
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
    uses
}

/// What uses the system (`sys`, system `idx`), one row per dependent, the first [`MAX_ROWS`]
/// of them; with how many more there are. A row is marked stale when observed traffic has both
/// ends but not this call.
fn dependents(snap: &Snapshot, sys: &System, idx: usize) -> (Vec<DepRow>, usize) {
    let c = &snap.catalog;
    let stale_callers: Vec<String> = snap
        .evidence
        .as_ref()
        .map(|ev| {
            drift::stale_into(c, snap.graph(), ev, idx)
                .into_iter()
                .map(|s| s.caller)
                .collect()
        })
        .unwrap_or_default();
    let mut used_by: Vec<DepRow> = Vec::new();
    let mut more_dependents = 0;
    for l in snap.graph().dependents(idx) {
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
    (used_by, more_dependents)
}

/// The callers of system `idx` seen in observed traffic, when the server has any.
fn observed_block(snap: &Snapshot, idx: usize) -> Option<ObservedBlock> {
    let c = &snap.catalog;
    snap.evidence.as_ref().map(|ev| {
        let mut callers = drift::observed_callers(c, snap.graph(), ev, idx);
        let more = callers.len().saturating_sub(MAX_ROWS);
        callers.truncate(MAX_ROWS);
        ObservedBlock {
            last_seen: callers.iter().any(|x| x.last_seen.is_some()),
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
    })
}

/// The system's docs rendered, then its runbook when it is a catalog document; with the
/// runbook's link (the document's page, or its web link, or empty).
async fn docs_and_runbook(
    snap: &Arc<Snapshot>,
    sys: &System,
) -> Result<(Vec<DocBlock>, String), AppError> {
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
    let rendered: HashMap<String, Arc<crate::docs::RenderedDoc>> = {
        let snap = snap.clone();
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
            let label = r.title.clone().unwrap_or_else(|| d.value.clone());
            docs.push(DocBlock::new(label, d.value.clone(), r));
        }
    }
    let mut runbook_url = String::new();
    match sys.runbook.as_ref().map(|r| &r.value) {
        Some(DocRef::Path(p)) => {
            if let Some(r) = rendered.get(p) {
                docs.push(DocBlock::new("Runbook".into(), p.clone(), r));
                runbook_url = format!("/docs/{p}");
            }
        }
        Some(DocRef::Url(u)) => runbook_url = safe_url(u),
        None => {}
    }
    Ok((docs, runbook_url))
}

/// The system's "-ilities", their notes rendered from Markdown once per snapshot, on a
/// blocking thread like the docs: committed notes are catalog input, and rendering them on
/// every view, on the async workers, let one hostile note slow every page (issue #21 point 5).
async fn ility_rows(
    snap: &Arc<Snapshot>,
    v: &views::SystemView,
) -> Result<Vec<IlityRow>, AppError> {
    let notes: Vec<(String, Option<u8>, String)> = v
        .ilities
        .iter()
        .map(|(k, i)| (k.clone(), i.rating, i.notes.clone()))
        .collect();
    let snap = snap.clone();
    tokio::task::spawn_blocking(move || {
        notes
            .into_iter()
            .map(|(name, rating, notes)| IlityRow {
                name,
                rating,
                html: snap.rendered_text(&notes).html.clone(),
            })
            .collect()
    })
    .await
    .map_err(AppError::internal)
}

/// The repository, the environments and the other links, each as (label, text, href).
fn links(v: &views::SystemView) -> Vec<(String, String, String)> {
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
    links
}

/// Why the page shows an older or partial version of the system, when its file has errors.
fn held_note(c: &Catalog, sys: &System) -> Option<String> {
    use crate::model::HeldAs;
    c.held_file(c.file_path(sys.loc.file)).map(|h| {
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
    })
}

/// Long lists on a page stop here and point to the full report.
const MAX_ROWS: usize = 60;

fn tier_label(t: Option<u8>) -> String {
    match t {
        Some(1) => "tier 1 · essential".into(),
        Some(3) => "tier 3 · leaf".into(),
        Some(t) => format!("tier {t}"),
        None => "no tier".into(),
    }
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
    picture::render(&nodes, &edges, &GraphStyle::default())
}
