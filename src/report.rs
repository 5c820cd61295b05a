//! Human renderings of analysis results: impact reports as text and as a Markdown announcement,
//! drift reports as text and Markdown.
//!
//! Shared by the CLI (`cairn impact --format text|md`, `cairn drift`) and the web (the
//! announcement to copy and download), so both say the same thing. Pure string building; styling hooks come in through
//! [`Style`] so the CLI can add colour and the web none.

use crate::drift::DriftReport;
use crate::impact::{Affected, ImpactReport, ObservedConsumer};
use crate::oncall::OnCall;
use crate::text::plural;

/// Text styling: the CLI passes ANSI codes on a terminal, everyone else plain.
pub trait Style {
    fn bold(&self, s: &str) -> String {
        s.to_string()
    }
    fn dim(&self, s: &str) -> String {
        s.to_string()
    }
}

pub struct Plain;
impl Style for Plain {}

pub fn oncall_text(o: &OnCall) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &o.primary {
        parts.push(format!("primary {p}"));
    }
    if let Some(b) = &o.backup {
        parts.push(format!("backup {b}"));
    }
    if let Some(l) = &o.lead {
        parts.push(format!("lead {l}"));
    }
    parts.join(", ")
}

/// The headline counts: "12 systems affected (4 direct, 8 transitive); 3 tier-1 ...".
pub fn headline(r: &ImpactReport) -> String {
    let s = &r.summary;
    let tier1 = s.by_tier.get("1").copied().unwrap_or(0);
    format!(
        "{} affected ({} direct, {} transitive); {} reachable; {} to notify; {}",
        plural(s.total, "system", "systems"),
        s.direct,
        s.transitive,
        plural(tier1, "tier-1 system", "tier-1 systems"),
        plural(s.team_count, "team", "teams"),
        plural(s.external_count, "external consumer", "external consumers"),
    )
}

pub fn impact_text(r: &ImpactReport, st: &dyn Style) -> String {
    let mut out = String::new();
    let owner = r
        .target_owner
        .as_deref()
        .map(|o| format!(" (owner: {o})"))
        .unwrap_or_default();
    out.push_str(&format!(
        "{}{owner}\n",
        st.bold(&format!("Impact of changing {}", r.target))
    ));
    out.push_str(&format!("{}\n", headline(r)));
    if let Some(obs) = r.observed.as_ref().filter(|o| !o.is_empty()) {
        out.push_str(&format!(
            "  plus {} seen in observed traffic that nobody declared\n",
            plural(obs.len(), "consumer", "consumers")
        ));
    }
    let tiers: Vec<String> = r
        .summary
        .by_tier
        .iter()
        .map(|(t, n)| format!("tier {t}: {n}"))
        .collect();
    if !tiers.is_empty() {
        out.push_str(&format!("  {}\n", tiers.join("  ")));
    }
    if r.summary.usage_unknown > 0 {
        out.push_str(&format!(
            "  {} not declare which endpoints they use (usage unknown): treat as affected\n",
            plural(r.summary.usage_unknown, "consumer does", "consumers do")
        ));
    }
    let observed = r.observed.as_deref().unwrap_or_default();
    if r.affected.is_empty() && r.external.is_empty() && observed.is_empty() {
        out.push_str("\nNo known consumer is affected.\n");
    }
    let mut depth = 0;
    for a in &r.affected {
        if a.depth != depth {
            depth = a.depth;
            let title = if depth == 1 {
                "Depth 1 — direct consumers".to_string()
            } else {
                format!("Depth {depth} — transitive")
            };
            out.push_str(&format!("\n{}\n", st.bold(&title)));
        }
        out.push_str(&affected_line(a, st));
    }
    if !observed.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            st.bold("Observed, undeclared — seen in traffic, declared nowhere")
        ));
        for o in observed {
            out.push_str(&observed_line(o, st));
        }
    }
    if !r.external.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            st.bold("External consumers (outside the catalog)")
        ));
        for e in &r.external {
            let contact = e
                .contact
                .as_deref()
                .map(|c| format!(" — {c}"))
                .unwrap_or_default();
            out.push_str(&format!("  {}{contact}  [{}]\n", e.name, e.api));
        }
    }
    if !r.teams.is_empty() {
        out.push_str(&format!("\n{}\n", st.bold("Teams to notify")));
        for t in &r.teams {
            let contacts: Vec<&str> = t.contacts.values().map(String::as_str).collect();
            let contacts = if !t.in_catalog && t.name != "(no owner)" {
                "not in the catalog (no contacts known)".to_string()
            } else if contacts.is_empty() {
                "no contacts declared".to_string()
            } else {
                contacts.join(", ")
            };
            out.push_str(&format!("  {} — {}: {contacts}\n", t.name, t.title));
            if let Some(o) = t.oncall.as_ref().filter(|o| !o.is_empty()) {
                out.push_str(&format!("    on call: {}\n", oncall_text(o)));
            }
            out.push_str(&format!("    systems: {}\n", t.systems.join(", ")));
        }
    }
    out
}

