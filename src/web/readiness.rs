//! Readiness pages: the catalog-wide overview (`/readiness`, levels and their rules, per team,
//! per system), the "-ilities" matrix (`/ilities`), and the readiness pieces shown on system and
//! team pages. Scores come precomputed with the snapshot.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::api::{params, Params};
use super::error::{not_found_error, render};
use super::page::{code_spans, layout, Layout};
use super::{AppError, AppState, Snapshot};
use crate::model::{Catalog, Scorecard};
use crate::score::{self, SystemScore};

/// A level as a coloured pill: `lvl-none` below the first level, `lvl-1` ... and `lvl-top`.
#[derive(Clone, Debug)]
pub struct LevelBadge {
    /// The level's name, or `none`.
    pub name: String,
    pub title: String,
    pub class: String,
}

pub fn badge(sc: &Scorecard, level: Option<usize>) -> LevelBadge {
    match level {
        None => LevelBadge {
            name: "none".into(),
            title: format!(
                "below {}",
                sc.levels
                    .first()
                    .map(|l| l.name.as_str())
                    .unwrap_or("every level")
            ),
            class: "lvl-none".into(),
        },
        Some(i) => LevelBadge {
            name: sc.levels[i].name.clone(),
            title: sc.levels[i].title.clone(),
            class: if i + 1 == sc.levels.len() {
                "lvl-top".into()
            } else {
                format!("lvl-{}", i + 1)
            },
        },
    }
}

/// One rule's outcome, ready to show.
pub struct CheckRow {
    pub title: String,
    pub passed: bool,
    /// HTML (escaped text with `code` spans).
    pub detail: String,
    /// HTML (escaped text with `code` spans).
    pub hint: String,
}

/// Plain text for a tooltip: backticks dropped.
fn untick(text: &str) -> String {
    text.replace('`', "")
}

/// A level with the outcomes of its rules for one system.
pub struct LevelRow {
    pub badge: LevelBadge,
    pub description: String,
    /// `done` (reached), `next` (the one to work on) or `later`.
    pub state: &'static str,
    pub checks: Vec<CheckRow>,
}

/// The scorecard box of a system page.
pub struct SystemReadiness {
    pub badge: LevelBadge,
    pub next: Option<LevelBadge>,
    /// What the next level needs.
    pub todo: Vec<CheckRow>,
    pub levels: Vec<LevelRow>,
    pub passed: usize,
    pub total: usize,
}

pub fn system_readiness(c: &Catalog, s: &SystemScore) -> SystemReadiness {
    let sc = score::effective(c).scorecard;
    let next = s.next_level(sc);
    let row = |o: &score::Outcome| {
        let r = &sc.levels[o.level].rules[o.rule];
        CheckRow {
            title: r.title.clone(),
            passed: o.missing.is_none(),
            detail: code_spans(o.missing.as_deref().unwrap_or_default()),
            hint: code_spans(&r.hint),
        }
    };
    let levels = sc
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| LevelRow {
            badge: badge(sc, Some(i)),
            description: l.description.clone(),
            state: if s.reaches(i) {
                "done"
            } else if Some(i) == next {
                "next"
            } else {
                "later"
            },
            checks: s
                .outcomes
                .iter()
                .filter(|o| o.level == i)
                .map(row)
                .collect(),
        })
        .collect();
    SystemReadiness {
        badge: badge(sc, s.level),
        next: next.map(|n| badge(sc, Some(n))),
        todo: s
            .missing()
            .filter(|o| Some(o.level) == next)
            .map(row)
            .collect(),
        levels,
        passed: s.passed().count(),
        total: s.outcomes.len(),
    }
}

/// A system in a readiness table.
pub struct ScoreRow {
    pub name: String,
    pub tier: Option<u8>,
    pub owner: String,
    pub badge: LevelBadge,
    /// Titles of the rules missing for the next level.
    pub next_steps: Vec<String>,
    pub next: String,
}

pub fn score_row(c: &Catalog, s: &SystemScore) -> ScoreRow {
    let sc = score::effective(c).scorecard;
    let sys = &c.systems[s.system];
    let next = s.next_level(sc);
    ScoreRow {
        name: sys.name.value.clone(),
        tier: sys.tier,
        owner: sys.owner_name().unwrap_or("").to_string(),
        badge: badge(sc, s.level),
        next_steps: s
            .missing()
            .filter(|o| Some(o.level) == next)
            .map(|o| sc.levels[o.level].rules[o.rule].title.clone())
            .collect(),
        next: next.map(|n| sc.levels[n].name.clone()).unwrap_or_default(),
    }
}

