//! Cross-reference checks over a loaded catalog: every problem at once, each located.
//!
//! The loader already reported syntax, types, unknown fields and missing files. This pass checks
//! what needs the whole catalog: duplicate names, references to unknown teams, systems, APIs,
//! versions and endpoints, deprecated consumption, one-sided declarations and dependency cycles.
//! It reads no files and never prints.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::diag::{closest, did_you_mean, Diagnostic};
use crate::model::*;

/// Returns every cross-reference problem in `c`.
///
/// The checks of each system read the rest of the catalog but change nothing, so systems are
/// checked in parallel (chunks, concatenated in catalog order), beside the cycle search and the
/// catalog-wide checks: the output is the same, in the same order, as checking one by one.
pub fn validate(c: &Catalog) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    let (head, (systems, (rest, cycles))) = rayon::join(
        || run(c, |v| v.duplicates()),
        || {
            rayon::join(
                || {
                    c.systems
                        .par_chunks(256)
                        .map(|chunk| {
                            run(c, |v| {
                                for s in chunk {
                                    v.system(s);
                                }
                            })
                        })
                        .collect::<Vec<_>>()
                },
                || {
                    rayon::join(
                        || {
                            run(c, |v| {
                                for t in &c.teams {
                                    v.team(t);
                                }
                                for d in &c.domains {
                                    if let Some(o) = &d.owner {
                                        v.team_ref(o, "domain owner");
                                    }
                                }
                                if let Some(sc) =
                                    c.settings.as_ref().and_then(|s| s.scorecard.as_ref())
                                {
                                    v.scorecard(sc);
                                }
                            })
                        },
                        || run(c, |v| v.cycles()),
                    )
                },
            )
        },
    );
    let mut out = head;
    out.extend(systems.into_iter().flatten());
    out.extend(rest);
    out.extend(cycles);
    out
}

/// The diagnostics of `f` run by a fresh validator.
fn run<'a>(c: &'a Catalog, f: impl FnOnce(&mut Validator<'a>)) -> Vec<Diagnostic> {
    let mut v = Validator { c, out: Vec::new() };
    f(&mut v);
    v.out
}