fn affected_line(a: &Affected, st: &dyn Style) -> String {
    let tier = a
        .tier
        .map(|t| format!("tier {t}"))
        .unwrap_or_else(|| "no tier".into());
    let owner = a.owner.as_deref().unwrap_or("no owner");
    let usage = if a.usage == "unknown" {
        ", usage unknown"
    } else {
        ""
    };
    let mut s = format!(
        "  {} ({tier}, {owner}{usage}) — {}\n",
        st.bold(&a.system),
        a.via_text
    );
    if a.depth > 1 {
        s.push_str(&format!(
            "    {}\n",
            st.dim(&format!(
                "why: {}",
                crate::impact::path_text(&a.path, a.path_left_out, " → ")
            ))
        ));
    }
    s
}

fn observed_line(o: &ObservedConsumer, st: &dyn Style) -> String {
    let who = match (&o.system, &o.owner) {
        (Some(_), Some(owner)) => format!("{}, ", owner),
        (Some(_), None) => "no owner, ".to_string(),
        (None, _) => "not in the catalog, ".to_string(),
    };
    let api = o
        .api
        .as_deref()
        .map(|a| format!(" ({a})"))
        .unwrap_or_default();
    let seen = o
        .last_seen
        .as_deref()
        .map(|l| format!(", last seen {l}"))
        .unwrap_or_default();
    let mut s = format!(
        "  {} ({who}observed, undeclared) — calls {}{api}: {}{seen}\n",
        st.bold(&o.name),
        o.calls,
        plural(o.count, "call", "calls"),
    );
    if o.depth > 1 {
        s.push_str(&format!(
            "    {}\n",
            st.dim(&format!(
                "why: {}",
                crate::impact::path_text(&o.path, o.path_left_out, " → ")
            ))
        ));
    }
    s.push_str(&format!(
        "    {}\n",
        st.dim(&format!(
            "seen as {} in {}",
            o.observed_as.join(", "),
            o.source
        ))
    ));
    s
}

/// What the person making the change says about it (the announcement's form; `crate::announce`). Every field may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notice {
    /// What changes ("GET /api/critpath drops the `branches` field").
    pub what: String,
    /// When it is deployed ("2026-12-14 09:00 UTC").
    pub when: String,
    /// Why.
    pub why: String,
    /// Whom to contact with questions (a name, a channel, an address).
    pub contact: String,
}

