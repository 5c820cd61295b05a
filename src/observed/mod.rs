//! Observed dependencies: who actually calls whom, read from what tracing, metrics and service
//! discovery already know — Jaeger's `/api/dependencies`, the OpenTelemetry servicegraph
//! metrics (Prometheus text), Consul's catalog of connect proxies, and plain CSV / JSON Lines.
//!
//! A source is a file or a plain `http://` URL (fetched with a timeout, see `http`). Its format
//! is detected from the extension and the content; every record becomes a caller → callee
//! pair with a call count, and pairs seen more than once (in one source or several) are summed.
//! Names are kept exactly as observed: mapping them to catalog systems is `drift`'s job.
//!
//! Bad input is data, not a crash: every problem is an [`ObservedError`] naming the source,
//! line and (when known) column. Input is bounded: a source larger than
//! [`ReadOptions::max_bytes`] is refused before it is parsed. This module never prints and never
//! knows the catalog; it is the only module that opens an outgoing network connection.

mod consul;
mod http;
mod jaeger;
mod prometheus;
mod table;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// The formats Cairn reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Jaeger's `/api/dependencies` response, a bare list of its links, or its storage document.
    Jaeger,
    /// OpenTelemetry collector servicegraph metrics in Prometheus text exposition format.
    Prometheus,
    /// Consul `/v1/catalog/service/<name>` entries: connect proxies and their upstreams.
    Consul,
    /// `caller,callee[,api][,count][,last_seen]`, with or without a header line.
    Csv,
    /// One JSON object per line with `caller`, `callee` and optional `api`, `count`, `last_seen`.
    Jsonl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jaeger => "jaeger",
            Format::Prometheus => "prometheus",
            Format::Consul => "consul",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// One caller → callee pair (optionally for one API), summed over every record that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedEdge {
    /// The caller's name as observed (service name, alias, host name, script name).
    pub caller: String,
    pub callee: String,
    /// The API called, when the source says so (CSV / JSON Lines `api`): `api`, `api@2` or
    /// `system/api@2`.
    pub api: Option<String>,
    /// Calls (Jaeger, servicegraph, CSV / JSON Lines `count`), proxy instances declaring the
    /// upstream (Consul), or records (CSV / JSON Lines rows without a count).
    pub count: u64,
    /// The latest `last_seen` of the records, ISO 8601 (`YYYY-MM-DD[THH:MM:SSZ]`).
    pub last_seen: Option<String>,
    /// Where the pair was first seen: `source:line`, or the source alone for JSON documents.
    pub seen_at: String,
}

/// What one source contributed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSummary {
    /// The path or URL as given.
    pub source: String,
    pub format: Format,
    /// Records read (links, series, upstreams, rows).
    pub records: usize,
    pub calls: u64,
}

/// Everything read from a set of sources, pairs summed, sorted by caller, callee and API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub sources: Vec<SourceSummary>,
    pub edges: Vec<ObservedEdge>,
}

/// Limits for reading sources.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// A source larger than this is refused (files and HTTP bodies alike).
    pub max_bytes: u64,
    /// Connect, read and whole-request deadline for URLs.
    pub timeout: Duration,
    /// A file source under this directory (the catalog's root) is named relative to it in
    /// pages, JSON and errors: `observed/jaeger.json`, never the server's own absolute path,
    /// so two checkouts of one commit show (and hash to) the same thing.
    pub shown_relative_to: Option<std::path::PathBuf>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: 10 * 1024 * 1024,
            timeout: Duration::from_secs(10),
            shown_relative_to: None,
        }
    }
}

/// Why a source could not be read, located as precisely as the format allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedError {
    /// The path or URL as given.
    pub source: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for ObservedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ObservedError {}

/// One record as a parser produces it, before summing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub caller: String,
    pub callee: String,
    pub api: Option<String>,
    pub count: u64,
    pub last_seen: Option<String>,
    /// 1-based line, for line-oriented formats.
    pub line: Option<u32>,
}

