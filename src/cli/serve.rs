//! `cairn serve`: listens first (the probes answer at once: `/readyz` says 503 until the
//! catalog is served), then loads the catalog, reads observed traffic, builds the first
//! snapshot and serves it with live reload; named on-call feeds (`--ical`) are downloaded in the
//! background and again every `--ical-refresh`. Its messages are log events (`tracing`): text on
//! a terminal, or one JSON object per line with `--log-format json`.

use std::path::Path;
use std::sync::Arc;

use super::{
    exit, load_catalog_cached, observed_options, open_sources, read_observed, settings_observed,
};
use super::{Args, LogFormat, Out};
use crate::loader::LoadOptions;
use crate::oncall::store::FeedStore;
use crate::snapshot::{IndexPlan, ObservedConfig, Served, Snapshot};
use crate::text::plural;
use crate::web::{self, AppState};

/// Resolved `serve` arguments.
pub struct ServeArgs<'a> {
    pub addr: std::net::SocketAddr,
    pub watch: bool,
    pub observed: &'a [String],
    pub index_dir: Option<&'a Path>,
    pub log_format: LogFormat,
    pub metrics: bool,
    /// `NAME=URL` mappings of the catalog's named on-call feeds.
    pub ical: &'a [String],
    pub ical_refresh: std::time::Duration,
    /// The secret of the signed source refresh endpoint (docs/sources.md).
    pub webhook_secret_file: Option<&'a Path>,
}