impl Notice {
    /// A notice from form or command-line input: each field one line of at most 500
    /// characters, control characters (a line break that could add a mail header) removed.
    pub fn new(what: &str, when: &str, why: &str, contact: &str) -> Notice {
        Notice {
            what: one_line(what, 500),
            when: one_line(when, 100),
            why: one_line(why, 2000),
            contact: one_line(contact, 300),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.what.is_empty()
            && self.when.is_empty()
            && self.why.is_empty()
            && self.contact.is_empty()
    }

    /// The labelled lines the announcement opens with: ("What changes", text), ...
    pub fn lines(&self) -> Vec<(&'static str, &str)> {
        [
            ("What changes", self.what.as_str()),
            ("When", self.when.as_str()),
            ("Why", self.why.as_str()),
            ("Contact", self.contact.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}

fn one_line(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    words.join(" ").chars().take(max).collect()
}

/// A ready-to-send announcement of the change, for a mailing list or a pull request.
pub fn impact_markdown(r: &ImpactReport, date: &str, n: &Notice) -> String {
    let mut out = String::new();
    out.push_str(&format!("# Planned change to `{}`\n\n", r.target));
    for (label, value) in n.lines() {
        out.push_str(&format!("**{label}:** {}  \n", md_text(value)));
    }
    if let Some(o) = &r.target_owner {
        out.push_str(&format!("**API owned by:** {o}  \n"));
    }
    out.push_str(&format!("**Impact computed on:** {date}\n\n"));
    let tier1: Vec<&Affected> = r.affected.iter().filter(|a| a.tier == Some(1)).collect();
    let observed = r.observed.as_deref().unwrap_or_default();
    if r.affected.is_empty() && r.external.is_empty() && observed.is_empty() {
        out.push_str("No consumer of this interface is known to the catalog. If you use it, please say so by replying to this message and by declaring it in your catalog entry.\n");
        return out;
    }
    out.push_str(&format!(
        "This change affects **{}** owned by **{}**, including **{}**, and **{}** outside the catalog.\n\n",
        plural(r.summary.total, "system", "systems"),
        plural(r.summary.team_count, "team", "teams"),
        plural(tier1.len(), "essential (tier-1) system", "essential (tier-1) systems"),
        plural(r.summary.external_count, "external consumer", "external consumers"),
    ));
    if !tier1.is_empty() {
        out.push_str("## Essential (tier-1) systems affected\n\n| System | Team | Depth | How it depends |\n|---|---|---|---|\n");
        for a in &tier1 {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                md_cell(&a.system),
                md_cell(a.owner.as_deref().unwrap_or("—")),
                a.depth,
                md_cell(&a.via_text)
            ));
        }
        out.push('\n');
    }
    out.push_str("## Who is affected, by team\n\n");
    let by_name = affected_by_name(r);
    for t in &r.teams {
        out.push_str(&format!(
            "### {} — {}\n\n",
            md_text(&t.name),
            md_text(&t.title)
        ));
        if !t.in_catalog && t.name != "(no owner)" {
            out.push_str(
                "Not in the catalog: no contacts known; find this owner in your org directory.  \n",
            );
        }
        let contacts: Vec<String> = t
            .contacts
            .iter()
            .map(|(k, v)| format!("{k}: {}", md_text(v)))
            .collect();
        if !contacts.is_empty() {
            out.push_str(&format!("Contacts: {}  \n", contacts.join(" · ")));
        }
        if let Some(o) = t.oncall.as_ref().filter(|o| !o.is_empty()) {
            out.push_str(&format!("On call: {}  \n", md_text(&oncall_text(o))));
        }
        out.push('\n');
        for name in &t.systems {
            if let Some(a) = by_name.get(name.as_str()) {
                let (tier, kind) = tier_and_depth(a, " → ");
                let usage = if a.usage == "unknown" {
                    " — *usage unknown: does not declare which endpoints it uses*"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "- **{}** ({tier}, {kind}): {}{usage}\n",
                    md_text(&a.system),
                    md_text(&a.via_text)
                ));
            }
        }
        out.push('\n');
    }
    if !observed.is_empty() {
        out.push_str("## Seen in traffic, declared nowhere\n\n");
        out.push_str("These callers were observed (tracing, metrics or service discovery) but no catalog entry declares the dependency. Reach them before the deploy, and ask them to declare it.\n\n");
        for o in observed {
            let who = match (&o.system, &o.owner) {
                (Some(_), Some(owner)) => format!(" (owner: {})", md_text(owner)),
                (Some(_), None) => " (no owner)".to_string(),
                (None, _) => " (not in the catalog)".to_string(),
            };
            let seen = o
                .last_seen
                .as_deref()
                .map(|l| format!(", last seen {}", md_text(l)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- **{}**{who}: calls {}, {}{seen}\n",
                md_text(&o.name),
                md_text(&o.calls),
                plural(o.count, "call", "calls"),
            ));
        }
        out.push('\n');
    }
    if !r.external.is_empty() {
        out.push_str("## Consumers outside the catalog\n\n");
        for e in &r.external {
            let contact = e
                .contact
                .as_deref()
                .map(|c| format!(" — {}", md_text(c)))
                .unwrap_or_default();
            let desc = e
                .description
                .as_deref()
                .map(|d| format!(": {}", md_text(d)))
                .unwrap_or_default();
            out.push_str(&format!("- **{}**{contact}{desc}\n", md_text(&e.name)));
        }
        out.push('\n');
    }
    out.push_str("## What to do\n\n");
    out.push_str(&format!(
        "- **Direct consumers**: check your calls to `{}` and test against staging before the change is deployed.\n",
        r.target
    ));
    if r.summary.transitive > 0 {
        out.push_str("- **Transitive consumers**: you depend on a direct consumer; watch for errors from it on deploy day.\n");
    }
    if r.summary.usage_unknown > 0 {
        out.push_str("- **Usage unknown**: your catalog entry does not say which endpoints you use; add `uses:` to your `consumes` entry so the next announcement can leave you out.\n");
    }
    let ask = if n.contact.is_empty() {
        r.target_owner.as_deref()
    } else {
        Some(n.contact.as_str())
    };
    if let Some(o) = ask {
        out.push_str(&format!(
            "- Questions or a reason to delay: reply to this message or contact **{}**.\n",
            md_text(o)
        ));
    }
    out
}

/// The affected systems by name: a team's systems are looked up in it, not searched for (a hub's
/// report lists tens of thousands).
pub fn affected_by_name(r: &ImpactReport) -> std::collections::HashMap<&str, &Affected> {
    r.affected.iter().map(|a| (a.system.as_str(), a)).collect()
}

/// "tier 1" (or "no tier") and "direct" (or "transitive, via a{arrow}b") for one affected system.
pub fn tier_and_depth(a: &Affected, arrow: &str) -> (String, String) {
    let tier = a
        .tier
        .map(|t| format!("tier {t}"))
        .unwrap_or_else(|| "no tier".into());
    let depth = if a.depth == 1 {
        "direct".to_string()
    } else {
        format!(
            "transitive, via {}",
            crate::impact::path_text(&a.path, a.path_left_out, arrow)
        )
    };
    (tier, depth)
}

/// Escapes text for Markdown so catalog strings cannot inject markup.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn md_cell(s: &str) -> String {
    md_text(s).replace('\n', " ")
}