struct Validator<'a> {
    c: &'a Catalog,
    out: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    fn at(&self, loc: Loc) -> (&'a str, u32, u32) {
        (self.c.file_path(loc.file), loc.line, loc.col)
    }

    fn error(&mut self, code: &'static str, loc: Loc, msg: impl Into<String>) -> &mut Diagnostic {
        let (f, l, col) = self.at(loc);
        self.out.push(Diagnostic::error(code, f, l, col, msg));
        self.out.last_mut().expect("pushed")
    }

    fn warning(&mut self, code: &'static str, loc: Loc, msg: impl Into<String>) -> &mut Diagnostic {
        let (f, l, col) = self.at(loc);
        self.out.push(Diagnostic::warning(code, f, l, col, msg));
        self.out.last_mut().expect("pushed")
    }

    /// A consumer still names something its provider no longer offers: an error, or a warning
    /// when the consumer acknowledged the break on that entry (`acknowledged: DATE`), so that a
    /// planned removal can land while the acknowledging consumer's file still mentions it.
    fn broken_ref(
        &mut self,
        ack: Option<crate::date::Date>,
        code: &'static str,
        loc: Loc,
        msg: String,
    ) -> &mut Diagnostic {
        match ack {
            None => self.error(code, loc, msg),
            Some(d) => {
                let w = self.warning(
                    code,
                    loc,
                    format!("{msg} (the break is acknowledged until {d})"),
                );
                w.hint = Some("remove or update this entry once you have migrated".into());
                w
            }
        }
    }

    /// Domains named in rule selectors must exist (a typo would silently exempt every system).
    fn scorecard(&mut self, sc: &Scorecard) {
        for r in sc.levels.iter().flat_map(|l| &l.rules) {
            for d in &r.when.domains {
                if self.c.domain(&d.value).is_none() {
                    let hint = did_you_mean(
                        &d.value,
                        self.c.domains.iter().map(|d| d.name.value.as_str()),
                    );
                    self.error(
                        "unknown-domain",
                        d.loc,
                        format!(
                            "rule `{}` applies to domain `{}`, which is not declared",
                            r.id, d.value
                        ),
                    )
                    .hint = hint;
                }
            }
        }
    }

    fn duplicates(&mut self) {
        let c = self.c;
        let dup = |what: &str, names: Vec<&Spanned<String>>, out: &mut Vec<Diagnostic>| {
            let mut first: HashMap<&str, Loc> = HashMap::default();
            for n in names {
                match first.get(n.value.as_str()) {
                    None => {
                        first.insert(&n.value, n.loc);
                    }
                    Some(prev) => {
                        let (f, l, col) = (c.file_path(n.loc.file), n.loc.line, n.loc.col);
                        out.push(
                            Diagnostic::error(
                                "duplicate-name",
                                f,
                                l,
                                col,
                                format!("duplicate {what} name `{}`", n.value),
                            )
                            .with_hint(format!(
                                "first declared at {}:{}:{}",
                                c.file_path(prev.file),
                                prev.line,
                                prev.col
                            )),
                        );
                    }
                }
            }
        };
        dup(
            "system",
            c.systems.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
        dup(
            "team",
            c.teams.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
        dup(
            "domain",
            c.domains.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
        // Aliases map traffic to systems: each must name exactly one system.
        let mut alias_owner: HashMap<&str, &str> = HashMap::default();
        for s in &c.systems {
            for a in &s.aliases {
                if a.value == s.name.value {
                    continue;
                }
                if let Some(other) = c.system(&a.value) {
                    let msg = format!(
                        "alias `{}` of `{}` is the name of another system",
                        a.value, s.name.value
                    );
                    let hint = format!(
                        "`{}` is declared at {}:{}",
                        a.value,
                        c.file_path(other.name.loc.file),
                        other.name.loc.line
                    );
                    self.warning("ambiguous-alias", a.loc, msg).hint = Some(hint);
                } else if let Some(prev) = alias_owner.insert(&a.value, &s.name.value) {
                    if prev != s.name.value {
                        self.warning(
                            "ambiguous-alias",
                            a.loc,
                            format!(
                                "alias `{}` is used by both `{prev}` and `{}`",
                                a.value, s.name.value
                            ),
                        );
                    }
                }
            }
        }
    }

    fn team_ref(&mut self, r: &Spanned<String>, what: &str) {
        if self.c.team(&r.value).is_none() {
            let hint = did_you_mean(&r.value, self.c.teams.iter().map(|t| t.name.value.as_str()));
            self.error(
                "unknown-team",
                r.loc,
                format!("{what} `{}` is not a team in the catalog", r.value),
            )
            .hint = hint.or_else(|| Some("declare it with `kind: team`".into()));
        }
    }

    /// Resolves a system name, reporting unknown ones; `None` when unknown.
    fn system_ref(&mut self, r: &Spanned<String>, what: &str) -> Option<&'a System> {
        if let Some(s) = self.c.system(&r.value) {
            return Some(s);
        }
        let hint = if let Some(s) = self.c.system_by_name_or_alias(&r.value) {
            Some(format!(
                "`{}` is an alias of `{}`; use the system's name",
                r.value, s.name.value
            ))
        } else {
            did_you_mean(
                &r.value,
                self.c.systems.iter().map(|s| s.name.value.as_str()),
            )
        };
        self.error(
            "unknown-system",
            r.loc,
            format!("{what} `{}` is not a system in the catalog", r.value),
        )
        .hint = hint;
        None
    }

    fn system(&mut self, s: &'a System) {
        if let Some(o) = &s.owner {
            self.team_ref(o, "owner");
        }
        if let Some(d) = &s.domain {
            if self.c.domain(&d.value).is_none() {
                let hint = did_you_mean(
                    &d.value,
                    self.c.domains.iter().map(|d| d.name.value.as_str()),
                )
                .or_else(|| Some("declare it with `kind: domain`".into()));
                self.error(
                    "unknown-domain",
                    d.loc,
                    format!("domain `{}` is not declared", d.value),
                )
                .hint = hint;
            }
        }
        for dep in &s.depends_on {
            if dep.value == s.name.value {
                self.error(
                    "self-dependency",
                    dep.loc,
                    format!("`{}` depends on itself", dep.value),
                );
                continue;
            }
            if let Some(target) = self.system_ref(dep, "dependency") {
                if target.lifecycle == Lifecycle::Retired {
                    self.warning(
                        "retired-dependency",
                        dep.loc,
                        format!("`{}` is retired", dep.value),
                    );
                }
            }
        }
        let mut seen_apis = HashSet::default();
        for a in &s.provides {
            if !seen_apis.insert((a.name.value.as_str(), a.version)) {
                self.error(
                    "duplicate-name",
                    a.name.loc,
                    format!("`{}` is declared twice", a.reference(&s.name.value)),
                );
            }
            if a.lifecycle == Lifecycle::Deprecated && a.sunset.is_none() {
                self.warning(
                    "deprecated-without-sunset",
                    a.name.loc,
                    format!(
                        "`{}` is deprecated without a `sunset` date",
                        a.reference(&s.name.value)
                    ),
                )
                .hint = Some("add `sunset: YYYY-MM-DD` so consumers know their deadline".into());
            }
            for lc in &a.consumers {
                if let ListedConsumer::System(cn) = lc {
                    self.listed_consumer(s, a, cn);
                }
            }
        }
        for cons in &s.consumes {
            self.consumption(s, cons);
        }
    }

    fn listed_consumer(&mut self, provider: &System, api: &Api, cn: &Spanned<String>) {
        let Some(consumer) = self.system_ref(cn, "consumer") else {
            return;
        };
        let declared = consumer.consumes.iter().any(|k| {
            k.api.system == provider.name.value
                && k.api.api.as_deref().is_none_or(|n| n == api.name.value)
                && k.api.version.is_none_or(|v| v == api.version)
        }) || consumer
            .depends_on
            .iter()
            .any(|d| d.value == provider.name.value);
        if !declared {
            let r = api.reference(&provider.name.value);
            self.warning(
                "one-sided-consumer",
                cn.loc,
                format!(
                    "`{}` is listed as a consumer of `{r}` but does not declare it",
                    cn.value
                ),
            )
            .hint = Some(format!(
                "add `consumes: [{{api: {r}}}]` to `{}` ({})",
                cn.value,
                self.c.file_path(consumer.loc.file)
            ));
        }
    }

    fn consumption(&mut self, s: &System, cons: &Consumption) {
        let r = &cons.api.value;
        let loc = cons.api.loc;
        if r.system == s.name.value {
            return;
        }
        let ack = cons.acknowledged.as_ref().map(|a| a.value);
        if ack.is_some() && self.c.system(&r.system).is_none() {
            self.broken_ref(
                ack,
                "unknown-system",
                loc,
                format!("provider `{}` is not a system in the catalog", r.system),
            );
            return;
        }
        let Some(provider) = self.system_ref(&Spanned::new(r.system.clone(), loc), "provider")
        else {
            return;
        };
        let matched = self.c.resolve_api_ref(r);
        if matched.is_empty() {
            let mut latest = None;
            let (code, msg) = match (&r.api, r.version) {
                (None, _) => ("unknown-api", format!("`{}` provides no API", r.system)),
                (Some(a), None) => (
                    "unknown-api",
                    format!("`{}` has no API named `{a}`", r.system),
                ),
                (Some(a), Some(v)) if provider.provides.iter().any(|p| p.name.value == *a) => {
                    let mut versions: Vec<u32> = provider
                        .provides
                        .iter()
                        .filter(|p| p.name.value == *a)
                        .map(|p| p.version)
                        .collect();
                    versions.sort();
                    let shown: Vec<String> = versions.iter().map(|v| format!("@{v}")).collect();
                    latest = versions
                        .last()
                        .map(|v| format!("did you mean `{}/{a}@{v}`?", r.system));
                    (
                        "unknown-api-version",
                        format!(
                            "`{}/{a}` has no version {v} (it has {})",
                            r.system,
                            shown.join(", ")
                        ),
                    )
                }
                (Some(a), Some(_)) => (
                    "unknown-api",
                    format!("`{}` has no API named `{a}`", r.system),
                ),
            };
            let refs = self.c.all_api_refs();
            let hint = latest
                .or_else(|| {
                    closest(&r.to_string(), refs.iter().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?"))
                })
                .or_else(|| {
                    (r.api.is_none()).then(|| {
                        "use `depends_on` for a dependency without an API contract".to_string()
                    })
                });
            let d = self.broken_ref(ack, code, loc, msg);
            if hint.is_some() {
                d.hint = hint;
            }
            return;
        }
        if r.api.is_some() && r.version.is_none() {
            let versions: HashSet<u32> = matched.iter().map(|a| a.version).collect();
            if versions.len() > 1 {
                let mut vs: Vec<_> = versions.into_iter().collect();
                vs.sort();
                let hint = format!(
                    "name the version you use, e.g. `{}@{}`",
                    r,
                    vs[vs.len() - 1]
                );
                self.warning(
                    "unversioned-consumption",
                    loc,
                    format!(
                        "`{r}` has several major versions; this counts as consuming all of them"
                    ),
                )
                .hint = Some(hint);
            }
        }
        for a in &matched {
            let aref = a.reference(&provider.name.value);
            match a.lifecycle {
                Lifecycle::Deprecated => {
                    let when = a
                        .sunset
                        .as_ref()
                        .map(|d| format!(", sunset {}", d.value))
                        .unwrap_or_default();
                    let newer = provider
                        .provides
                        .iter()
                        .filter(|o| {
                            o.name.value == a.name.value
                                && o.version > a.version
                                && o.lifecycle != Lifecycle::Deprecated
                        })
                        .map(|o| o.version)
                        .max();
                    self.warning(
                        "deprecated-api",
                        loc,
                        format!(
                            "`{}` consumes `{aref}`, which is deprecated{when}",
                            s.name.value
                        ),
                    )
                    .hint = newer.map(|v| {
                        format!("migrate to `{}/{}@{v}`", provider.name.value, a.name.value)
                    });
                }
                Lifecycle::Retired => {
                    self.broken_ref(
                        ack,
                        "retired-api",
                        loc,
                        format!("`{}` consumes `{aref}`, which is retired", s.name.value),
                    );
                }
                _ => {}
            }
        }
        let Some(uses) = &cons.uses else { return };
        for u in uses {
            let Some(key) = EndpointKey::parse(&u.value) else {
                continue;
            };
            let listed: Vec<&&Api> = matched.iter().filter(|a| !a.endpoints.is_empty()).collect();
            if listed.is_empty() {
                continue;
            }
            let found: Vec<&Endpoint> = listed
                .iter()
                .filter_map(|a| a.find_endpoint(&key))
                .collect();
            if found.is_empty() {
                let labels: Vec<String> = listed
                    .iter()
                    .flat_map(|a| a.endpoints.iter().map(Endpoint::label))
                    .collect();
                let hint = closest(&u.value, labels.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"));
                let d = self.broken_ref(
                    ack,
                    "unknown-endpoint",
                    u.loc,
                    format!("`{r}` has no endpoint `{}`", u.value),
                );
                if hint.is_some() {
                    d.hint = hint;
                }
            } else if found.iter().all(|e| e.deprecated) {
                self.warning(
                    "deprecated-endpoint",
                    u.loc,
                    format!("endpoint `{}` of `{r}` is deprecated", u.value),
                );
            }
        }
    }

    fn team(&mut self, t: &Team) {
        let mut seen = HashSet::default();
        for m in &t.members {
            if !seen.insert(m.name.value.as_str()) {
                self.warning(
                    "duplicate-member",
                    m.name.loc,
                    format!(
                        "`{}` is listed twice in team `{}`",
                        m.name.value, t.name.value
                    ),
                );
            }
        }
        let Some(oc) = &t.oncall else { return };
        let names: Vec<&str> = t.members.iter().map(|m| m.name.value.as_str()).collect();
        let check = |p: &Spanned<String>, what: &str, v: &mut Self| {
            if !names.contains(&p.value.as_str()) {
                let hint = did_you_mean(&p.value, names.iter().copied())
                    .or_else(|| Some(format!("add `{}` to `members`", p.value)));
                v.warning(
                    "oncall-not-member",
                    p.loc,
                    format!(
                        "{what} `{}` is not a member of team `{}`",
                        p.value, t.name.value
                    ),
                )
                .hint = hint;
            }
        };
        if let Some(r) = &oc.rotation {
            for p in &r.order {
                check(p, "on-call", self);
            }
        }
        if let Some(l) = &oc.lead {
            check(l, "on-call lead", self);
        }
    }

    fn cycles(&mut self) {
        for cycle in crate::graph::system_cycles(self.c) {
            let names: Vec<&str> = cycle
                .iter()
                .map(|&(i, _)| self.c.systems[i].name.value.as_str())
                .collect();
            let mut shown = names.join(" → ");
            shown.push_str(" → ");
            shown.push_str(names[0]);
            let loc = cycle[0].1;
            self.warning(
                "dependency-cycle",
                loc,
                format!("dependency cycle: {shown}"),
            )
            .hint = Some(
                "a change to any of these can come back to itself; consider breaking the cycle"
                    .into(),
            );
        }
    }
}
