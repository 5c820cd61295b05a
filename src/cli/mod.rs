//! The command line: parses arguments with clap, runs one subcommand, maps results to exit codes.
//!
//! Only this module knows clap. All terminal output goes through [`Out`]: data to stdout,
//! diagnostics and progress to stderr, colour only on a terminal and never with `NO_COLOR`.

mod check;
mod diff;
mod drift;
mod graph;
mod impact;
mod import;
pub use check::render_all as check_render;
mod new;
mod oncall;
mod score;
mod search;
mod serve;
mod show;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::loader::{self, LoadOptions};
use crate::model::Catalog;
use crate::snapshot::query::ImpactQuestion;
use crate::snapshot::Snapshot;

/// Exit codes shared by all commands.
pub mod exit {
    pub const OK: i32 = 0;
    /// The catalog has errors (or warnings with `--strict`).
    pub const FAILED: i32 = 1;
    /// Bad usage: unknown name or target, unreadable catalog directory, unknown revision.
    pub const USAGE: i32 = 2;
    /// `diff` / `drift`: the CI gate failed (see `--fail-on`).
    pub const GATE: i32 = 3;
}

#[derive(Parser, Debug)]
#[command(name = "cairn", version, about = "Service catalog and dependency knowledge base", long_about = None)]
pub struct Args {
    /// Catalog directory.
    #[arg(long, global = true, default_value = "catalog", env = "CAIRN_CATALOG")]
    pub catalog: PathBuf,
    /// Output format (for `graph`, text is DOT).
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Files larger than this many bytes are refused.
    #[arg(long, global = true, default_value_t = 10 * 1024 * 1024, env = "CAIRN_MAX_FILE_SIZE")]
    pub max_file_size: u64,
    /// Where git sources are fetched to and the sources' files are served from
    /// (docs/sources.md); default: the platform's cache directory.
    #[arg(long, global = true, value_name = "DIR", env = "CAIRN_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Read git sources from the cache, as last fetched, without fetching.
    #[arg(long, global = true, env = "CAIRN_OFFLINE")]
    pub offline: bool,
    /// URL prefix remote git sources may be fetched from (`https://github.com/example/`, ending
    /// in `/` or `:`), repeatable; without one, only repositories inside the catalog are. The
    /// operator's choice: the catalog's settings cannot widen it. In the variable, separated
    /// by commas.
    #[arg(
        long,
        global = true,
        value_name = "PREFIX",
        env = "CAIRN_SOURCE_ALLOW",
        value_delimiter = ','
    )]
    pub source_allow: Vec<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// How `cairn serve` writes its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: timestamp, level, message, fields.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
    /// Graphviz (only `graph`).
    Dot,
    /// Mermaid flowchart (only `graph`).
    Mermaid,
    /// A mail to open as a draft (only `impact`: the announcement).
    Eml,
}

impl Format {
    /// The name as typed after `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Md => "md",
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
            Format::Eml => "eml",
        }
    }
}

/// The usage error of a command asked for a format it does not print.
/// The subcommand's name as typed.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Check { .. } => "check",
        Command::Show { .. } => "show",
        Command::Impact { .. } => "impact",
        Command::Drift { .. } => "drift",
        Command::Diff { .. } => "diff",
        Command::Deps { .. } => "deps",
        Command::Serve { .. } => "serve",
        Command::Graph { .. } => "graph",
        Command::Score { .. } => "score",
        Command::Oncall { .. } => "oncall",
        Command::New { .. } => "new",
        Command::Search { .. } => "search",
        Command::Import { .. } => "import",
    }
}

