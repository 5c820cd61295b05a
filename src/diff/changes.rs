//! Finding the changes between two catalogs: systems, APIs and endpoints removed, retired,
//! deprecated, changed or added, each classified and, when breaking, mapped to its hits.

use std::collections::BTreeSet;

use super::spec::compare_operation;
use super::{code, Differ, Location, Severity, Side};
use crate::impact::Target;
use crate::model::{Api, Catalog, Endpoint, Lifecycle, Spanned, System};

impl<'a> Differ<'a> {
    /// A removed or retired system: breaking when anything still depends on it.
    pub(super) fn system_gone(&mut self, oi: usize, code_: &'static str, what: &str) {
        let os = &self.old.systems[oi];
        let target = Target {
            system: oi,
            api: None,
            version: None,
            endpoint: None,
        };
        let impact = self.impact(&target);
        let consumed = impact.reach.direct > 0 || !impact.external.is_empty();
        let apis: Vec<String> = os
            .provides
            .iter()
            .map(|a| code(&a.reference(&os.name)))
            .collect();
        let mut message = format!("system {} {what}", code(&os.name));
        if !apis.is_empty() {
            message.push_str(&format!("; it provided {}", apis.join(", ")));
        }
        if !consumed {
            message.push_str("; nothing in the catalog depends on it");
        }
        let location = if code_ == "system-removed" {
            Some(self.loc_old(os.loc))
        } else {
            self.new.system(&os.name).map(|ns| self.loc_new(ns.loc))
        };
        let severity = if consumed {
            Severity::Breaking
        } else {
            Severity::Notable
        };
        self.push(
            severity,
            code_,
            os.name.value.clone(),
            message,
            location,
            consumed.then_some(impact),
        );
    }

    pub(super) fn system_changed(&mut self, oi: usize, ns: &'a System) {
        let os = &self.old.systems[oi];
        let name = &os.name.value;
        if ns.lifecycle != os.lifecycle {
            match ns.lifecycle {
                Lifecycle::Retired => {
                    // Retired: gone for its consumers. Its APIs are not compared one by one.
                    self.system_gone(oi, "system-retired", "was retired");
                    return;
                }
                Lifecycle::Deprecated if os.lifecycle != Lifecycle::Retired => {
                    let target = Target {
                        system: oi,
                        api: None,
                        version: None,
                        endpoint: None,
                    };
                    let impact = self.impact(&target);
                    self.push(
                        Severity::Notable,
                        "system-deprecated",
                        name.clone(),
                        format!("system {} was deprecated", code(name)),
                        Some(self.loc_new(ns.loc)),
                        Some(impact),
                    );
                }
                _ => self.push(
                    Severity::Safe,
                    "system-lifecycle-changed",
                    name.clone(),
                    format!(
                        "lifecycle of {} changed from {} to {}",
                        code(name),
                        os.lifecycle.as_str(),
                        ns.lifecycle.as_str()
                    ),
                    Some(self.loc_new(ns.loc)),
                    None,
                ),
            }
        }
        if os.owner_name() != ns.owner_name() {
            let loc = ns.owner.as_ref().map(|o| o.loc).unwrap_or(ns.loc);
            self.push(
                Severity::Notable,
                "owner-changed",
                name.clone(),
                format!(
                    "owner of {} changed from {} to {}",
                    code(name),
                    os.owner_name().map(code).unwrap_or_else(|| "none".into()),
                    ns.owner_name().map(code).unwrap_or_else(|| "none".into())
                ),
                Some(self.loc_new(loc)),
                None,
            );
        }
        if os.tier != ns.tier {
            let t = |t: Option<u8>| t.map(|t| format!("tier {t}")).unwrap_or("no tier".into());
            self.push(
                Severity::Notable,
                "tier-changed",
                name.clone(),
                format!(
                    "{} changed from {} to {}",
                    code(name),
                    t(os.tier),
                    t(ns.tier)
                ),
                Some(self.loc_new(ns.loc)),
                None,
            );
        }
        let same = |a: &Api, b: &Api| a.name.value == b.name.value && a.version == b.version;
        for (ai, oa) in os.provides.iter().enumerate() {
            if os.provides[..ai].iter().any(|x| same(x, oa)) {
                continue;
            }
            match ns.provides.iter().find(|na| same(na, oa)) {
                None => self.api_removed(oi, ai, ns),
                Some(na) => self.api_changed(oi, ai, na),
            }
        }
        for (ai, na) in ns.provides.iter().enumerate() {
            if ns.provides[..ai].iter().any(|x| same(x, na))
                || os.provides.iter().any(|oa| same(oa, na))
            {
                continue;
            }
            let reference = na.reference(&ns.name);
            let newest_old = os
                .provides
                .iter()
                .filter(|oa| oa.name.value == na.name.value)
                .map(|oa| oa.version)
                .max();
            match newest_old {
                Some(v) if na.version > v => self.push(
                    Severity::Notable,
                    "api-version-added",
                    reference.clone(),
                    format!(
                        "new major version {} (the newest was @{v}): consumers may want to migrate",
                        code(&reference)
                    ),
                    Some(self.loc_new(na.loc)),
                    None,
                ),
                _ => self.push(
                    Severity::Safe,
                    "api-added",
                    reference.clone(),
                    format!("API {} was added", code(&reference)),
                    Some(self.loc_new(na.loc)),
                    None,
                ),
            }
        }
    }

