//! Watching the catalog directory and reloading after a burst of edits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::AppState;
use crate::loader;

/// When the watcher reloads after a burst of file events: once no event has arrived for `quiet`
/// (an editor's save is several events), but never later than `max_wait` after the burst's first
/// event. Without the cap, files rewritten more often than `quiet` (a generator, a sync loop) would
/// postpone the reload for as long as they kept changing: the load test found exactly that.
#[derive(Clone, Copy, Debug)]
pub struct Debounce {
    pub quiet: Duration,
    pub max_wait: Duration,
}

impl Debounce {
    /// The watcher's: a save shows up 150 ms after it, a stream of edits every 750 ms at most.
    pub const WATCH: Debounce = Debounce {
        quiet: Duration::from_millis(150),
        max_wait: Duration::from_millis(750),
    };

    /// The instant to reload at, for a burst whose first event came at `first` and its latest
    /// at `last`.
    pub fn deadline(
        &self,
        first: std::time::Instant,
        last: std::time::Instant,
    ) -> std::time::Instant {
        (last + self.quiet).min(first + self.max_wait)
    }
}

/// Watches the catalog directory; after a burst of changes (see [`Debounce::WATCH`]), reloads off
/// the async runtime. Returns the watcher, which stops watching when dropped.
///
/// The paths the events name go with the reload, so it stats those files instead of walking
/// the catalog ([`AppState::reload_touched`]). What changed between the startup load and the
/// watch starting is caught by one walk in the background right after the watch starts
/// ([`AppState::catch_up`]).
pub fn watch(state: AppState) -> anyhow::Result<Watching> {
    use notify::Watcher;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Touch>();
    // Symlinked folders inside the catalog are not followed: a committed link to `/` had the
    // watcher walk and watch the whole disk (15,519 watches for a link to /usr), and the
    // loader does not descend into them either. A catalog root that is a link is still
    // followed (walkdir follows the root).
    let config = notify::Config::default().with_follow_symlinks(false);
    let on_event = move |ev: notify::Result<notify::Event>| {
        let touch = match ev {
            Ok(ev) if matches!(ev.kind, notify::EventKind::Access(_)) => return,
            Ok(ev) if ev.need_rescan() || ev.paths.is_empty() => Touch::Rescan,
            Ok(ev) => Touch::Paths(ev.paths),
            // A watcher error may have cost events: walk.
            Err(_) => Touch::Rescan,
        };
        let _ = tx.send(touch);
    };
    let mut watcher = notify::RecommendedWatcher::new(on_event, config)?;
    watcher.watch(state.root(), notify::RecursiveMode::Recursive)?;
    // A catalog root that is a symlink (git-sync's `--link`) is replaced by swapping the
    // link: watch the directory holding it too, so the swap itself is an event.
    let link_parent = is_symlink(state.root())
        .then(|| state.root().parent().map(Path::to_path_buf))
        .flatten();
    if let Some(parent) = &link_parent {
        watcher.watch(parent, notify::RecursiveMode::NonRecursive)?;
    }
    let watcher = std::sync::Arc::new(std::sync::Mutex::new(watcher));
    let watcher_keep = watcher.clone();
    let mut watched = state.root().canonicalize().ok();
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        st.prepare_reload();
        // After the watch started: what changed before it is found by this walk, what
        // changes after it is in the events.
        let started = std::time::Instant::now();
        match st.catch_up() {
            Some(report) => {
                if let Some(m) = st.metrics() {
                    m.reload(&report);
                }
                tracing::info!(swapped = report.swapped, "changed while starting: {report}")
            }
            None => tracing::info!(
                "watching for changes (checked every file in {:.0} ms)",
                started.elapsed().as_secs_f64() * 1000.0
            ),
        }
    });
    tokio::spawn(async move {
        while let Some(touch) = rx.recv().await {
            let mut touched = loader::Touched::default();
            touch.add_to(&mut touched);
            let first = std::time::Instant::now();
            let mut last = first;
            loop {
                let at = tokio::time::Instant::from_std(Debounce::WATCH.deadline(first, last));
                match tokio::time::timeout_at(at, rx.recv()).await {
                    Ok(Some(touch)) => {
                        touch.add_to(&mut touched);
                        last = std::time::Instant::now();
                    }
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            // The root now resolves somewhere else (its symlink was swapped): watch the new
            // directory instead of the old one (gone, or about to be), and walk.
            let now = state.root().canonicalize().ok();
            if now != watched {
                let mut w = watcher.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(old) = &watched {
                    let _ = w.unwatch(old);
                }
                if let Some(new) = &now {
                    if let Err(e) = w.watch(new, notify::RecursiveMode::Recursive) {
                        tracing::warn!(error = %e, "cannot watch the catalog's new directory");
                    }
                }
                watched = now;
                touched.rescan = true;
            }
            let st = state.clone();
            let reload = move || st.reload_touched(Some(&touched));
            if let Ok(report) = tokio::task::spawn_blocking(reload).await {
                if let Some(m) = state.metrics() {
                    m.reload(&report);
                }
                let ms = (report.took.as_secs_f64() * 1e4).round() / 10.0;
                tracing::info!(
                    swapped = report.swapped,
                    errors = report.errors,
                    ms,
                    "{report}"
                );
            }
        }
    });
    Ok(Watching {
        _watcher: watcher_keep,
    })
}

/// Watching the catalog; stops when dropped.
pub struct Watching {
    _watcher: std::sync::Arc<std::sync::Mutex<notify::RecommendedWatcher>>,
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// One file event, as the watcher passes it on.
enum Touch {
    Paths(Vec<PathBuf>),
    Rescan,
}

impl Touch {
    fn add_to(self, touched: &mut loader::Touched) {
        match self {
            Touch::Paths(p) => touched.paths.extend(p),
            Touch::Rescan => touched.rescan = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_edits_reloads_after_a_quiet_spell_or_at_the_cap() {
        let d = Debounce::WATCH;
        let t0 = std::time::Instant::now();
        let ms = |n| Duration::from_millis(n);
        // One save: 150 ms after it.
        assert_eq!(d.deadline(t0, t0), t0 + ms(150));
        // A second event 100 ms later moves the reload to 150 ms after that one.
        assert_eq!(d.deadline(t0, t0 + ms(100)), t0 + ms(250));
        // Edits every 100 ms forever: the reload still comes 750 ms after the first.
        assert_eq!(d.deadline(t0, t0 + ms(700)), t0 + ms(750));
        assert_eq!(d.deadline(t0, t0 + ms(5_000)), t0 + ms(750));
    }
}