fn cannot_print(out: &mut Out, command: &str, format: Format, can: &str) -> i32 {
    out.error(&format!(
        "`{command}` cannot print {} output; use {can}",
        format.name()
    ));
    exit::USAGE
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate a catalog and report every problem with file:line:column.
    Check {
        /// Catalog directory (overrides --catalog).
        dir: Option<PathBuf>,
        /// Warnings count as errors for the exit code.
        #[arg(long)]
        strict: bool,
    },
    /// Everything known about a system, team or domain.
    Show {
        name: String,
        /// Compute on-call for this date (YYYY-MM-DD) instead of today.
        #[arg(long)]
        at: Option<String>,
    },
    /// Which consumers a change to a system, API, API version or endpoint affects.
    Impact {
        /// `system`, `system/api` or `system/api@N` (optionally followed by an endpoint).
        target: String,
        /// Only this endpoint, e.g. "GET /api/critpath".
        #[arg(long)]
        endpoint: Option<String>,
        /// Stop after this many hops.
        #[arg(long)]
        max_depth: Option<u32>,
        /// Only direct consumers.
        #[arg(long)]
        direct_only: bool,
        /// On-call and announcement date (YYYY-MM-DD), e.g. the planned deploy day.
        #[arg(long)]
        at: Option<String>,
        /// Observed traffic (files or http:// URLs: Jaeger, servicegraph, Consul, CSV, JSON
        /// Lines): adds consumers seen calling but declared nowhere.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        observed: Vec<String>,
        /// For the announcement (`--format md|eml`): what changes.
        #[arg(long, default_value = "")]
        what: String,
        /// For the announcement: when it is deployed.
        #[arg(long, default_value = "")]
        when: String,
        /// For the announcement: why.
        #[arg(long, default_value = "")]
        why: String,
        /// For the announcement: whom to contact (default: the API's owner).
        #[arg(long, default_value = "")]
        contact: String,
    },
    /// Declared vs observed: undeclared dependencies, stale declarations, unknown names.
    Drift {
        /// Observed traffic: files or http:// URLs (Jaeger /api/dependencies, servicegraph
        /// metrics, Consul catalog, CSV or JSON Lines); format detected. Defaults to the
        /// `observed:` list of the catalog's settings document.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        observed: Vec<String>,
        /// Exit 3 when any of these is found (comma-separated or repeated).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "never")]
        fail_on: Vec<drift::FailOn>,
    },
    /// What changed between two catalogs — directories or git revisions — with the breaking
    /// changes and the consumers they hit; exit 3 for CI when the gate fails.
    Diff {
        /// The baseline: a catalog directory, a git revision (main, origin/main, HEAD~1),
        /// or `.` for the working tree's --catalog.
        old: String,
        /// The change, in the same forms (`.` for the working tree).
        new: String,
        /// When to exit 3.
        #[arg(long, value_enum, default_value_t = crate::diff::FailOn::Breaking)]
        fail_on: crate::diff::FailOn,
        /// Check acknowledgements (and on-call) for this date (YYYY-MM-DD) instead of today.
        #[arg(long)]
        at: Option<String>,
    },
    /// What a system depends on, transitively ("what can break me").
    Deps {
        name: String,
        #[arg(long)]
        max_depth: Option<u32>,
    },
    /// Serve the web UI and JSON API (reloads when catalog files change).
    ///
    /// Every option can also be set by an environment variable (shown with each), for
    /// service managers and containers: CAIRN_ADDR, CAIRN_CATALOG, ...
    Serve {
        /// Address to listen on; loopback by default. The server has no authentication of its
        /// own: any other address belongs behind the organisation's proxy (docs/deploy.md).
        #[arg(long, default_value = "127.0.0.1:7878", env = "CAIRN_ADDR")]
        addr: std::net::SocketAddr,
        /// Do not watch the catalog for changes.
        #[arg(long, env = "CAIRN_NO_WATCH", value_parser = clap::builder::BoolishValueParser::new())]
        no_watch: bool,
        /// Observed traffic to show next to the declarations (system pages, impact, /api/v1/drift);
        /// re-read whenever the catalog reloads. In the variable, separated by commas.
        #[arg(long, value_name = "FILE", num_args = 1.., env = "CAIRN_OBSERVED", value_delimiter = ',')]
        observed: Vec<String>,
        /// Keep the search index in this directory: a restart on an unchanged catalog reuses it
        /// instead of indexing again. When the directory cannot hold it (disk full, read-only),
        /// the index is kept in RAM and the server says so.
        #[arg(long, value_name = "DIR", env = "CAIRN_INDEX_DIR")]
        index_dir: Option<PathBuf>,
        /// Log lines as text (for a terminal) or one JSON object per line (for log shippers).
        /// RUST_LOG filters them (default: info; `cairn=debug` adds the probes' requests).
        #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "CAIRN_LOG_FORMAT")]
        log_format: LogFormat,
        /// Do not serve /metrics.
        #[arg(long, env = "CAIRN_NO_METRICS", value_parser = clap::builder::BoolishValueParser::new())]
        no_metrics: bool,
        /// Where a named on-call feed of the catalog is: NAME=URL (http or https), repeatable;
        /// downloaded with curl in the background, at start and every --ical-refresh. In the
        /// variable, separated by commas.
        #[arg(
            long,
            value_name = "NAME=URL",
            env = "CAIRN_ICAL",
            value_delimiter = ','
        )]
        ical: Vec<String>,
        /// How often the on-call feeds are downloaded again: seconds, minutes or hours (`90s`,
        /// `5m`, `1h`). A download that changes nothing swaps nothing.
        #[arg(long, value_name = "DURATION", default_value = "5m", env = "CAIRN_ICAL_REFRESH", value_parser = parse_interval)]
        ical_refresh: std::time::Duration,
        /// A file holding the secret that signs `POST /api/v1/sources/{name}/refresh` (the
        /// git host's webhook secret: GitHub's `X-Hub-Signature-256`, GitLab's
        /// `X-Gitlab-Token`). Without it the endpoint is off. Never in the catalog.
        #[arg(long, value_name = "FILE", env = "CAIRN_WEBHOOK_SECRET_FILE")]
        webhook_secret_file: Option<PathBuf>,
    },
    /// The dependency graph as DOT (default), Mermaid or JSON.
    Graph {
        /// Only the neighbourhood of this system.
        #[arg(long)]
        focus: Option<String>,
        /// Hops around --focus.
        #[arg(long, default_value_t = 2)]
        depth: u32,
        /// Only systems owned by this team.
        #[arg(long)]
        team: Option<String>,
        /// Only systems in this domain.
        #[arg(long)]
        domain: Option<String>,
        /// Only systems of this tier or more essential (1 = only tier 1).
        #[arg(long)]
        tier: Option<u8>,
    },
    /// Production readiness: each system's level and what it misses (exit 1 below --min-level).
    Score {
        /// Only this system.
        name: Option<String>,
        /// Only systems owned by this team.
        #[arg(long)]
        team: Option<String>,
        /// Fail (exit 1) when a system is below this level, e.g. `silver`.
        #[arg(long)]
        min_level: Option<String>,
    },
    /// Who is on call: escalation chain (primary, backup, lead), next handover, contacts.
    Oncall {
        /// A system (its owning team is shown) or a team; every team when absent.
        name: Option<String>,
        /// Only this team.
        #[arg(long)]
        team: Option<String>,
        /// Compute for this date (YYYY-MM-DD: now if today, else 12:00 UTC) or instant
        /// (RFC 3339: 2026-03-09T09:00:00-04:00) instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Where a named on-call feed of the catalog is: NAME=URL (http or https), repeatable;
        /// downloaded with curl. In the variable, separated by commas.
        #[arg(
            long,
            value_name = "NAME=URL",
            env = "CAIRN_ICAL",
            value_delimiter = ','
        )]
        ical: Vec<String>,
    },
    /// Scaffold a new system, team or settings file in the catalog directory.
    New {
        #[command(subcommand)]
        what: NewCommand,
    },
    /// Full-text search: words, "phrases", -exclusions and filters
    /// (owner: team: tier: tag: domain: lifecycle: kind:).
    Search {
        #[arg(allow_hyphen_values = true)]
        query: String,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Keep the index in this directory and reuse it while the catalog is unchanged.
        #[arg(long)]
        index_dir: Option<PathBuf>,
    },
    /// Convert another catalog format into native Cairn files.
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportFrom {
    /// Backstage catalog-info.yaml files (a directory of them) → native files in --out.
    Backstage {
        /// Directory holding the Backstage files.
        dir: PathBuf,
        /// Where to write the native catalog (must not hold files of the same names).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum NewCommand {
    /// `systems/NAME/NAME.yaml`: every field a production system must describe, as TODOs.
    System {
        name: String,
        /// The owning team (must exist); a TODO otherwise.
        #[arg(long)]
        owner: Option<String>,
    },
    /// `teams/NAME.yaml`: contacts, members, on-call rotation and onboarding, as TODOs.
    Team { name: String },
    /// `cairn.yaml`: the settings with the built-in scorecard, to customise.
    Settings,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let mut out = Out::from_env();
    match run(&args, &mut out) {
        Ok(code) => code,
        Err(e) => {
            out.error(&format!("{e:#}"));
            exit::USAGE
        }
    }
}

pub fn run(args: &Args, out: &mut Out) -> anyhow::Result<i32> {
    if args.format == Format::Eml && !matches!(args.command, Command::Impact { .. }) {
        return Ok(cannot_print(
            out,
            command_name(&args.command),
            Format::Eml,
            "the formats its --help lists (eml is for `impact`)",
        ));
    }
    match &args.command {
        Command::Check { dir, strict } => {
            let dir = dir.as_deref().unwrap_or(&args.catalog);
            let catalog = load_catalog(dir, args, out)?;
            check::run(&catalog, dir, args.format, *strict, out)
        }
        Command::Show { name, at } => {
            let snap = Snapshot::new(load_catalog(&args.catalog, args, out)?);
            let at = parse_at(at.as_deref())?;
            show::run(&snap, name, at, args.format, out)
        }
        Command::Impact {
            target,
            endpoint,
            max_depth,
            direct_only,
            at,
            observed,
            what,
            when,
            why,
            contact,
        } => {
            let mut snap = Snapshot::new(load_catalog(&args.catalog, args, out)?);
            if !observed.is_empty() {
                let data = read_observed(observed, args)?;
                snap = snap.with_observed(Some(Arc::new(data)), None);
            }
            let q = ImpactQuestion {
                target,
                endpoint: endpoint.as_deref(),
                opts: crate::impact::ImpactOptions {
                    max_depth: *max_depth,
                    direct_only: *direct_only,
                },
                at: parse_at(at.as_deref())?,
                page: None,
            };
            let notice = crate::announce::Notice::new(what, when, why, contact);
            impact::run(&snap, q, &notice, args.format, out)
        }
        Command::Diff {
            old,
            new,
            fail_on,
            at,
        } => {
            let a = diff::DiffArgs {
                old,
                new,
                fail_on: *fail_on,
                at: parse_at(at.as_deref())?,
            };
            diff::run(args, a, out)
        }
        Command::Drift { observed, fail_on } => {
            let catalog = load_catalog(&args.catalog, args, out)?;
            let from_settings = settings_observed(&catalog, &args.catalog);
            let sources: &[String] = if observed.is_empty() {
                &from_settings
            } else {
                observed
            };
            if sources.is_empty() {
                out.error("no observed traffic: pass `--observed FILE...` or list `observed:` in the catalog's settings document");
                return Ok(exit::USAGE);
            }
            let observed = Arc::new(read_observed(sources, args)?);
            let snap = Snapshot::new(catalog).with_observed(Some(observed), None);
            drift::run(&snap, fail_on, args.format, out)
        }
        Command::Deps { name, max_depth } => {
            let snap = Snapshot::new(load_catalog(&args.catalog, args, out)?);
            impact::deps(&snap, name, *max_depth, args.format, out)
        }
        Command::Serve {
            addr,
            no_watch,
            observed,
            index_dir,
            log_format,
            no_metrics,
            ical,
            ical_refresh,
            webhook_secret_file,
        } => serve::run(
            args,
            serve::ServeArgs {
                addr: *addr,
                watch: !*no_watch,
                observed,
                index_dir: index_dir.as_deref(),
                log_format: *log_format,
                metrics: !*no_metrics,
                ical,
                ical_refresh: *ical_refresh,
                webhook_secret_file: webhook_secret_file.as_deref(),
            },
            out,
        ),
        Command::Graph {
            focus,
            depth,
            team,
            domain,
            tier,
        } => {
            let snap = Snapshot::new(load_catalog(&args.catalog, args, out)?);
            let a = graph::GraphArgs {
                focus: focus.as_deref(),
                depth: *depth,
                team: team.clone(),
                domain: domain.clone(),
                max_tier: *tier,
            };
            graph::run(&snap, a, args.format, out)
        }
        Command::Score {
            name,
            team,
            min_level,
        } => {
            let snap = Snapshot::new(load_catalog(&args.catalog, args, out)?);
            let a = score::ScoreArgs {
                name: name.as_deref(),
                team: team.as_deref(),
                min_level: min_level.as_deref(),
            };
            score::run(&snap, a, args.format, out)
        }
        Command::Oncall {
            name,
            team,
            at,
            ical,
        } => {
            let when = match at.as_deref() {
                None => crate::oncall::When::now(),
                Some(s) => crate::oncall::When::parse(s).ok_or_else(|| {
                    anyhow::anyhow!(
                        "`--at {s}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time (2026-03-09T09:00:00-04:00)"
                    )
                })?,
            };
            let urls = crate::ical::fetch::FeedUrls::parse(ical.iter().map(String::as_str))
                .map_err(|e| anyhow::anyhow!("--ical: {e}"))?;
            let mut catalog = load_catalog(&args.catalog, args, out)?;
            if !urls.is_empty() {
                let store = crate::oncall::store::FeedStore::new(urls, Default::default());
                store.refresh(&crate::oncall::store::named_feeds(&catalog));
                store.attach(&mut catalog);
            }
            let a = oncall::OncallArgs {
                name: name.as_deref(),
                team: team.as_deref(),
                at: when,
            };
            oncall::run(&catalog, a, args.format, out)
        }
        Command::New { what } => {
            let w = match what {
                NewCommand::System { name, owner } => new::What::System {
                    name,
                    owner: owner.as_deref(),
                },
                NewCommand::Team { name } => new::What::Team { name },
                NewCommand::Settings => new::What::Settings,
            };
            new::run(args, w, out)
        }
        Command::Search {
            query,
            limit,
            index_dir,
        } => {
            let snap = Snapshot::new(load_catalog(&args.catalog, args, out)?);
            let a = search::SearchArgs {
                query,
                limit: *limit,
                index_dir: index_dir.as_ref(),
            };
            search::run(&snap, a, args.format, out)
        }
        Command::Import {
            from: ImportFrom::Backstage { dir, out: out_dir },
        } => {
            let catalog = load_catalog(dir, args, out)?;
            import::run(&catalog, out_dir, out)
        }
    }
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    crate::date::parse_interval(s)
}

fn observed_options(args: &Args) -> crate::observed::ReadOptions {
    crate::observed::ReadOptions {
        max_bytes: args.max_file_size,
        shown_relative_to: Some(args.catalog.clone()),
        ..Default::default()
    }
}

/// Reads observed-traffic sources; a bad one is an error naming the source and line.
/// The observed sources the catalog's settings document names, as paths usable from here.
fn settings_observed(c: &Catalog, root: &Path) -> Vec<String> {
    let Some(s) = &c.settings else {
        return Vec::new();
    };
    // The loader accepted only files inside the catalog; checked again here, at use, in case a
    // path became a symlink that leaves it since.
    s.observed
        .iter()
        .filter(|o| !o.contains("://") && !crate::loader::observed_leaves_root(root, o))
        .map(|o| root.join(o).to_string_lossy().into_owned())
        .collect()
}

fn read_observed(sources: &[String], args: &Args) -> anyhow::Result<crate::observed::Observed> {
    Ok(crate::observed::read(sources, &observed_options(args))?)
}

pub(crate) fn parse_at(at: Option<&str>) -> anyhow::Result<crate::date::Date> {
    match at {
        None => Ok(crate::date::Date::today()),
        Some(s) => crate::date::Date::parse(s)
            .ok_or_else(|| anyhow::anyhow!("`--at {s}` is not a date (YYYY-MM-DD)")),
    }
}

/// Loads a catalog with a progress bar on a terminal: the directory, or, when its settings
/// list `sources:`, what they hold (fetched now unless `--offline`).
pub fn load_catalog(dir: &Path, args: &Args, out: &Out) -> anyhow::Result<Catalog> {
    let sources = open_sources(dir, args, out)?;
    let root = sources.as_ref().map(|s| s.tree()).unwrap_or(dir);
    let mut catalog = with_progress_bar(out, |progress| {
        let opts = LoadOptions {
            max_file_size: args.max_file_size,
        };
        loader::load_with_progress(root, &opts, progress).map_err(|e| with_catalog_hint(e, dir))
    })?;
    if let Some(s) = &sources {
        s.attach(&mut catalog);
    }
    Ok(catalog)
}

/// The sources `dir`'s settings list, each read into the served tree now (git sources
/// fetched, unless `--offline`); `None` when the settings list none.
pub(crate) fn open_sources(
    dir: &Path,
    args: &Args,
    out: &Out,
) -> anyhow::Result<Option<std::sync::Arc<crate::sources::Sources>>> {
    let Some(sources) =
        crate::sources::Sources::open(dir, args.cache_dir.as_deref(), args.max_file_size)?
    else {
        return Ok(None);
    };
    let sources = sources.offline(args.offline).allow(&args.source_allow);
    let bar = out.stderr_tty.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!(
            "reading {} source(s) into {}",
            sources.names().len(),
            sources.tree().display()
        ));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let done = sources.refresh_all(!args.offline);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for r in done.iter().filter(|r| r.error.is_some()) {
        tracing::warn!(source = %r.name, "source not read: {}", r.error.as_deref().unwrap_or(""));
    }
    Ok(Some(std::sync::Arc::new(sources)))
}

