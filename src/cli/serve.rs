//! `cairn serve`: loads the catalog, reads observed traffic, builds the first snapshot and
//! serves it with live reload.

use std::path::Path;

use super::{exit, load_catalog_cached, observed_options, read_observed, settings_observed};
use super::{Args, Out};
use crate::loader::LoadOptions;
use crate::snapshot::{ObservedConfig, Served, Snapshot};
use crate::web::{self, AppState};

/// Resolved `serve` arguments.
pub struct ServeArgs<'a> {
    pub addr: std::net::SocketAddr,
    pub watch: bool,
    pub observed: &'a [String],
    pub index_dir: Option<&'a Path>,
}

pub fn run(args: &Args, a: ServeArgs<'_>, out: &mut Out) -> anyhow::Result<i32> {
    let ServeArgs {
        addr,
        watch,
        observed,
        index_dir,
    } = a;
    let (catalog, cache) = load_catalog_cached(&args.catalog, args, out)?;
    let (errors, warnings, systems) = (catalog.errors(), catalog.warnings(), catalog.systems.len());
    let opts = LoadOptions {
        max_file_size: args.max_file_size,
    };
    let from_settings = settings_observed(&catalog, &args.catalog);
    let observed: &[String] = if observed.is_empty() {
        &from_settings
    } else {
        observed
    };
    let mut observed_msg = String::new();
    let evidence = if observed.is_empty() {
        None
    } else {
        // A source that cannot be read (a URL that does not answer) never stops the server: it
        // starts without observed data, says why, and reads the sources again on every reload.
        let (data, unread) = match read_observed(observed, args) {
            Ok(data) => {
                observed_msg = format!(
                    "observed traffic: {} caller → callee pairs from {} source(s), re-read on every reload\n",
                    data.edges.len(),
                    data.sources.len()
                );
                (data, None)
            }
            Err(e) => {
                out.warn(&format!(
                    "observed traffic not read, starting without it (read again on every reload): {e:#}"
                ));
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
    let started = std::time::Instant::now();
    let snapshot = Snapshot::new(catalog);
    let search_fallback = match index_dir {
        Some(dir) => snapshot.persist_search_in(dir)?,
        None => None,
    };
    if let Some(why) = &search_fallback {
        out.warn(why);
    } else if snapshot.search_index()?.was_reused() {
        out.eprint("search index reused from --index-dir (the catalog is unchanged)\n");
    }
    let served = Served::start(snapshot, search_fallback, &args.catalog, opts, evidence)?;
    let state = AppState::from(served);
    if watch {
        state.set_load_cache(cache);
    }
    out.eprint(&format!(
        "loaded {} ({systems} systems, {errors} errors, {warnings} warnings); indexed in {:.1?}\n",
        args.catalog.display(),
        started.elapsed()
    ));
    if errors > 0 {
        out.eprint("run `cairn check` to see the errors; the server shows them too\n");
    }
    out.eprint(&observed_msg);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut ready_msg = String::new();
    let result = runtime.block_on(web::serve(state, web::ServeConfig { addr, watch }, |a| {
        ready_msg = format!("Cairn is serving http://{a}/  (Ctrl-C to stop)\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), ready_msg.as_bytes());
    }));
    result?;
    out.eprint("stopped\n");
    Ok(exit::OK)
}