/// `cairn drift` as text.
pub fn drift_text(r: &DriftReport, st: &dyn Style) -> String {
    let s = &r.summary;
    let mut out = format!(
        "{}\n{} observed pairs, {} from {}; {} undeclared, {} stale, {} unknown names\n",
        st.bold("Declared vs observed"),
        s.observed_pairs,
        plural(s.calls, "call", "calls"),
        plural(s.sources, "source", "sources"),
        s.undeclared,
        s.stale,
        s.unknown,
    );
    out.push_str(&format!(
        "  {} a declaration; {} not checkable (an end never appears in the observed data)\n",
        plural(
            s.declared_and_observed,
            "observed pair matches",
            "observed pairs match"
        ),
        plural(s.unverifiable, "declaration is", "declarations are"),
    ));
    out.push_str(&format!(
        "\n{}\n",
        st.bold("Undeclared dependencies (observed, not declared)")
    ));
    if r.undeclared.is_empty() {
        out.push_str("  none\n");
    }
    for u in &r.undeclared {
        let api = u
            .api
            .as_deref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        let seen = u
            .last_seen
            .as_deref()
            .map(|l| format!(", last seen {l}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {} → {}{api}: {}{seen}\n",
            st.bold(&u.caller),
            st.bold(&u.callee),
            plural(u.count, "call", "calls")
        ));
        out.push_str(&format!(
            "    {}\n",
            st.dim(&format!(
                "owners: {} → {}; seen as {} in {}",
                u.caller_owner.as_deref().unwrap_or("no owner"),
                u.callee_owner.as_deref().unwrap_or("no owner"),
                u.observed_as.join(", "),
                u.source
            ))
        ));
    }
    out.push_str(&format!(
        "\n{}\n",
        st.bold("Stale declarations (declared, not observed)")
    ));
    if r.stale.is_empty() {
        out.push_str("  none\n");
    }
    for x in &r.stale {
        out.push_str(&format!(
            "  {} → {}: {}  {}\n",
            st.bold(&x.caller),
            x.callee,
            x.declared,
            st.dim(&x.declared_at)
        ));
    }
    out.push_str(&format!(
        "\n{}\n",
        st.bold("Unknown names (in traffic, not in the catalog)")
    ));
    if r.unknown.is_empty() {
        out.push_str("  none\n");
    }
    for u in &r.unknown {
        let hint = u
            .suggestion
            .as_deref()
            .map(|h| format!(" — did you mean `{h}`? (add it to `aliases`)"))
            .unwrap_or_default();
        let dir = if u.role == "caller" {
            "calls"
        } else {
            "called by"
        };
        out.push_str(&format!(
            "  {} ({}, {}; {dir} {}){hint}\n",
            st.bold(&u.name),
            u.role,
            plural(u.count, "call", "calls"),
            u.peers.join(", ")
        ));
    }
    out
}

