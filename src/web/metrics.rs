//! `GET /metrics`: the server's metrics in the Prometheus text format (0.0.4), through the
//! Prometheus project's own client crate (`prometheus-client`; ARCHITECTURE.md says why).
//!
//! Requests, searches and reloads are counted as they happen ([`Metrics::request`],
//! [`Metrics::reload`]); the catalog's size, the snapshot's age and the process's memory are
//! read from the served snapshot when scraped. Names follow Prometheus's conventions: a
//! `cairn_` prefix, base units (seconds, bytes), `_total` on counters.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use super::{AppState, ReloadReport};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/systems/{name}`), never the path asked for: the number of
    /// series stays bounded whatever clients send.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SurfaceLabels {
    /// `api` (`/api/v1/search`) or `page` (`/search`).
    surface: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    /// `swapped` (a new snapshot is served) or `kept` (nothing changed, or the catalog could
    /// not be read and the last snapshot stays).
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabels {
    severity: &'static str,
}

type Latency = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The server's metrics. Cheap to clone (the metrics are shared).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    searches: Family<SurfaceLabels, Counter>,
    search_latency: Family<SurfaceLabels, Histogram, fn() -> Histogram>,
    reloads: Family<ReloadLabels, Counter>,
    reload_duration: Histogram,
    entities: Family<KindLabels, Gauge>,
    diagnostics: Family<SeverityLabels, Gauge>,
    held_files: Gauge,
    snapshot_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    generation: Gauge,
    resident: Gauge,
}

/// Request latencies: 0.5 ms to ~16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("cairn");
        let requests = Family::<RequestLabels, Counter>::default();
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        r.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer, by method, route and status",
            Unit::Seconds,
            latency.clone(),
        );
        let searches = Family::<SurfaceLabels, Counter>::default();
        r.register(
            "searches",
            "Searches answered (the search page and /api/v1/search)",
            searches.clone(),
        );
        let search_latency: Family<SurfaceLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        r.register_with_unit(
            "search_duration",
            "Time to answer a search",
            Unit::Seconds,
            search_latency.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        r.register(
            "reloads",
            "Reloads after catalog edits, by result",
            reloads.clone(),
        );
        // Reloads: 5 ms to ~80 s, doubling.
        let reload_duration = Histogram::new(exponential_buckets(0.005, 2.0, 15));
        r.register_with_unit(
            "reload_duration",
            "Time a reload took, from the edit being noticed to the swap",
            Unit::Seconds,
            reload_duration.clone(),
        );
        let entities = Family::<KindLabels, Gauge>::default();
        r.register(
            "catalog_entities",
            "Entities in the served catalog, by kind (system, api, team, domain)",
            entities.clone(),
        );
        let diagnostics = Family::<SeverityLabels, Gauge>::default();
        r.register(
            "catalog_diagnostics",
            "Diagnostics of the served catalog, by severity",
            diagnostics.clone(),
        );
        let held_files = Gauge::default();
        r.register(
            "catalog_held_files",
            "Catalog files whose newest version has errors and is held back",
            held_files.clone(),
        );
        let snapshot_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        r.register_with_unit(
            "snapshot_age",
            "Time since the served snapshot was loaded",
            Unit::Seconds,
            snapshot_age.clone(),
        );
        let generation = Gauge::default();
        r.register(
            "snapshot_generation",
            "Snapshots swapped in since the server started (0: the first)",
            generation.clone(),
        );
        let resident = Gauge::default();
        r.register_with_unit(
            "process_resident_memory",
            "Resident memory of the process",
            Unit::Bytes,
            resident.clone(),
        );
        Metrics(Arc::new(Inner {
            registry: r,
            requests,
            latency,
            searches,
            search_latency,
            reloads,
            reload_duration,
            entities,
            diagnostics,
            held_files,
            snapshot_age,
            generation,
            resident,
        }))
    }

    /// One answered request. Searches are counted a second time on their own.
    pub(super) fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = RequestLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.0.requests.get_or_create(&labels).inc();
        self.0
            .latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        let surface = match route {
            "/api/v1/search" => "api",
            "/search" => "page",
            _ => return,
        };
        let s = SurfaceLabels { surface };
        self.0.searches.get_or_create(&s).inc();
        self.0
            .search_latency
            .get_or_create(&s)
            .observe(took.as_secs_f64());
    }

    /// One reload, as the watcher ran it.
    pub fn reload(&self, report: &ReloadReport) {
        let result = if report.swapped { "swapped" } else { "kept" };
        self.0.reloads.get_or_create(&ReloadLabels { result }).inc();
        self.0.reload_duration.observe(report.took.as_secs_f64());
    }

    /// The text a scrape gets, with the gauges read from `st` now.
    pub fn encode(&self, st: &AppState) -> String {
        let live = st.live();
        let snap = &live.snapshot;
        let c = &snap.catalog;
        let m = &self.0;
        let apis: usize = c.systems.iter().map(|s| s.provides.len()).sum();
        for (kind, n) in [
            ("system", c.systems.len()),
            ("api", apis),
            ("team", c.teams.len()),
            ("domain", c.domains.len()),
        ] {
            m.entities.get_or_create(&KindLabels { kind }).set(n as i64);
        }
        for (severity, n) in [("error", c.errors()), ("warning", c.warnings())] {
            m.diagnostics
                .get_or_create(&SeverityLabels { severity })
                .set(n as i64);
        }
        m.held_files.set(c.held.len() as i64);
        let age = snap.loaded_at.elapsed().unwrap_or_default();
        m.snapshot_age.set(age.as_secs_f64());
        m.generation.set(snap.generation as i64);
        if let Some(bytes) = resident_bytes() {
            m.resident.set(bytes as i64);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &m.registry);
        out
    }
}

/// The process's resident memory (Linux: `VmRSS` of `/proc/self/status`).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `GET /metrics`.
pub async fn scrape(State(st): State<AppState>) -> Response {
    let Some(metrics) = st.metrics() else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off (cairn serve --no-metrics)\n",
        )
            .into_response();
    };
    (
        [(
            header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )],
        metrics.encode(&st),
    )
        .into_response()
}
