//! The checks of one system: its owner, domain, dependencies, provided APIs, listed consumers
//! and consumptions (unknown, deprecated and retired APIs, versions and endpoints).

use rustc_hash::FxHashSet as HashSet;

use crate::diag::{closest, did_you_mean};
use crate::model::*;

use super::validator::Validator;

impl<'a> Validator<'a> {
    pub(super) fn team_ref(&mut self, r: &Spanned<String>, what: &str) {
        if self.c.team(&r.value).is_none() {
            self.global = true;
            let c = self.c;
            let hint = self.hint("team", &r.value, || {
                c.teams.iter().map(|t| t.name.value.as_str())
            });
            // Not an error: in Backstage organisations groups and users live in the org
            // directory, not in the files (docs/catalog-format.md, "Severity policy").
            let d = self.warning(
                "unknown-team",
                r.loc,
                format!("{what} `{}` is not in the catalog", r.value),
            );
            d.hint = hint.or_else(|| {
                Some("declare it with `kind: team` (or it lives in your org directory)".into())
            });
            d.refers_to = Some(r.value.clone());
        }
    }

    /// Resolves a system name, reporting unknown ones; `None` when unknown.
    fn system_ref(&mut self, r: &Spanned<String>, what: &str) -> Option<&'a System> {
        if let Some(s) = self.c.system(&r.value) {
            return Some(s);
        }
        self.global = true;
        let hint = if let Some(s) = self.c.system_by_name_or_alias(&r.value) {
            Some(format!(
                "`{}` is an alias of `{}`; use the system's name",
                r.value, s.name.value
            ))
        } else {
            let c = self.c;
            self.hint("system", &r.value, || {
                c.systems.iter().map(|s| s.name.value.as_str())
            })
        };
        let d = self.warning(
            "unknown-system",
            r.loc,
            format!("{what} `{}` is not in the catalog", r.value),
        );
        d.hint = hint;
        d.refers_to = Some(r.value.clone());
        None
    }

    pub(super) fn system(&mut self, s: &'a System) {
        if let Some(o) = &s.owner {
            self.team_ref(o, "owner");
        }
        if let Some(d) = &s.domain {
            if self.c.domain(&d.value).is_none() {
                let hint = did_you_mean(
                    &d.value,
                    self.c.domains.iter().map(|d| d.name.value.as_str()),
                )
                .or_else(|| {
                    Some("declare it with `kind: domain` to give it a title and owner".into())
                });
                // A domain is an optional grouping: a label without a `kind: domain` document
                // is still a grouping.
                let w = self.warning(
                    "unknown-domain",
                    d.loc,
                    format!("domain `{}` is not in the catalog", d.value),
                );
                w.hint = hint;
                w.refers_to = Some(d.value.clone());
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
            self.global = true;
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
}