/// Rows for a set of systems, lowest level first, then tier, then name.
pub fn score_rows(snap: &Snapshot, systems: impl Iterator<Item = usize>) -> Vec<ScoreRow> {
    let c = &snap.catalog;
    let mut scores: Vec<&SystemScore> = systems
        .filter_map(|i| snap.readiness().get(i).and_then(Option::as_deref))
        .collect();
    scores.sort_by(|a, b| {
        let key = |s: &SystemScore| {
            (
                s.level.map_or(0, |l| l + 1),
                c.systems[s.system].tier.unwrap_or(9),
            )
        };
        key(a).cmp(&key(b)).then_with(|| {
            c.systems[a.system]
                .name
                .value
                .cmp(&c.systems[b.system].name.value)
        })
    });
    scores.into_iter().map(|s| score_row(c, s)).collect()
}

/// A horizontal stacked bar of level counts (SVG attributes only: the CSP allows no inline style).
pub struct Bar {
    pub segments: Vec<BarSegment>,
    pub total: usize,
}

pub struct BarSegment {
    pub badge: LevelBadge,
    pub count: usize,
    /// Position and width in a 1000-wide viewBox.
    pub x: usize,
    pub width: usize,
}

pub fn bar(sc: &Scorecard, counts: &[(Option<usize>, usize)]) -> Bar {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let mut x = 0;
    let segments = counts
        .iter()
        .map(|&(level, count)| {
            let width = (count * 1000).checked_div(total).unwrap_or(0);
            let seg = BarSegment {
                badge: badge(sc, level),
                count,
                x,
                width,
            };
            x += width;
            seg
        })
        .collect();
    Bar { segments, total }
}

/// Counts per level (below the first level first) of some scores.
fn counts(sc: &Scorecard, scores: &[&SystemScore]) -> Vec<(Option<usize>, usize)> {
    let mut out: Vec<(Option<usize>, usize)> = std::iter::once(None)
        .chain((0..sc.levels.len()).map(Some))
        .map(|l| (l, 0))
        .collect();
    for s in scores {
        out[s.level.map_or(0, |l| l + 1)].1 += 1;
    }
    out
}

// ---------------------------------------------------------------- /readiness

pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub check: String,
    pub applies_to: String,
    pub hint: String,
}

pub struct LevelInfo {
    pub badge: LevelBadge,
    pub description: String,
    pub rules: Vec<RuleInfo>,
    pub systems: usize,
}

pub struct TeamReadiness {
    pub name: String,
    pub title: String,
    pub bar: Bar,
}

#[derive(Template)]
#[template(path = "readiness.html")]
pub struct ReadinessPage {
    pub layout: Layout,
    /// The settings file, or empty for the built-in default.
    pub source: String,
    /// The owner column of the rows (not on a team's own page).
    pub show_owner: bool,
    pub bar: Bar,
    pub levels: Vec<LevelInfo>,
    pub teams: Vec<TeamReadiness>,
    pub rows: Vec<ScoreRow>,
    pub shown: usize,
    pub matching: usize,
    pub not_scored: usize,
    pub team_options: Vec<(String, bool)>,
    pub level_options: Vec<(String, bool)>,
    pub tier: String,
    pub filtered: bool,
}

/// Rows shown at most on one page (filters narrow it down).
const MAX_ROWS: usize = 500;

