//! Who a change hits: the consumers (and external consumers) a change reaches in the old
//! catalog, each with its status in the new one — still affected, resolved (migrated), or
//! acknowledged until a date — and the teams to tell.

use super::{
    code, ChangeImpact, Differ, ExternalHit, Hit, HitStatus, Location, Reach, Side, TeamToTell,
};
use crate::date::Date;
use crate::impact::{self, ImpactOptions, Target};
use crate::model::{
    Api, Catalog, Consumption, EndpointKey, ExternalConsumer, ListedConsumer, Loc, Spanned,
};

/// What a hit is about, in names (so it can be looked up in the new catalog too).
struct Subject<'a> {
    system: &'a str,
    api: Option<&'a str>,
    version: Option<u32>,
    /// The endpoint as labelled in the old catalog, and its key.
    endpoint: Option<(&'a str, &'a EndpointKey)>,
}

impl<'a> Differ<'a> {
    /// The consumers a change to `t` reaches in the old catalog, each with its status in the new.
    pub(super) fn impact(&mut self, t: &Target) -> ChangeImpact {
        let key = t.display(self.old);
        if let Some(i) = self.impacts.get(&key) {
            return i.clone();
        }
        let res = impact::analyze(self.old, self.graph, t, &ImpactOptions::default());
        let rep = impact::report(self.old, self.graph, t, &res, self.at);
        let provider = &self.old.systems[t.system];
        let subject = Subject {
            system: &provider.name.value,
            api: t.api.as_deref(),
            version: t.version,
            endpoint: t.endpoint.as_ref().map(|(l, k)| (l.as_str(), k)),
        };
        let mut consumers = Vec::new();
        for a in rep.affected.iter().filter(|a| a.depth == 1) {
            let transitive = rep
                .affected
                .iter()
                .filter(|b| b.depth > 1 && b.path.get(1) == Some(&a.system))
                .count();
            let st = self.consumer_status(&subject, &a.system);
            consumers.push(Hit {
                system: a.system.clone(),
                title: a.title.clone(),
                owner: a.owner.clone(),
                tier: a.tier,
                usage: a.usage,
                via_text: a.via_text.clone(),
                through: a.through.clone(),
                declared_at: a.declared_at.rsplit_once(':').and_then(|(f, l)| {
                    Some(Location {
                        side: Side::Old,
                        file: f.to_string(),
                        line: l.parse().ok()?,
                    })
                }),
                status: st.status,
                acknowledged_until: st.until.map(|d| d.to_string()),
                acknowledged_at: st.at,
                note: st.note,
                transitive,
            });
        }
        let mut external = Vec::new();
        for e in &rep.external {
            let st = self.external_status(&subject, &e.name);
            external.push(ExternalHit {
                name: e.name.clone(),
                contact: e.contact.clone(),
                description: e.description.clone(),
                api: e.api.clone(),
                status: st.status,
                acknowledged_until: st.until.map(|d| d.to_string()),
                acknowledged_at: st.at,
                note: st.note,
            });
        }
        let told: Vec<&Hit> = consumers
            .iter()
            .filter(|h| h.status != HitStatus::Resolved)
            .collect();
        let teams = rep
            .teams
            .iter()
            .filter_map(|t| {
                let systems: Vec<String> = told
                    .iter()
                    .filter(|h| h.owner.as_deref().unwrap_or("(no owner)") == t.name)
                    .map(|h| h.system.clone())
                    .collect();
                (!systems.is_empty()).then(|| TeamToTell {
                    name: t.name.clone(),
                    title: t.title.clone(),
                    contacts: t.contacts.clone(),
                    oncall: t.oncall.clone(),
                    systems,
                })
            })
            .collect();
        let count = |s: HitStatus| consumers.iter().filter(|h| h.status == s).count();
        let reach = Reach {
            direct: consumers.len(),
            affected: count(HitStatus::Affected),
            acknowledged: count(HitStatus::Acknowledged),
            resolved: count(HitStatus::Resolved),
            transitive: rep.summary.transitive,
            external_count: external.len(),
            team_count: rep.summary.team_count,
            tier1: rep.summary.by_tier.get("1").copied().unwrap_or(0),
        };
        let out = ChangeImpact {
            target: rep.target,
            consumers,
            external,
            teams,
            reach,
        };
        self.impacts.insert(key, out.clone());
        out
    }

    /// Whether a consumer reached in the old catalog still depends on the subject in the new one,
    /// and whether it acknowledged the break. Its own declaration is authoritative: a consumer that
    /// declared the consumption and no longer does has migrated, whatever the provider lists.
    fn consumer_status(&self, s: &Subject, consumer: &str) -> Status {
        let Some(ns) = self.new.system(consumer) else {
            return Status::resolved("no longer in the new catalog");
        };
        let declared_old = self
            .old
            .system(consumer)
            .is_some_and(|os| os.consumes.iter().any(|c| consumes_subject(c, s)));
        let matching: Vec<&Consumption> = ns
            .consumes
            .iter()
            .filter(|c| consumes_subject(c, s))
            .collect();
        if !matching.is_empty() {
            // Every matching entry must acknowledge (one unacknowledged use is enough to break).
            let acks: Vec<&Spanned<Date>> = matching
                .iter()
                .filter_map(|c| c.acknowledged.as_ref())
                .collect();
            if acks.len() == matching.len() {
                let first = acks.iter().min_by_key(|a| a.value).expect("non-empty");
                let at = Some(self.loc_in(self.new, first.loc, Side::New));
                return if first.value >= self.at {
                    Status {
                        status: HitStatus::Acknowledged,
                        until: Some(first.value),
                        at,
                        note: None,
                    }
                } else {
                    Status {
                        status: HitStatus::Affected,
                        until: Some(first.value),
                        at,
                        note: Some(format!("acknowledgement expired on {}", first.value)),
                    }
                };
            }
            return Status::affected();
        }
        if ns.depends_on.iter().any(|d| d.value == s.system) {
            return Status::affected();
        }
        if declared_old {
            return Status::resolved(&match s.endpoint {
                Some((label, _)) => format!(
                    "no longer uses {} of {} in the new catalog",
                    code(label),
                    code(&subject_ref(s))
                ),
                None => format!(
                    "no longer consumes {} in the new catalog",
                    code(&subject_ref(s))
                ),
            });
        }
        if self.still_listed(s, consumer) {
            return Status::affected();
        }
        if self
            .old
            .system(consumer)
            .is_some_and(|os| os.depends_on.iter().any(|d| d.value == s.system))
        {
            return Status::resolved(&format!(
                "no longer depends on {} in the new catalog",
                code(s.system)
            ));
        }
        Status::resolved("no longer listed by the provider in the new catalog")
    }

