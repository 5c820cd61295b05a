//! Checks beyond one system: scorecard rule selectors, team members and on-call, and
//! dependency cycles.

use rustc_hash::FxHashSet as HashSet;

use crate::diag::did_you_mean;
use crate::model::*;

use super::validator::Validator;

impl<'a> Validator<'a> {
    /// Domains named in rule selectors must exist (a typo would silently exempt every system).
    pub(super) fn scorecard(&mut self, sc: &Scorecard) {
        for r in sc.levels.iter().flat_map(|l| &l.rules) {
            for d in &r.when.domains {
                // A domain is known when declared or when some system is labelled with it.
                let labelled = || {
                    self.c
                        .systems
                        .iter()
                        .any(|s| s.domain.as_ref().is_some_and(|x| x.value == d.value))
                };
                if self.c.domain(&d.value).is_none() && !labelled() {
                    let hint = did_you_mean(
                        &d.value,
                        self.c.domains.iter().map(|d| d.name.value.as_str()),
                    );
                    self.error(
                        "unknown-domain",
                        d.loc,
                        format!(
                            "rule `{}` applies to domain `{}`, which no system or domain declares",
                            r.id, d.value
                        ),
                    )
                    .hint = hint;
                }
            }
        }
    }

    pub(super) fn team(&mut self, t: &Team) {
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

    pub(super) fn cycles(&mut self, cycles: Vec<Vec<(usize, Loc)>>) {
        for cycle in cycles {
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