/// A parser's error before the source name is attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl ParseError {
    pub fn at(line: u32, column: Option<u32>, message: impl Into<String>) -> ParseError {
        ParseError {
            line: Some(line),
            column,
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> ParseError {
        ParseError {
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A serde_json error, with its line and column.
    pub fn json(e: &serde_json::Error) -> ParseError {
        let msg = e.to_string();
        // serde_json appends " at line L column C"; the location is reported separately.
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        if e.line() == 0 {
            ParseError::whole(msg)
        } else {
            ParseError::at(e.line() as u32, Some(e.column() as u32), msg)
        }
    }
}

/// `true` for sources read over HTTP rather than from a file.
pub fn is_url(source: &str) -> bool {
    let lower = source.get(..8).unwrap_or(source).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Reads every source (files or `http://` URLs), detecting each one's format, and sums the pairs.
pub fn read(sources: &[String], opts: &ReadOptions) -> Result<Observed, ObservedError> {
    let mut observed = Observed::default();
    for source in sources {
        let name = shown_name(source, opts);
        let bytes = fetch(source, opts).map_err(|e| ObservedError {
            source: name.clone(),
            ..e
        })?;
        let text = decode(&name, &bytes)?;
        observed.add_text(&name, &text)?;
    }
    observed.finish();
    Ok(observed)
}

/// How `source` is named to people: relative to [`ReadOptions::shown_relative_to`] when it is a
/// file under it, else as given.
pub fn shown_name(source: &str, opts: &ReadOptions) -> String {
    if is_url(source) {
        return source.to_string();
    }
    opts.shown_relative_to
        .as_deref()
        .and_then(|root| Path::new(source).strip_prefix(root).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .map(|rel| rel.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.to_string())
}

/// Parses one source's text (already read); `name` is used for format detection and errors.
pub fn parse_text(name: &str, text: &str) -> Result<Observed, ObservedError> {
    let mut observed = Observed::default();
    observed.add_text(name, text)?;
    observed.finish();
    Ok(observed)
}

impl Observed {
    /// Total calls over every edge.
    pub fn calls(&self) -> u64 {
        self.edges
            .iter()
            .fold(0u64, |n, e| n.saturating_add(e.count))
    }

    fn add_text(&mut self, source: &str, text: &str) -> Result<(), ObservedError> {
        let locate = |e: ParseError| ObservedError {
            source: source.to_string(),
            line: e.line,
            column: e.column,
            message: e.message,
        };
        let format = detect(source, text).map_err(locate)?;
        let records = match format {
            Format::Jaeger => jaeger::parse(text),
            Format::Consul => consul::parse(text),
            Format::Prometheus => prometheus::parse(text),
            Format::Csv => table::parse_csv(text),
            Format::Jsonl => table::parse_jsonl(text),
        }
        .map_err(locate)?;
        let mut index: HashMap<(String, String, Option<String>), usize> = self
            .edges
            .iter()
            .enumerate()
            .map(|(i, e)| ((e.caller.clone(), e.callee.clone(), e.api.clone()), i))
            .collect();
        let mut calls = 0u64;
        let n = records.len();
        for r in records {
            calls = calls.saturating_add(r.count);
            let key = (r.caller, r.callee, r.api);
            match index.get(&key) {
                Some(&i) => {
                    let e = &mut self.edges[i];
                    e.count = e.count.saturating_add(r.count);
                    if r.last_seen > e.last_seen {
                        e.last_seen = r.last_seen;
                    }
                }
                None => {
                    index.insert(key.clone(), self.edges.len());
                    self.edges.push(ObservedEdge {
                        caller: key.0,
                        callee: key.1,
                        api: key.2,
                        count: r.count,
                        last_seen: r.last_seen,
                        seen_at: match r.line {
                            Some(l) => format!("{source}:{l}"),
                            None => source.to_string(),
                        },
                    });
                }
            }
        }
        self.sources.push(SourceSummary {
            source: source.to_string(),
            format,
            records: n,
            calls,
        });
        Ok(())
    }

    fn finish(&mut self) {
        self.edges
            .sort_by(|a, b| (&a.caller, &a.callee, &a.api).cmp(&(&b.caller, &b.callee, &b.api)));
    }
}

/// Reads a file or URL, refusing anything larger than the limit.
fn fetch(source: &str, opts: &ReadOptions) -> Result<Vec<u8>, ObservedError> {
    let fail = |message: String| ObservedError {
        source: source.to_string(),
        line: None,
        column: None,
        message,
    };
    if is_url(source) {
        return http::get(source, opts).map_err(fail);
    }
    // Through the loader's one safe read: only a regular file (a FIFO named as a source hung
    // `check`, and stopped live reload for good under `serve`), the limit checked first.
    use crate::loader::read::{read_regular, ReadError};
    read_regular(Path::new(source), opts.max_bytes).map_err(|e| match e {
        ReadError::NotAFile("directory") => fail("is a directory; name the files to read".into()),
        ReadError::TooLarge { size, limit } => {
            fail(too_large(size.unwrap_or(limit + 1), opts.max_bytes))
        }
        e => fail(e.to_string()),
    })
}

fn too_large(size: u64, limit: u64) -> String {
    format!(
        "larger than the limit of {limit} bytes ({size} bytes); raise --max-file-size to read it"
    )
}

/// UTF-8 text without a byte-order mark; invalid bytes are an error at their line and column.
fn decode(source: &str, bytes: &[u8]) -> Result<String, ObservedError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let col = good.iter().rev().take_while(|&&b| b != b'\n').count() as u32 + 1;
            Err(ObservedError {
                source: source.to_string(),
                line: Some(line),
                column: Some(col),
                message: "not UTF-8 text".into(),
            })
        }
    }
}

/// The format of a source, from its extension when that is decisive, else from its content.
fn detect(name: &str, text: &str) -> Result<Format, ParseError> {
    // A URL's path decides like a file name; its query string does not.
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => return Ok(Format::Csv),
        "jsonl" | "ndjson" => return Ok(Format::Jsonl),
        "prom" => return Ok(Format::Prometheus),
        _ => {}
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if ext == "json" || first.starts_with('{') || first.starts_with('[') {
        return json_format(text, first);
    }
    if text.lines().any(|l| {
        let l = l.trim_start();
        prometheus::is_servicegraph_sample(l)
            || l.starts_with("# TYPE ")
            || l.starts_with("# HELP ")
    }) {
        return Ok(Format::Prometheus);
    }
    Ok(Format::Csv)
}

/// Jaeger or Consul from the shape of one JSON document, or JSON Lines when the text is one
/// object per line.
fn json_format(text: &str, first_line: &str) -> Result<Format, ParseError> {
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return match serde_json::from_str::<serde_json::Value>(first_line) {
                Ok(serde_json::Value::Object(_)) => Ok(Format::Jsonl),
                _ => Err(ParseError::json(&e)),
            }
        }
    };
    let has = |o: &serde_json::Map<String, serde_json::Value>, keys: &[&str]| {
        keys.iter().any(|k| o.contains_key(*k))
    };
    const CONSUL: &[&str] = &["ServiceProxy", "ServiceName", "ServiceKind", "ServiceID"];
    const JAEGER: &[&str] = &["parent", "child", "callCount"];
    match &v {
        serde_json::Value::Object(o) if has(o, &["data", "dependencies"]) => Ok(Format::Jaeger),
        serde_json::Value::Object(o) if has(o, CONSUL) => Ok(Format::Consul),
        serde_json::Value::Object(o) if has(o, &["caller", "callee"]) => Ok(Format::Jsonl),
        serde_json::Value::Array(items) => match items.first() {
            None => Ok(Format::Jaeger),
            Some(serde_json::Value::Object(o)) if has(o, CONSUL) => Ok(Format::Consul),
            Some(serde_json::Value::Object(o)) if has(o, JAEGER) => Ok(Format::Jaeger),
            Some(_) => Err(unknown_json()),
        },
        _ => Err(unknown_json()),
    }
}