    fn api_target(&self, oi: usize, oa: &Api) -> Target {
        Target {
            system: oi,
            api: Some(oa.name.value.clone()),
            version: Some(oa.version),
            endpoint: None,
        }
    }

    fn api_removed(&mut self, oi: usize, ai: usize, ns: &System) {
        let os = &self.old.systems[oi];
        let oa = &os.provides[ai];
        let reference = oa.reference(&os.name);
        let mut message = format!("API {} was removed", code(&reference));
        if oa.lifecycle == Lifecycle::Deprecated {
            match &oa.sunset {
                Some(s) => message.push_str(&format!(" (it was deprecated, sunset {})", s.value)),
                None => message.push_str(" (it was deprecated)"),
            }
        }
        let remaining: Vec<String> = ns
            .provides
            .iter()
            .filter(|na| na.name.value == oa.name.value)
            .map(|na| code(&na.reference(&ns.name)))
            .collect();
        if !remaining.is_empty() {
            message.push_str(&format!("; {} remains", remaining.join(", ")));
        }
        let impact = self.impact(&self.api_target(oi, oa));
        self.push(
            Severity::Breaking,
            "api-removed",
            reference,
            message,
            Some(self.loc_old(oa.loc)),
            Some(impact),
        );
    }

    fn api_changed(&mut self, oi: usize, ai: usize, na: &'a Api) {
        let os = &self.old.systems[oi];
        let oa = &os.provides[ai];
        let reference = oa.reference(&os.name);
        if oa.kind != na.kind {
            let impact = self.impact(&self.api_target(oi, oa));
            self.push(
                Severity::Breaking,
                "api-kind-changed",
                reference.clone(),
                format!(
                    "kind of {} changed from {} to {}",
                    code(&reference),
                    oa.kind.as_str(),
                    na.kind.as_str()
                ),
                Some(self.loc_new(na.loc)),
                Some(impact),
            );
        }
        if oa.lifecycle != na.lifecycle {
            match na.lifecycle {
                Lifecycle::Retired => {
                    let impact = self.impact(&self.api_target(oi, oa));
                    self.push(
                        Severity::Breaking,
                        "api-retired",
                        reference.clone(),
                        format!("API {} was retired", code(&reference)),
                        Some(self.loc_new(na.loc)),
                        Some(impact),
                    );
                    return;
                }
                Lifecycle::Deprecated if oa.lifecycle != Lifecycle::Retired => {
                    let impact = self.impact(&self.api_target(oi, oa));
                    let sunset = match &na.sunset {
                        Some(s) => format!(", sunset {}", s.value),
                        None => " without a sunset date".to_string(),
                    };
                    let loc = na.sunset.as_ref().map(|s| s.loc).unwrap_or(na.loc);
                    self.push(
                        Severity::Notable,
                        "api-deprecated",
                        reference.clone(),
                        format!("API {} was deprecated{sunset}", code(&reference)),
                        Some(self.loc_new(loc)),
                        Some(impact),
                    );
                }
                _ => self.push(
                    Severity::Safe,
                    "api-lifecycle-changed",
                    reference.clone(),
                    format!(
                        "lifecycle of {} changed from {} to {}",
                        code(&reference),
                        oa.lifecycle.as_str(),
                        na.lifecycle.as_str()
                    ),
                    Some(self.loc_new(na.loc)),
                    None,
                ),
            }
        } else if na.lifecycle == Lifecycle::Deprecated
            && oa.sunset.as_ref().map(|s| &s.value) != na.sunset.as_ref().map(|s| &s.value)
        {
            let show = |s: &Option<Spanned<String>>| {
                s.as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_else(|| "none".into())
            };
            let loc = na.sunset.as_ref().map(|s| s.loc).unwrap_or(na.loc);
            self.push(
                Severity::Notable,
                "sunset-changed",
                reference.clone(),
                format!(
                    "sunset of {} changed from {} to {}",
                    code(&reference),
                    show(&oa.sunset),
                    show(&na.sunset)
                ),
                Some(self.loc_new(loc)),
                None,
            );
        }
        self.endpoints_changed(oi, ai, na, &reference);
    }