    /// A consumer listed by the provider (without declaring the consumption itself) is still hit
    /// unless the new catalog's provider stops listing it on an API that still exists.
    fn still_listed(&self, s: &Subject, consumer: &str) -> bool {
        let Some(op) = self.old.system(s.system) else {
            return false;
        };
        let np = self.new.system(s.system);
        op.provides
            .iter()
            .filter(|a| subject_matches_api(s, a))
            .filter(|a| {
                a.consumers
                    .iter()
                    .any(|l| matches!(l, ListedConsumer::System(n) if n.value == consumer))
            })
            .any(|oa| {
                let na = np.and_then(|p| {
                    p.provides
                        .iter()
                        .find(|x| x.name.value == oa.name.value && x.version == oa.version)
                });
                match na {
                    None => true,
                    Some(na) => na
                        .consumers
                        .iter()
                        .any(|l| matches!(l, ListedConsumer::System(n) if n.value == consumer)),
                }
            })
    }

    /// An external consumer: acknowledged on the new listing when the API still exists, on the
    /// old one when it is gone.
    fn external_status(&self, s: &Subject, name: &str) -> Status {
        let Some(op) = self.old.system(s.system) else {
            return Status::affected();
        };
        let np = self.new.system(s.system);
        let find = |a: &'a Api| -> Option<&'a ExternalConsumer> {
            a.consumers.iter().find_map(|l| match l {
                ListedConsumer::External(x) if x.name == name => Some(x),
                _ => None,
            })
        };
        for oa in op.provides.iter().filter(|a| subject_matches_api(s, a)) {
            let Some(ox) = find(oa) else { continue };
            let na = np.and_then(|p| {
                p.provides
                    .iter()
                    .find(|x| x.name.value == oa.name.value && x.version == oa.version)
            });
            let (x, catalog, side) = match na {
                Some(na) => match find(na) {
                    Some(nx) => (nx, self.new, Side::New),
                    None => {
                        return Status::resolved(
                            "no longer listed by the provider in the new catalog",
                        )
                    }
                },
                None => (ox, self.old, Side::Old),
            };
            return match &x.acknowledged {
                Some(a) if a.value >= self.at => Status {
                    status: HitStatus::Acknowledged,
                    until: Some(a.value),
                    at: Some(self.loc_in(catalog, a.loc, side)),
                    note: None,
                },
                Some(a) => Status {
                    status: HitStatus::Affected,
                    until: Some(a.value),
                    at: Some(self.loc_in(catalog, a.loc, side)),
                    note: Some(format!("acknowledgement expired on {}", a.value)),
                },
                None => Status::affected(),
            };
        }
        Status::affected()
    }

    fn loc_in(&self, c: &Catalog, l: Loc, side: Side) -> Location {
        Location {
            side,
            file: c.file_path(l.file).to_string(),
            line: l.line,
        }
    }
}

struct Status {
    status: HitStatus,
    until: Option<Date>,
    at: Option<Location>,
    note: Option<String>,
}

impl Status {
    fn affected() -> Status {
        Status {
            status: HitStatus::Affected,
            until: None,
            at: None,
            note: None,
        }
    }

    fn resolved(note: &str) -> Status {
        Status {
            status: HitStatus::Resolved,
            until: None,
            at: None,
            note: Some(note.to_string()),
        }
    }
}

fn subject_ref(s: &Subject) -> String {
    let mut r = s.system.to_string();
    if let Some(a) = s.api {
        r.push('/');
        r.push_str(a);
    }
    if let Some(v) = s.version {
        r.push_str(&format!("@{v}"));
    }
    r
}

fn subject_matches_api(s: &Subject, a: &Api) -> bool {
    s.api.is_none_or(|n| n == a.name.value) && s.version.is_none_or(|v| v == a.version)
}

/// Whether a `consumes` entry covers the subject, as the impact walk decides it: same system,
/// compatible API and version (an absent part matches everything), and for an endpoint subject
/// `uses` naming it or absent.
fn consumes_subject(c: &Consumption, s: &Subject) -> bool {
    let r = &c.api.value;
    if r.system != s.system {
        return false;
    }
    if let (Some(a), Some(b)) = (r.api.as_deref(), s.api) {
        if a != b {
            return false;
        }
    }
    if let (Some(a), Some(b)) = (r.version, s.version) {
        if a != b {
            return false;
        }
    }
    match (s.endpoint, &c.uses) {
        (None, _) | (Some(_), None) => true,
        (Some((_, k)), Some(list)) => list
            .iter()
            .any(|u| EndpointKey::parse(&u.value).as_ref() == Some(k)),
    }
}