fn unknown_json() -> ParseError {
    ParseError::whole(
        "not a known JSON format: expected a Jaeger /api/dependencies response \
         ({\"data\": [{\"parent\", \"child\", \"callCount\"}]}) or a Consul \
         /v1/catalog/service/<name> list",
    )
}

/// A service name as it may appear in a record: trimmed, not empty, no control characters,
/// at most 200 characters.
pub(crate) fn check_name(raw: &str, what: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(format!("empty {what} name"));
    }
    if s.chars().count() > 200 {
        return Err(format!("{what} name is longer than 200 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what} name contains a control character"));
    }
    Ok(s.to_string())
}

/// A service name in a JSON document, checked by [`check_name`] while deserialising so that a
/// bad one is reported at its line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name(pub String);

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_name(&s, "service")
            .map(Name)
            .map_err(serde::de::Error::custom)
    }
}

/// A `last_seen` / `timestamp` in a JSON document, checked by [`check_timestamp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp(pub String);

impl<'de> serde::Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_timestamp(&s)
            .map(Stamp)
            .map_err(serde::de::Error::custom)
    }
}

/// An ISO 8601 date or date-time (`2026-11-20`, `2026-11-20T08:30:00Z`), returned trimmed.
pub(crate) fn check_timestamp(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = s.len() >= 10
        && s.is_char_boundary(10)
        && crate::date::Date::parse(&s[..10]).is_some()
        && match &s[10..] {
            "" => true,
            rest => {
                (rest.starts_with('T') || rest.starts_with(' '))
                    && rest.len() >= 6
                    && rest[1..]
                        .chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z'))
            }
        };
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
        ))
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn timestamp_from_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let date = crate::date::Date::from_ymd(1970, 1, 1)
        .map(|d| d.add_days(days))
        .map(|d| d.to_string())
        .unwrap_or_default();
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let f = |name: &str, text: &str| detect(name, text).map_err(|e| e.message);
        assert_eq!(f("x.csv", "{"), Ok(Format::Csv));
        assert_eq!(f("x.prom", ""), Ok(Format::Prometheus));
        assert_eq!(f("x.ndjson", ""), Ok(Format::Jsonl));
        assert_eq!(f("x.json", r#"{"data":[]}"#), Ok(Format::Jaeger));
        assert_eq!(f("x.json", "[]"), Ok(Format::Jaeger));
        assert_eq!(
            f("x.json", r#"[{"ServiceName":"a","ServiceProxy":{}}]"#),
            Ok(Format::Consul)
        );
        assert_eq!(
            f("http://h/api/dependencies?endTs=1", r#"{"data":[]}"#),
            Ok(Format::Jaeger)
        );
        assert_eq!(
            f(
                "edges.txt",
                "{\"caller\":\"a\",\"callee\":\"b\"}\n{\"caller\":\"a\",\"callee\":\"c\"}\n"
            ),
            Ok(Format::Jsonl)
        );
        assert_eq!(
            f(
                "metrics",
                "# TYPE traces_service_graph_request_total counter\n"
            ),
            Ok(Format::Prometheus)
        );
        assert_eq!(f("edges", "a,b\n"), Ok(Format::Csv));
        assert!(f("x.json", r#"{"hello": 1}"#).is_err());
    }

    #[test]
    fn timestamps() {
        assert!(check_timestamp("2026-11-20").is_ok());
        assert!(check_timestamp("2026-11-20T08:30:00Z").is_ok());
        assert!(check_timestamp("2026-11-20 08:30:00+01:00").is_ok());
        assert!(check_timestamp("2026-13-20").is_err());
        assert!(check_timestamp("yesterday").is_err());
        assert!(check_timestamp("2026-11-20Tlunch").is_err());
        assert_eq!(timestamp_from_millis(1476374248550), "2016-10-13T15:57:28Z");
        assert_eq!(timestamp_from_millis(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn names() {
        assert_eq!(check_name("  Dáin I ", "caller"), Ok("Dáin I".to_string()));
        assert!(check_name(" ", "caller").is_err());
        assert!(check_name("a\u{7}b", "caller").is_err());
        assert!(check_name(&"x".repeat(201), "caller").is_err());
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = decode("f.csv", b"a,b\nc,\xff\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
    }
}
