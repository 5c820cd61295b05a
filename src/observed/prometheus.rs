//! OpenTelemetry collector servicegraph metrics in Prometheus text exposition format:
//! `traces_service_graph_request_total{client="a",server="b",connection_type=""} 20 [ts]`.
//!
//! Only that counter is read (also with a namespace prefix, `otelcol_traces_service_...`); every
//! other line of a scrape is skipped. Series of the same pair that differ in other labels
//! (`connection_type`, `instance`, extra dimensions) are summed by the caller. A sample's
//! timestamp (milliseconds) becomes `last_seen`.

use super::{check_name, timestamp_from_millis, ParseError, Record};

const METRIC: &str = "traces_service_graph_request_total";

/// `true` when a line is a sample of the servicegraph request counter.
pub(super) fn is_servicegraph_sample(line: &str) -> bool {
    let end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(line.len());
    is_request_total(&line[..end])
}

fn is_request_total(name: &str) -> bool {
    name == METRIC
        || name
            .strip_suffix(METRIC)
            .is_some_and(|prefix| prefix.ends_with('_'))
}

pub(super) fn parse(text: &str) -> Result<Vec<Record>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') || !is_servicegraph_sample(line) {
            continue;
        }
        let indent = raw.len() - line.len();
        let err = |byte: usize, msg: String| {
            let upto = indent + byte;
            let col = raw.get(..upto).map_or(upto, |s| s.chars().count()) as u32 + 1;
            ParseError::at(line_no, Some(col), msg)
        };
        out.push(sample(line).map_err(|(b, m)| err(b, m))?.with_line(line_no));
    }
    Ok(out)
}

/// A sample's labels, value and timestamp; errors carry the byte offset in `line`.
fn sample(line: &str) -> Result<Record, (usize, String)> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(line.len());
    let mut pos = name_end;
    let mut client = None;
    let mut server = None;
    if line[pos..].starts_with('{') {
        let (labels, end) = labels(line, pos + 1)?;
        pos = end;
        for (k, v, at) in labels {
            let what = match k.as_str() {
                "client" => "client",
                "server" => "server",
                _ => continue,
            };
            let name = check_name(&v, what).map_err(|m| (at, m))?;
            if what == "client" {
                client = Some(name);
            } else {
                server = Some(name);
            }
        }
    }
    let (Some(client), Some(server)) = (client, server) else {
        return Err((
            name_end,
            format!("{METRIC} needs both `client` and `server` labels"),
        ));
    };
    let rest = &line[pos..];
    let trimmed = rest.trim_start();
    let value_at = pos + (rest.len() - trimmed.len());
    let mut parts = trimmed.split_whitespace();
    let value = parts
        .next()
        .ok_or((value_at, "a sample needs a value".to_string()))?;
    let count = value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or((
            value_at,
            format!("`{value}` is not a request count (a finite number, 0 or more)"),
        ))?;
    let last_seen = match parts.next() {
        None => None,
        Some(ts) => {
            let at = value_at + trimmed.find(ts).unwrap_or(0);
            let ms: i64 = ts
                .parse()
                .map_err(|_| (at, format!("`{ts}` is not a timestamp in milliseconds")))?;
            Some(timestamp_from_millis(ms))
        }
    };
    if let Some(extra) = parts.next() {
        let at = value_at + trimmed.rfind(extra).unwrap_or(0);
        return Err((at, format!("unexpected `{extra}` after the sample")));
    }
    Ok(Record {
        caller: client,
        callee: server,
        api: None,
        count: count.round() as u64,
        last_seen,
        line: None,
    })
}