/// A load error, with how to name the catalog when the directory is simply not there.
fn with_catalog_hint(e: loader::LoadError, dir: &Path) -> anyhow::Error {
    if dir.exists() {
        return e.into();
    }
    anyhow::anyhow!(
        "{e}\n  hint: name the catalog directory with --catalog DIR (or CAIRN_CATALOG); without it, \
         Cairn reads ./catalog in the current directory ({})",
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "unknown".into())
    )
}

/// [`load_catalog`] keeping what was read for incremental reloads (`cairn serve`), loading
/// `root` (the catalog directory, or its sources' served tree).
fn load_catalog_cached(
    dir: &Path,
    root: &Path,
    args: &Args,
    out: &Out,
) -> anyhow::Result<(Catalog, loader::LoadCache)> {
    with_progress_bar(out, |progress| {
        let opts = LoadOptions {
            max_file_size: args.max_file_size,
        };
        let mut cache = loader::LoadCache::default();
        let (catalog, _) = loader::load_incremental(root, &opts, &mut cache, progress)
            .map_err(|e| with_catalog_hint(e, dir))?;
        Ok((catalog, cache))
    })
}

/// Runs a load with a progress bar on a terminal.
fn with_progress_bar<T>(
    out: &Out,
    load: impl FnOnce(loader::Progress) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let bar = if out.stderr_tty {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} loading {pos}/{len} files {wide_bar} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            if total >= 500 {
                b.set_length(total as u64);
                b.set_position(done as u64);
            }
        }
    };
    let result = load(&progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result
}