pub fn run(args: &Args, a: ServeArgs<'_>, out: &mut Out) -> anyhow::Result<i32> {
    init_logging(a.log_format, out.stderr_color);
    if !a.addr.ip().is_loopback() {
        tracing::warn!(
            addr = %a.addr,
            "listening beyond this machine: Cairn has no authentication of its own; keep it behind the organisation's proxy (docs/security.md)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cfg = web::ServeConfig {
        addr: a.addr,
        watch: a.watch,
    };
    let mut server = runtime.block_on(web::Server::bind(cfg.addr))?;
    let bound = server.addr();
    tracing::info!(
        addr = %bound,
        "listening on http://{bound}/; loading {} (/readyz answers 503 until it is served)",
        args.catalog.display()
    );
    let urls = crate::ical::fetch::FeedUrls::parse(a.ical.iter().map(String::as_str))
        .map_err(|e| anyhow::anyhow!("--ical: {e}"))?;
    let feeds = Arc::new(FeedStore::new(urls, Default::default()));
    // The catalog is loaded here, on this thread, while the runtime's workers answer the probes.
    let (state, build_index) = first_snapshot(args, &a, &feeds, out)?;
    {
        let _in_runtime = runtime.enter();
        server.open(state.clone(), &cfg)?;
    }
    // Serving: the search index is built from now on (its threads would have slowed the steps
    // before the doors opened).
    drop(build_index);
    if !feeds.urls().is_empty() {
        refresh_feeds(state.clone(), feeds, a.ical_refresh);
    }
    if state.sources().is_some() {
        refresh_sources(state);
    }
    tracing::info!(addr = %bound, "Cairn is serving http://{bound}/  (Ctrl-C to stop)");
    runtime.block_on(server.run())?;
    tracing::info!("stopped");
    Ok(exit::OK)
}

/// Loads the catalog and the observed traffic and builds the first snapshot, all of it but its
/// search index, which is built in the background once the returned sender is dropped.
fn first_snapshot(
    args: &Args,
    a: &ServeArgs<'_>,
    feeds: &Arc<FeedStore>,
    out: &mut Out,
) -> anyhow::Result<(AppState, std::sync::mpsc::Sender<()>)> {
    let started = std::time::Instant::now();
    let secret = match a.webhook_secret_file {
        Some(f) => {
            let bytes = crate::loader::read::read_regular(f, 64 * 1024)
                .map_err(|e| anyhow::anyhow!("--webhook-secret-file {}: {e:?}", f.display()))?;
            let secret = String::from_utf8_lossy(&bytes).trim().as_bytes().to_vec();
            if secret.is_empty() {
                anyhow::bail!("--webhook-secret-file {}: the file is empty", f.display());
            }
            Some(secret)
        }
        None => None,
    };
    let sources = open_sources(&args.catalog, args, out)?;
    let root = sources
        .as_ref()
        .map(|s| s.tree().to_path_buf())
        .unwrap_or_else(|| args.catalog.clone());
    if let Some(s) = &sources {
        tracing::info!(
            sources = s.names().len(),
            tree = %s.tree().display(),
            "reading the catalog from its sources: {}",
            s.names().join(", ")
        );
    }
    let (mut catalog, cache) = load_catalog_cached(&args.catalog, &root, args, out)?;
    if let Some(s) = &sources {
        s.attach(&mut catalog);
    }
    // Named feeds are not downloaded yet (in the background, once serving): until then each
    // role comes from the rotation; a feed no --ical maps is a warning.
    feeds.attach(&mut catalog);
    let (errors, warnings, systems) = (catalog.errors(), catalog.warnings(), catalog.systems.len());
    let opts = LoadOptions {
        max_file_size: args.max_file_size,
    };
    let from_settings = settings_observed(&catalog, &root);
    let observed: &[String] = if a.observed.is_empty() {
        &from_settings
    } else {
        a.observed
    };
    let evidence = if observed.is_empty() {
        None
    } else {
        // A source that cannot be read (a URL that does not answer) never stops the server: it
        // starts without observed data, says why, and reads the sources again on every reload.
        let (data, unread) = match read_observed(observed, args) {
            Ok(data) => {
                tracing::info!(
                    pairs = data.edges.len(),
                    sources = data.sources.len(),
                    "observed traffic: {} caller → callee pairs from {} source(s), re-read on every reload",
                    data.edges.len(),
                    data.sources.len()
                );
                (data, None)
            }
            Err(e) => {
                tracing::warn!(
                    "observed traffic not read, starting without it (read again on every reload): {e:#}"
                );
                (crate::observed::Observed::default(), Some(format!("{e:#}")))
            }
        };
        Some((
            ObservedConfig {
                sources: observed.to_vec(),
                read: observed_options(args),
                unread,
            },
            data,
        ))
    };
    let snapshot = Snapshot::new(catalog);
    let (build_index, after) = std::sync::mpsc::channel();
    let plan = IndexPlan {
        dir: a.index_dir.map(Path::to_path_buf),
        after: Some(after),
    };
    let served = Served::start(snapshot, plan, &root, opts, evidence)?;
    served.set_feeds(feeds.clone());
    if let Some(s) = sources {
        served.set_sources(s, secret);
    } else if secret.is_some() {
        tracing::warn!("--webhook-secret-file given, but the catalog's settings list no sources: the refresh endpoint has nothing to refresh");
    }
    let mut state = AppState::from(served);
    if !a.metrics {
        state = state.without_metrics();
    }
    if a.watch {
        state.set_load_cache(cache);
    } else {
        // Every parse result of the load: freeing it is a tenth of a second at 10,000 files,
        // and nothing waits for it.
        let _ = std::thread::Builder::new()
            .name("drop-load-cache".into())
            .spawn(move || drop(cache));
    }
    let revision = state.live().snapshot.revision().to_string();
    tracing::info!(
        systems,
        errors,
        warnings,
        revision = %revision,
        "loaded {} ({}, {}, {}) in {:.1?}; the search index is being built",
        args.catalog.display(),
        plural(systems, "system", "systems"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        started.elapsed()
    );
    if errors > 0 {
        tracing::info!("run `cairn check` to see the errors; the server shows them too");
    }
    Ok((state, build_index))
}

/// Sends the server's log events to stderr: text (coloured on a terminal) or JSON lines,
/// filtered by `RUST_LOG` (default `info`). Control characters in events are escaped by the
/// formatter, so catalog text cannot drive the terminal.
fn init_logging(format: LogFormat, color: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| SafeStderr)
        .with_target(false);
    // Only one subscriber per process: a second `serve` in one process (tests) keeps the first.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(color).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Stderr for log lines. The formatter escapes ESC, BEL, backspace, DEL and C1 characters in
/// events, so an escape sequence in the output is its own colouring; this replaces the C0
/// characters it leaves (carriage return, vertical tab, NUL, ...) with U+FFFD too, so catalog
/// text in a message cannot rewrite a log line on a terminal (docs/security.md, "Terminal").
struct SafeStderr;

impl std::io::Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().lock().write_all(&log_safe(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// `buf` with every C0 control character but newline, tab and ESC replaced by U+FFFD.
fn log_safe(buf: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let bad = |b: u8| b < 0x20 && !matches!(b, b'\n' | b'\t' | 0x1b);
    if !buf.iter().any(|&b| bad(b)) {
        return std::borrow::Cow::Borrowed(buf);
    }
    let mut out = Vec::with_capacity(buf.len() + 8);
    for &b in buf {
        if bad(b) {
            out.extend_from_slice("\u{FFFD}".as_bytes());
        } else {
            out.push(b);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Downloads the named on-call feeds now and every `every`, on a thread of its own (curl
/// blocks); a download that changed a schedule, or how one failed, reloads the catalog so the
/// pages show it, and one that changed nothing swaps nothing.
fn refresh_feeds(state: AppState, feeds: Arc<FeedStore>, every: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("ical-refresh".into())
        .spawn(move || loop {
            let names = crate::oncall::store::named_feeds(&state.live().snapshot.catalog);
            let started = std::time::Instant::now();
            if !names.is_empty() && feeds.refresh(&names) {
                let report = state.reload_report();
                let failed: Vec<String> = names
                    .iter()
                    .filter_map(|n| {
                        feeds
                            .fetched(n)
                            .and_then(|f| f.error.map(|e| format!("{n}: {e}")))
                    })
                    .collect();
                tracing::info!(
                    feeds = names.len(),
                    failed = failed.len(),
                    swapped = report.swapped,
                    "on-call feeds downloaded in {:.1?}: a schedule changed, catalog reloaded{}",
                    started.elapsed(),
                    if failed.is_empty() {
                        String::new()
                    } else {
                        format!(" (not downloaded, last good kept: {})", failed.join("; "))
                    }
                );
            }
            std::thread::sleep(every);
        });
    if let Err(e) = spawned {
        tracing::warn!("on-call feeds will not be refreshed: {e}");
    }
}

/// Fetches every source again when its `refresh` interval has passed, and copies the settings
/// file when it changed, on a thread of its own (git blocks). A refresh that changed files, or how a fetch went, reloads the catalog; one
/// that changed nothing swaps nothing.
fn refresh_sources(state: AppState) {
    let Some((sources, _)) = state.sources().cloned() else {
        return;
    };
    // Directory sources are watched: an edit there is read within a moment, and an idle
    // server reads nothing. Their interval stays as a safety net, longer while watched.
    let (touched, changes) = std::sync::mpsc::channel::<String>();
    let watchers = watch_directories(&sources, touched);
    let spawned = std::thread::Builder::new()
        .name("source-refresh".into())
        .spawn(move || {
            let watching = watchers;
            let every = |name: &str| {
                let every = sources.refresh_every(name);
                if watching.iter().any(|(n, _)| n == name) {
                    every.max(WATCHED_DIR_REFRESH)
                } else {
                    every
                }
            };
            let now = std::time::Instant::now();
            let mut due: Vec<(String, std::time::Instant)> = sources
                .names()
                .into_iter()
                .map(|n| {
                    let at = now + every(&n);
                    (n, at)
                })
                .collect();
            // When each source was last read.
            let mut read_at: std::collections::HashMap<String, std::time::Instant> =
                std::collections::HashMap::new();
            loop {
                // The settings file is looked at every few seconds whatever the sources'
                // intervals: an edit to its glossary or scorecard goes live as it would in a
                // directory catalog.
                let settings_due = std::time::Instant::now() + crate::sources::DIR_REFRESH;
                let next = due
                    .iter()
                    .map(|(_, at)| *at)
                    .min()
                    .map_or(settings_due, |n| n.min(settings_due));
                let wait = next.saturating_duration_since(std::time::Instant::now());
                match changes.recv_timeout(wait) {
                    Ok(name) => {
                        // An editor's save is several events: read once they have settled.
                        std::thread::sleep(WATCH_SETTLE);
                        let mut names = vec![name];
                        names.extend(changes.try_iter());
                        let now = std::time::Instant::now();
                        for (n, at) in due.iter_mut() {
                            if names.contains(n) {
                                // A folder that keeps changing (a build writing into it) is
                                // read at most every DIR_REFRESH, as when it was polled.
                                let soonest = read_at
                                    .get(n)
                                    .map_or(now, |r| *r + crate::sources::DIR_REFRESH);
                                *at = (*at).min(soonest.max(now));
                            }
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    // No directory is watched (only git sources, or none could be): wait
                    // instead, or this loop would spin.
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        std::thread::sleep(wait)
                    }
                }
                if sources.copy_settings() {
                    let report = state.reload_report();
                    tracing::info!(swapped = report.swapped, "settings file changed: {report}");
                }
                for (name, at) in due.iter_mut() {
                    if *at > std::time::Instant::now() {
                        continue;
                    }
                    *at = std::time::Instant::now() + every(name);
                    read_at.insert(name.clone(), std::time::Instant::now());
                    state.refresh_source(name);
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("sources will not be refreshed: {e}");
    }
}

/// How often a watched directory source is read anyway, should an event have been missed.
const WATCHED_DIR_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);
/// How long after a change in a directory source it is read (the rest of a save arrives).
const WATCH_SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// A watcher on each directory source that sends its name on every change (reads are not
/// changes: the refresh's own reads would start it again). A directory that cannot be watched
/// (missing, out of inotify watches) is polled as before, and the log says why.
fn watch_directories(
    sources: &crate::sources::Sources,
    touched: std::sync::mpsc::Sender<String>,
) -> Vec<(String, notify::RecommendedWatcher)> {
    use notify::Watcher;
    let mut watching = Vec::new();
    for (name, dir) in sources.directories() {
        let (tx, n) = (touched.clone(), name.clone());
        let on_event = move |ev: notify::Result<notify::Event>| {
            if matches!(&ev, Ok(e) if matches!(e.kind, notify::EventKind::Access(_))) {
                return;
            }
            let _ = tx.send(n.clone());
        };
        // Symlinks are not followed: a committed link to `/` would otherwise have the watcher
        // walk the whole disk (the refresh itself never reads through one).
        let config = notify::Config::default().with_follow_symlinks(false);
        let watcher = notify::RecommendedWatcher::new(on_event, config);
        let watched = watcher.and_then(|mut w| {
            w.watch(&dir, notify::RecursiveMode::Recursive)?;
            Ok(w)
        });
        match watched {
            Ok(w) => watching.push((name, w)),
            Err(e) => tracing::warn!(
                source = %name,
                "directory source {name} is not watched ({e}); it is read every {:?} instead",
                sources.refresh_every(&name)
            ),
        }
    }
    watching
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_lines_keep_newlines_tabs_and_colours_and_lose_other_controls() {
        let safe = |s: &str| String::from_utf8(super::log_safe(s.as_bytes()).into_owned()).unwrap();
        assert_eq!(safe("a\tb\n"), "a\tb\n");
        assert_eq!(safe("\x1b[1mINFO\x1b[0m x\n"), "\x1b[1mINFO\x1b[0m x\n");
        assert_eq!(
            safe("file\rfake line\x00\x0b\n"),
            "file\u{FFFD}fake line\u{FFFD}\u{FFFD}\n"
        );
    }
}