/// Parses `name="value",...}` from byte `start` (just after `{`); returns the labels with the
/// byte offset of each value, and the offset just after `}`.
#[allow(clippy::type_complexity)]
fn labels(
    line: &str,
    start: usize,
) -> Result<(Vec<(String, String, usize)>, usize), (usize, String)> {
    let bytes = line.as_bytes();
    let mut pos = start;
    let mut out = Vec::new();
    let skip_ws = |mut p: usize| {
        while p < bytes.len() && (bytes[p] == b' ' || bytes[p] == b'\t') {
            p += 1;
        }
        p
    };
    loop {
        pos = skip_ws(pos);
        match bytes.get(pos) {
            None => return Err((pos, "unclosed `{`: labels end with `}`".into())),
            Some(b'}') => return Ok((out, pos + 1)),
            _ => {}
        }
        let name_start = pos;
        while pos < bytes.len() && (bytes[pos].is_ascii_alphanumeric() || bytes[pos] == b'_') {
            pos += 1;
        }
        if pos == name_start {
            return Err((pos, "expected a label name".into()));
        }
        let name = line[name_start..pos].to_string();
        pos = skip_ws(pos);
        if bytes.get(pos) != Some(&b'=') {
            return Err((pos, format!("expected `=` after label `{name}`")));
        }
        pos = skip_ws(pos + 1);
        if bytes.get(pos) != Some(&b'"') {
            return Err((pos, format!("the value of label `{name}` must be quoted")));
        }
        let value_at = pos;
        pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = line[pos..].chars().next() else {
                return Err((value_at, format!("unterminated value of label `{name}`")));
            };
            pos += c.len_utf8();
            match c {
                '"' => break,
                '\\' => {
                    let Some(e) = line[pos..].chars().next() else {
                        return Err((pos, "unterminated escape".into()));
                    };
                    pos += e.len_utf8();
                    match e {
                        'n' => value.push('\n'),
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        other => {
                            value.push('\\');
                            value.push(other);
                        }
                    }
                }
                c => value.push(c),
            }
        }
        out.push((name, value, value_at));
        pos = skip_ws(pos);
        match bytes.get(pos) {
            Some(b',') => pos += 1,
            Some(b'}') => {}
            _ => return Err((pos, "expected `,` or `}` after a label".into())),
        }
    }
}

impl Record {
    fn with_line(mut self, line: u32) -> Record {
        self.line = Some(line);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_request_counter_only() {
        let text = "\
# HELP traces_service_graph_request_total Total count of requests between two nodes
# TYPE traces_service_graph_request_total counter
traces_service_graph_request_total{client=\"app\",server=\"db\",connection_type=\"database\"} 20
traces_service_graph_request_failed_total{client=\"app\",server=\"db\",connection_type=\"database\"} 2
otelcol_traces_service_graph_request_total{ server=\"b\" , client=\"a \\\"x\\\"\", } 2.0e+01 1476374248550
up 1
";
        let r = parse(text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].caller.as_str(), r[0].callee.as_str(), r[0].count),
            ("app", "db", 20)
        );
        assert_eq!(r[0].line, Some(3));
        assert_eq!(r[1].caller, "a \"x\"");
        assert_eq!(r[1].count, 20);
        assert_eq!(r[1].last_seen.as_deref(), Some("2016-10-13T15:57:28Z"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases = [
            (
                "traces_service_graph_request_total{client=\"a\"} 1",
                1,
                "both `client` and `server`",
            ),
            (
                "\n\ntraces_service_graph_request_total{client=\"a\",server=\"b\"} lots",
                3,
                "not a request count",
            ),
            (
                "traces_service_graph_request_total{client=\"a\",server=\"b\"} -1",
                1,
                "not a request count",
            ),
            (
                "traces_service_graph_request_total{client=\"a\",server=\"b} 1",
                1,
                "unterminated",
            ),
            (
                "traces_service_graph_request_total{client=a,server=\"b\"} 1",
                1,
                "must be quoted",
            ),
            (
                "traces_service_graph_request_total{client=\"a\",server=\"\"} 1",
                1,
                "empty server name",
            ),
            (
                "traces_service_graph_request_total{client=\"a\",server=\"b\"}",
                1,
                "needs a value",
            ),
            (
                "traces_service_graph_request_total{client=\"a\",server=\"b\"} 1 soon",
                1,
                "not a timestamp",
            ),
        ];
        for (text, line, msg) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text}");
            assert!(e.column.is_some(), "{text}");
            assert!(e.message.contains(msg), "{text}: {}", e.message);
        }
        let e = parse("traces_service_graph_request_total{client=\"a\",server=\"b\"} lots")
            .unwrap_err();
        assert_eq!(e.column, Some(59));
    }
}