/// `cairn drift --format md`: for a pull request or an issue.
pub fn drift_markdown(r: &DriftReport) -> String {
    let s = &r.summary;
    let mut out = String::from("# Declared vs observed dependencies\n\n");
    out.push_str(&format!(
        "{} observed pairs ({}) from {}: **{} undeclared**, {} stale, {} unknown names.\n\n",
        s.observed_pairs,
        plural(s.calls, "call", "calls"),
        plural(s.sources, "source", "sources"),
        s.undeclared,
        s.stale,
        s.unknown
    ));
    out.push_str("## Undeclared dependencies\n\nObserved in traffic, declared nowhere: a change to the callee breaks these without warning. Declare each under the caller's `consumes` or `depends_on`.\n\n");
    if r.undeclared.is_empty() {
        out.push_str("None.\n\n");
    } else {
        out.push_str("| Caller | Callee | API | Calls | Last seen | Caller owner | Callee owner |\n|---|---|---|---|---|---|---|\n");
        for u in &r.undeclared {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                md_cell(&u.caller),
                md_cell(&u.callee),
                md_cell(u.api.as_deref().unwrap_or("—")),
                u.count,
                md_cell(u.last_seen.as_deref().unwrap_or("—")),
                md_cell(u.caller_owner.as_deref().unwrap_or("—")),
                md_cell(u.callee_owner.as_deref().unwrap_or("—")),
            ));
        }
        out.push('\n');
    }
    out.push_str("## Stale declarations\n\nDeclared, but not seen although both ends appear in the observed data: candidates for clean-up.\n\n");
    if r.stale.is_empty() {
        out.push_str("None.\n\n");
    } else {
        for x in &r.stale {
            out.push_str(&format!(
                "- **{}** → {}: {} ({})\n",
                md_text(&x.caller),
                md_text(&x.callee),
                md_text(&x.declared),
                md_text(&x.declared_at)
            ));
        }
        out.push('\n');
    }
    out.push_str("## Unknown names\n\nIn traffic, not in the catalog: add the system, or add the name to an existing system's `aliases`.\n\n");
    if r.unknown.is_empty() {
        out.push_str("None.\n");
    } else {
        for u in &r.unknown {
            let hint = u
                .suggestion
                .as_deref()
                .map(|h| format!(" — an alias of **{}**?", md_text(h)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- **{}** ({}, {}){hint}\n",
                md_text(&u.name),
                u.role,
                plural(u.count, "call", "calls")
            ));
        }
    }
    out
}