/// Cairn's own styling: the only escape sequences that reach a terminal, and only when colour
/// is on (bold, dim, red, yellow, blue, reset).
const STYLES: &[&str] = &[
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[31m",
    "\x1b[1;31m",
    "\x1b[1;33m",
    "\x1b[1;34m",
];

/// Text on its way to a terminal, with every control character that catalog text could carry
/// (ESC and so OSC 52 clipboard writes, OSC 8 links, cursor moves; BEL; CR, which rewrites the
/// line; C1 controls) replaced with U+FFFD. Newline and tab stay, and so do Cairn's own
/// [`STYLES`] when `styled`. The one place where that happens: [`Out`] calls it on everything it
/// writes (docs/security.md).
pub fn neutralise(s: &str, styled: bool) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && styled {
            if let Some(st) = STYLES.iter().find(|st| rest.starts_with(**st)) {
                out.push_str(st);
                rest = &rest[st.len()..];
                continue;
            }
        }
        out.push(if bad(c) { '\u{FFFD}' } else { c });
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// The one place that writes to the terminal.
pub struct Out {
    pub stdout_color: bool,
    pub stderr_color: bool,
    pub stderr_tty: bool,
    /// Captured stdout (tests) instead of the real one.
    pub capture: Option<(Vec<u8>, Vec<u8>)>,
}

impl Out {
    pub fn from_env() -> Out {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        Out {
            stdout_color: stdout_tty && !no_color,
            stderr_color: stderr_tty && !no_color,
            stderr_tty,
            capture: None,
        }
    }

    /// An `Out` that records what would be printed, without colour.
    pub fn captured() -> Out {
        Out {
            stdout_color: false,
            stderr_color: false,
            stderr_tty: false,
            capture: Some((Vec::new(), Vec::new())),
        }
    }

    pub fn print(&mut self, s: &str) {
        let s = &*neutralise(s, self.stdout_color);
        match &mut self.capture {
            Some((o, _)) => o.extend_from_slice(s.as_bytes()),
            None => {
                let mut lock = std::io::stdout().lock();
                let _ = lock.write_all(s.as_bytes());
                let _ = lock.flush();
            }
        }
    }

    pub fn eprint(&mut self, s: &str) {
        let s = &*neutralise(s, self.stderr_color);
        match &mut self.capture {
            Some((_, e)) => e.extend_from_slice(s.as_bytes()),
            None => {
                let _ = std::io::stderr().lock().write_all(s.as_bytes());
            }
        }
    }

    pub fn error(&mut self, msg: &str) {
        let (r, b, z) = if self.stderr_color {
            ("\x1b[1;31m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "")
        };
        self.eprint(&format!("{r}error{z}: {b}{msg}{z}\n"));
    }

    pub fn warn(&mut self, msg: &str) {
        let (y, b, z) = if self.stderr_color {
            ("\x1b[1;33m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "")
        };
        self.eprint(&format!("{y}warning{z}: {b}{msg}{z}\n"));
    }

    pub fn json<T: serde::Serialize>(&mut self, v: &T) -> anyhow::Result<()> {
        let mut s = serde_json::to_string_pretty(v)?;
        s.push('\n');
        self.print(&s);
        Ok(())
    }

    /// Bold text when stdout is coloured.
    pub fn bold(&self, s: &str) -> String {
        if self.stdout_color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn dim(&self, s: &str) -> String {
        if self.stdout_color {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn stdout_text(&self) -> String {
        self.capture
            .as_ref()
            .map(|(o, _)| String::from_utf8_lossy(o).into_owned())
            .unwrap_or_default()
    }

    pub fn stderr_text(&self) -> String {
        self.capture
            .as_ref()
            .map(|(_, e)| String::from_utf8_lossy(e).into_owned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod terminal_tests {
    use super::neutralise;

    #[test]
    fn only_cairns_own_styles_pass_and_only_when_styled() {
        let hostile = "a\x1b]52;c;eA==\x07b\x1b[8mc\rd\u{9b}e\n\tf";
        assert_eq!(
            neutralise(hostile, true),
            "a\u{FFFD}]52;c;eA==\u{FFFD}b\u{FFFD}[8mc\u{FFFD}d\u{FFFD}e\n\tf"
        );
        assert_eq!(neutralise("\x1b[1mbold\x1b[0m", true), "\x1b[1mbold\x1b[0m");
        assert_eq!(
            neutralise("\x1b[1mbold\x1b[0m", false),
            "\u{FFFD}[1mbold\u{FFFD}[0m"
        );
        assert!(matches!(
            neutralise("plain\ttext\n", true),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