pub async fn overview(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let eff = score::effective(c);
    let sc = eff.scorecard;
    let sel = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (team, level, tier) = (sel("team"), sel("level"), sel("tier"));
    if let Some(t) = &team {
        if c.team(t).is_none() {
            return Err(not_found_error(c, t, "team"));
        }
    }
    let level_filter: Option<Option<usize>> = match level.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(l) => match sc.level(l) {
            Some(i) => Some(Some(i)),
            None => {
                return Err(AppError::bad_request(format!(
                    "no readiness level named `{l}`"
                )))
            }
        },
    };
    let tier_filter: Option<u8> = match tier.as_deref() {
        None => None,
        Some(t) => Some(
            t.parse()
                .ok()
                .filter(|t| (1..=3).contains(t))
                .ok_or_else(|| AppError::bad_request("`tier` must be 1, 2 or 3"))?,
        ),
    };
    let all: Vec<&SystemScore> = snap.readiness().iter().flatten().map(|s| &**s).collect();
    let levels = sc
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| LevelInfo {
            badge: badge(sc, Some(i)),
            description: l.description.clone(),
            rules: l
                .rules
                .iter()
                .map(|r| RuleInfo {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    check: score::describe_check(&r.check),
                    applies_to: score::describe_selector(&r.when).unwrap_or_default(),
                    hint: untick(&r.hint),
                })
                .collect(),
            systems: all.iter().filter(|s| s.level == Some(i)).count(),
        })
        .collect();
    let mut by_team: BTreeMap<&str, Vec<&SystemScore>> = BTreeMap::new();
    for s in &all {
        if let Some(o) = c.systems[s.system].owner_name() {
            by_team.entry(o).or_default().push(s);
        }
    }
    let teams = c
        .teams
        .iter()
        .filter_map(|t| {
            let scores = by_team.get(t.name.value.as_str())?;
            Some(TeamReadiness {
                name: t.name.value.clone(),
                title: t.display_title().to_string(),
                bar: bar(sc, &counts(sc, scores)),
            })
        })
        .collect();
    let matching_systems: Vec<usize> = all
        .iter()
        .filter(|s| {
            let sys = &c.systems[s.system];
            team.as_deref().is_none_or(|t| sys.owner_name() == Some(t))
                && level_filter.is_none_or(|l| s.level == l)
                && tier_filter.is_none_or(|t| sys.tier == Some(t))
        })
        .map(|s| s.system)
        .collect();
    let matching = matching_systems.len();
    let mut rows = score_rows(snap, matching_systems.into_iter());
    rows.truncate(MAX_ROWS);
    let mut level_options: Vec<(String, bool)> =
        vec![("none".into(), level.as_deref() == Some("none"))];
    level_options.extend(
        sc.levels
            .iter()
            .map(|l| (l.name.clone(), level.as_deref() == Some(l.name.as_str()))),
    );
    render(&ReadinessPage {
        layout: layout(&live, "Production readiness", "readiness"),
        source: eff.source.unwrap_or_default().to_string(),
        show_owner: true,
        bar: bar(sc, &counts(sc, &all)),
        levels,
        teams,
        shown: rows.len(),
        matching,
        rows,
        not_scored: c.systems.len() - all.len(),
        team_options: c
            .teams
            .iter()
            .map(|t| {
                (
                    t.name.value.clone(),
                    team.as_deref() == Some(t.name.value.as_str()),
                )
            })
            .collect(),
        level_options,
        tier: tier.unwrap_or_default(),
        filtered: team.is_some() || level.is_some() || tier_filter.is_some(),
    })
}

// ---------------------------------------------------------------- /ilities

/// One cell of the matrix.
pub struct Cell {
    /// `r1`..`r5` when rated, `text` when described without a rating, `none` when absent.
    pub class: String,
    pub label: String,
    /// Plain-text notes for the tooltip (shortened).
    pub notes: String,
}

pub struct MatrixRow {
    pub name: String,
    pub tier: Option<u8>,
    pub badge: Option<LevelBadge>,
    pub cells: Vec<Cell>,
}

pub struct MatrixGroup {
    pub title: String,
    pub rows: Vec<MatrixRow>,
}

#[derive(Template)]
#[template(path = "ilities.html")]
pub struct IlitiesPage {
    pub layout: Layout,
    pub columns: Vec<(String, usize)>,
    pub groups: Vec<MatrixGroup>,
    pub systems: usize,
    pub more_columns: usize,
    pub truncated: usize,
    pub team_options: Vec<(String, bool)>,
    pub domain_options: Vec<(String, bool)>,
    pub tier: String,
}

/// At most this many -ility columns (the most common); rarer ones are counted.
const MAX_COLUMNS: usize = 10;

fn plain(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let mut s: String = flat.chars().take(max).collect();
        s.push('…');
        s
    } else {
        flat
    }
}

