//! Named feeds between downloads: the last result of each (a schedule, or why there is none),
//! put into every catalog the server or a command builds ([`FeedStore::attach`]), so a
//! reload never waits for the network and a feed that cannot be fetched keeps its last good
//! schedule.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::diag::Diagnostic;
use crate::ical::fetch::{fetch, FeedUrls, Limits};
use crate::ical::Schedule;
use crate::model::{Catalog, FeedSource};

/// The last download of one feed.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The last schedule read, kept when a later download fails.
    pub schedule: Option<Arc<Schedule>>,
    /// Why the last download failed (`None` when it worked).
    pub error: Option<String>,
    /// When the last download was tried.
    pub at: SystemTime,
}

/// The operator's feeds (`--ical NAME=URL`) and what was last downloaded of each.
#[derive(Debug, Default)]
pub struct FeedStore {
    urls: FeedUrls,
    limits: Limits,
    last: Mutex<BTreeMap<String, Fetched>>,
}

impl FeedStore {
    pub fn new(urls: FeedUrls, limits: Limits) -> FeedStore {
        FeedStore {
            urls,
            limits,
            last: Mutex::default(),
        }
    }

    pub fn urls(&self) -> &FeedUrls {
        &self.urls
    }

    /// Downloads the feeds `names` (those that are mapped) with `get` (normally
    /// [`fetch`]), one after the other; returns whether any schedule changed.
    pub fn refresh_with(
        &self,
        names: &BTreeSet<String>,
        get: &dyn Fn(&str) -> Result<String, String>,
    ) -> bool {
        let mut changed = false;
        for name in names {
            let Some(url) = self.urls.get(name) else {
                continue;
            };
            let got = get(url).and_then(|text| crate::ical::parse(&text));
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            let prev = last.get(name).and_then(|f| f.schedule.clone());
            let entry = match got {
                Ok(s) => {
                    let s = Arc::new(s);
                    changed |= prev.as_deref() != Some(&*s);
                    Fetched {
                        schedule: Some(s),
                        error: None,
                        at: SystemTime::now(),
                    }
                }
                Err(e) => {
                    changed |= last.get(name).is_none_or(|f| f.error.as_ref() != Some(&e));
                    Fetched {
                        schedule: prev,
                        error: Some(e),
                        at: SystemTime::now(),
                    }
                }
            };
            last.insert(name.clone(), entry);
        }
        changed
    }

    /// [`FeedStore::refresh_with`] downloading with `curl`.
    pub fn refresh(&self, names: &BTreeSet<String>) -> bool {
        let limits = self.limits;
        self.refresh_with(names, &|url| fetch(url, limits))
    }

    /// The last download of `name`.
    pub fn fetched(&self, name: &str) -> Option<Fetched> {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// Puts the last schedule of every named feed into `c`'s teams, with a warning for each
    /// feed that is not mapped, not fetched yet, or whose last download failed.
    pub fn attach(&self, c: &mut Catalog) {
        let mut diags = Vec::new();
        let files: Vec<String> = c.files.iter().map(|f| f.path.clone()).collect();
        for t in &mut c.teams {
            let Some(oc) = &mut t.oncall else { continue };
            for f in &mut oc.feeds {
                let FeedSource::Named(name) = &f.source else {
                    continue;
                };
                let file = files
                    .get(f.loc.file as usize)
                    .map(String::as_str)
                    .unwrap_or("");
                let warn = |code: &'static str, msg: String, hint: &str| {
                    Diagnostic::warning(code, file, f.loc.line, f.loc.col, msg).with_hint(hint)
                };
                if self.urls.get(name).is_none() {
                    f.schedule = Some(Err(format!(
                        "feed `{name}` is not mapped to a URL (whoever runs Cairn passes --ical {name}=URL)"
                    )));
                    diags.push(warn(
                        "oncall-feed-unmapped",
                        format!("on-call feed `{name}` is not mapped to a URL"),
                        "until it is (--ical NAME=URL or CAIRN_ICAL), on-call comes from the team's rotation",
                    ));
                    continue;
                }
                f.schedule = Some(match self.fetched(name) {
                    Some(Fetched {
                        schedule: Some(s),
                        error,
                        ..
                    }) => {
                        if let Some(e) = error {
                            diags.push(warn(
                                "oncall-feed-unavailable",
                                format!(
                                    "on-call feed `{name}` {e}; its last good download is used"
                                ),
                                "check the URL given with --ical",
                            ));
                        }
                        Ok(s)
                    }
                    Some(Fetched { error: Some(e), .. }) => {
                        diags.push(warn(
                            "oncall-feed-unavailable",
                            format!("on-call feed `{name}` {e}"),
                            "until it can be fetched, on-call comes from the team's rotation",
                        ));
                        Err(e)
                    }
                    _ => Err(format!("feed `{name}` was not fetched yet")),
                });
                if let Some(Ok(s)) = &f.schedule {
                    for why in s.skipped.iter().take(5) {
                        diags.push(warn(
                            "oncall-feed-event",
                            format!("on-call feed `{name}`: {why}; left out"),
                            "the rest of the feed is used",
                        ));
                    }
                }
            }
        }
        c.diagnostics.extend(diags);
        crate::diag::sort(&mut c.diagnostics);
    }
}

/// The feed names `c`'s teams use.
pub fn named_feeds(c: &Catalog) -> BTreeSet<String> {
    c.teams
        .iter()
        .filter_map(|t| t.oncall.as_ref())
        .flat_map(|o| o.feeds.iter())
        .filter_map(|f| match &f.source {
            FeedSource::Named(n) => Some(n.clone()),
            FeedSource::File(_) => None,
        })
        .collect()
}