    fn endpoints_changed(&mut self, oi: usize, ai: usize, na: &'a Api, reference: &str) {
        let oa = &self.old.systems[oi].provides[ai];
        let mut seen = BTreeSet::new();
        for oe in &oa.endpoints {
            let key = oe.key();
            if !seen.insert(key.clone()) {
                continue;
            }
            let subject = format!("{reference} {}", oe.label());
            let target = Target {
                endpoint: Some((oe.label(), key.clone())),
                ..self.api_target(oi, oa)
            };
            let Some(ne) = na.find_endpoint(&key) else {
                let impact = self.impact(&target);
                let loc = endpoint_location(self.old, oa, oe, Side::Old);
                self.push(
                    Severity::Breaking,
                    "endpoint-removed",
                    subject,
                    format!(
                        "endpoint {} was removed from {}",
                        code(&oe.label()),
                        code(reference)
                    ),
                    Some(loc),
                    Some(impact),
                );
                continue;
            };
            if ne.deprecated && !oe.deprecated {
                self.push(
                    Severity::Notable,
                    "endpoint-deprecated",
                    subject.clone(),
                    format!(
                        "endpoint {} of {} was deprecated",
                        code(&oe.label()),
                        code(reference)
                    ),
                    Some(endpoint_location(self.new, na, ne, Side::New)),
                    None,
                );
            }
            if let (Some(oc), Some(nc)) = (&oe.contract, &ne.contract) {
                let mut found = Vec::new();
                compare_operation(oc, nc, (&oe.path, &ne.path), &mut found);
                for f in found {
                    let (file, severity_side) = match f.side {
                        Side::Old => (spec_file(oa), Side::Old),
                        Side::New => (spec_file(na), Side::New),
                    };
                    let location = file.map(|file| Location {
                        side: severity_side,
                        file,
                        line: f.line,
                    });
                    let impact = (f.severity == Severity::Breaking).then(|| self.impact(&target));
                    self.push(
                        f.severity,
                        f.code,
                        subject.clone(),
                        f.message,
                        location,
                        impact,
                    );
                }
            }
        }
        let mut added = BTreeSet::new();
        for ne in &na.endpoints {
            let key = ne.key();
            if oa.find_endpoint(&key).is_some() || !added.insert(key) {
                continue;
            }
            self.push(
                Severity::Safe,
                "endpoint-added",
                format!("{reference} {}", ne.label()),
                format!(
                    "endpoint {} was added to {}",
                    code(&ne.label()),
                    code(reference)
                ),
                Some(endpoint_location(self.new, na, ne, Side::New)),
                None,
            );
        }
    }
}

fn spec_file(a: &Api) -> Option<String> {
    a.spec.as_ref().map(|s| s.value.clone())
}

/// Where an endpoint is declared: its operation in the spec, or its line in the catalog file.
fn endpoint_location(c: &Catalog, a: &Api, e: &Endpoint, side: Side) -> Location {
    match (&e.contract, &a.spec) {
        (Some(k), Some(spec)) if k.line > 0 => Location {
            side,
            file: spec.value.clone(),
            line: k.line,
        },
        _ => Location {
            side,
            file: c.file_path(e.loc.file).to_string(),
            line: e.loc.line,
        },
    }
}