pub async fn ilities(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let sc = score::effective(c).scorecard;
    let sel = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (team, domain, tier) = (sel("team"), sel("domain"), sel("tier"));
    let tier_filter: Option<u8> = match tier.as_deref() {
        None => None,
        Some(t) => Some(
            t.parse()
                .ok()
                .filter(|t| (1..=3).contains(t))
                .ok_or_else(|| AppError::bad_request("`tier` must be 1, 2 or 3"))?,
        ),
    };
    let mut selected: Vec<usize> = (0..c.systems.len())
        .filter(|&i| {
            let s = &c.systems[i];
            s.lifecycle != crate::model::Lifecycle::Retired
                && team.as_deref().is_none_or(|t| s.owner_name() == Some(t))
                && domain
                    .as_deref()
                    .is_none_or(|d| s.domain.as_ref().is_some_and(|x| x.value == d))
                && tier_filter.is_none_or(|t| s.tier == Some(t))
        })
        .collect();
    crate::onboarding::essential_first(c, snap.graph(), &mut selected);
    let mut freq: HashMap<&str, usize> = HashMap::new();
    for &i in &selected {
        for k in c.systems[i].ilities.keys() {
            *freq.entry(k.as_str()).or_default() += 1;
        }
    }
    let mut columns: Vec<(String, usize)> = freq.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    // The four everybody knows first, in the usual order; then the others, most used first.
    let canonical = |k: &str| {
        ["scalability", "reliability", "maintainability", "security"]
            .iter()
            .position(|c| *c == k)
            .unwrap_or(usize::MAX)
    };
    columns.sort_by(|a, b| {
        (canonical(&a.0), std::cmp::Reverse(a.1), &a.0).cmp(&(
            canonical(&b.0),
            std::cmp::Reverse(b.1),
            &b.0,
        ))
    });
    let more_columns = columns.len().saturating_sub(MAX_COLUMNS);
    columns.truncate(MAX_COLUMNS);
    let truncated = selected.len().saturating_sub(MAX_ROWS);
    selected.truncate(MAX_ROWS);
    let mut groups: Vec<MatrixGroup> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let order: Vec<String> = c
        .domains
        .iter()
        .map(|d| d.name.value.clone())
        .chain(std::iter::once(String::new()))
        .collect();
    for key in &order {
        let title = if key.is_empty() {
            "Systems without a domain".to_string()
        } else {
            c.domain(key)
                .map(|d| {
                    if d.title.is_empty() {
                        d.name.value.clone()
                    } else {
                        d.title.clone()
                    }
                })
                .unwrap_or_else(|| key.clone())
        };
        group_of.insert(key.clone(), groups.len());
        groups.push(MatrixGroup {
            title,
            rows: Vec::new(),
        });
    }
    for &i in &selected {
        let s = &c.systems[i];
        let cells = columns
            .iter()
            .map(|(k, _)| match s.ilities.get(k) {
                None => Cell {
                    class: "none".into(),
                    label: "·".into(),
                    notes: format!("{k}: not described"),
                },
                Some(il) => match il.rating {
                    Some(r) => Cell {
                        class: format!("r{r}"),
                        label: r.to_string(),
                        notes: plain(&format!("{k} {r}/5. {}", il.notes), 300),
                    },
                    None => Cell {
                        class: "text".into(),
                        label: "✓".into(),
                        notes: plain(&format!("{k}: {}", il.notes), 300),
                    },
                },
            })
            .collect();
        let key = s
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .filter(|d| group_of.contains_key(d))
            .unwrap_or_default();
        groups[group_of[&key]].rows.push(MatrixRow {
            name: s.name.value.clone(),
            tier: s.tier,
            badge: snap
                .readiness()
                .get(i)
                .and_then(Option::as_ref)
                .map(|r| badge(sc, r.level)),
            cells,
        });
    }
    groups.retain(|g| !g.rows.is_empty());
    render(&IlitiesPage {
        layout: layout(&live, "-ilities", "readiness"),
        systems: selected.len(),
        columns,
        groups,
        more_columns,
        truncated,
        team_options: c
            .teams
            .iter()
            .map(|t| {
                (
                    t.name.value.clone(),
                    team.as_deref() == Some(t.name.value.as_str()),
                )
            })
            .collect(),
        domain_options: c
            .domains
            .iter()
            .map(|d| {
                (
                    d.name.value.clone(),
                    domain.as_deref() == Some(d.name.value.as_str()),
                )
            })
            .collect(),
        tier: tier.unwrap_or_default(),
    })
}
