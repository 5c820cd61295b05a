//! The plain formats for everything else (access logs, API gateways, scripts' own reports):
//! CSV rows `caller,callee[,api][,count][,last_seen]` and JSON Lines objects with the same keys.
//!
//! CSV is split into records and fields by the `csv` crate (RFC 4180: a double-quoted field
//! may hold commas, line breaks and `""` for a quote). Blank lines and lines starting with `#`
//! (after any spaces) are skipped. A first row with a field named `caller` is a header and
//! fixes the columns (any order; `caller` and `callee` required). Without a header the optional
//! fields are recognised by shape: a whole number is the count, an ISO 8601 date is
//! `last_seen`, anything else the API. A row without a count counts 1, so raw log lines sum up
//! naturally. The csv crate accepts stray quotes silently; this module refuses them (a quote
//! inside an unquoted field, text after a closing quote, a quote never closed), and locates
//! every error at the line and character column of its field, also in a record spanning lines.
//! JSON Lines: one object per line; keys other than the five are ignored (log lines carry many).

use csv::StringRecord;
use serde::Deserialize;

use super::{check_name, check_timestamp, Name, ParseError, Record, Stamp};

const COLUMNS: [&str; 5] = ["caller", "callee", "api", "count", "last_seen"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Caller,
    Callee,
    Api,
    Count,
    LastSeen,
}

/// Where a field starts: 1-based line and character column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    line: u32,
    col: u32,
}

/// One field's text (quotes removed) and where it starts.
type Field = (Loc, String);

/// An error at a field.
type FieldError = (Loc, String);

fn located((at, m): FieldError) -> ParseError {
    ParseError::at(at.line, Some(at.col), m)
}

pub(super) fn parse_csv(text: &str) -> Result<Vec<Record>, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut record = StringRecord::new();
    let mut header: Option<Vec<Column>> = None;
    let mut first = true;
    let mut out = Vec::new();
    loop {
        let start = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(start.line(), |p| p.line());
                return Err(ParseError::at(line as u32, None, e.to_string()));
            }
        }
        let end = reader.position().byte();
        // The record's own text: what the reader consumed, less the blank lines and `#`
        // comments it skipped before the record.
        let consumed = text
            .get(start.byte() as usize..end as usize)
            .unwrap_or_default();
        let (skipped, raw) = skip_blank_and_comment_lines(consumed);
        let at = Loc {
            line: (start.line() as u32).saturating_add(skipped),
            col: 1,
        };
        if raw.trim().is_empty() {
            continue;
        }
        // A `#` comment after leading spaces, which the csv reader reads as a row.
        if raw.trim_start().starts_with('#') {
            if raw.trim_end().contains('\n') {
                return Err(located((
                    at,
                    "a quote in this comment line starts a field that runs past the line; \
                     start the comment with `#` in the first column"
                        .into(),
                )));
            }
            continue;
        }
        let fields = locate_fields(raw, at, &record).map_err(located)?;
        if first {
            first = false;
            if fields
                .iter()
                .any(|f| f.1.trim().eq_ignore_ascii_case("caller"))
            {
                header = Some(columns(&fields, at).map_err(located)?);
                continue;
            }
        }
        let r = match &header {
            Some(cols) => row_with_header(cols, &fields, at),
            None => row_by_shape(&fields, at),
        }
        .map_err(located)?;
        out.push(Record {
            line: Some(at.line),
            ..r
        });
    }
    Ok(out)
}

/// Drops what the csv reader skips before a record (line breaks, and lines starting with `#`
/// in the first column); returns the number of lines dropped and the rest.
fn skip_blank_and_comment_lines(mut raw: &str) -> (u32, &str) {
    let mut lines = 0u32;
    loop {
        if let Some(rest) = raw.strip_prefix('\n') {
            lines += 1;
            raw = rest;
        } else if let Some(rest) = raw.strip_prefix('\r') {
            raw = rest;
        } else if raw.starts_with('#') {
            match raw.find('\n') {
                Some(i) => {
                    lines += 1;
                    raw = &raw[i + 1..];
                }
                None => return (lines, ""),
            }
        } else {
            return (lines, raw);
        }
    }
}

/// Pairs the csv reader's fields with where each starts in the record's text `raw` (which
/// starts at `at`), and refuses the quoting the reader lets through.
fn locate_fields(raw: &str, at: Loc, record: &StringRecord) -> Result<Vec<Field>, FieldError> {
    let mut cursor = Cursor {
        raw,
        offset: 0,
        loc: at,
    };
    let mut out = Vec::with_capacity(record.len());
    let mut offset = 0usize;
    for value in record {
        let here = cursor.at(offset);
        let rest = raw.get(offset..).unwrap_or_default();
        let next = if let Some(quoted) = rest.strip_prefix('"') {
            let close = closing_quote(quoted).ok_or((here, "unterminated quoted field".into()))?;
            let after = offset + 1 + close + 1;
            let tail = raw.get(after..).unwrap_or_default();
            let spaces = tail.len() - tail.trim_start_matches(' ').len();
            if !tail[spaces..].is_empty() && !tail[spaces..].starts_with([',', '\r', '\n']) {
                return Err((
                    cursor.at(after + spaces),
                    "expected `,` after a quoted field".into(),
                ));
            }
            out.push((here, value.to_string()));
            after + spaces
        } else {
            let text = unquoted(value).map_err(|(i, m)| (cursor.at(offset + i), m))?;
            out.push((here, text));
            offset + value.len()
        };
        offset = next + 1;
    }
    Ok(out)
}

/// Line and column of byte offsets in a record's text, asked for in increasing order: one
/// pass over the record however many fields it has.
struct Cursor<'a> {
    raw: &'a str,
    offset: usize,
    loc: Loc,
}

impl Cursor<'_> {
    fn at(&mut self, offset: usize) -> Loc {
        if let Some(step) = self.raw.get(self.offset..offset) {
            for c in step.chars() {
                if c == '\n' {
                    self.loc.line = self.loc.line.saturating_add(1);
                    self.loc.col = 1;
                } else {
                    self.loc.col = self.loc.col.saturating_add(1);
                }
            }
            self.offset = offset;
        }
        self.loc
    }
}

/// The byte index, in the text after an opening quote, of the quote that closes the field
/// (`""` is a quote inside it).
fn closing_quote(quoted: &str) -> Option<usize> {
    let bytes = quoted.as_bytes();
    let mut i = 0;
    while let Some(j) = bytes[i..].iter().position(|&b| b == b'"') {
        let q = i + j;
        if bytes.get(q + 1) == Some(&b'"') {
            i = q + 2;
        } else {
            return Some(q);
        }
    }
    None
}

/// An unquoted field's text. A field quoted after leading spaces (` "x"`), which RFC 4180
/// leaves unquoted, is still read as quoted when it holds no comma or line break; any other
/// quote in an unquoted field is an error at the quote's byte index.
fn unquoted(value: &str) -> Result<String, (usize, String)> {
    let Some(q) = value.find('"') else {
        return Ok(value.to_string());
    };
    let lead = value.len() - value.trim_start_matches(' ').len();
    if q == lead {
        let body = value[lead..].trim_end_matches(' ');
        if let Some(inner) = body
            .strip_prefix('"')
            .and_then(|b| b.strip_suffix('"'))
            .filter(|i| !i.replace("\"\"", "").contains('"'))
        {
            return Ok(inner.replace("\"\"", "\""));
        }
        return Err((
            q,
            "a quote inside an unquoted field; quote the whole field, with no space before \
             the opening quote"
                .into(),
        ));
    }
    Err((
        q,
        "a quote inside an unquoted field; quote the whole field".into(),
    ))
}

fn columns(fields: &[Field], row: Loc) -> Result<Vec<Column>, FieldError> {
    let mut cols = Vec::new();
    for (col, name) in fields {
        let n = name.trim().to_ascii_lowercase();
        let c = match n.as_str() {
            "caller" => Column::Caller,
            "callee" => Column::Callee,
            "api" => Column::Api,
            "count" => Column::Count,
            "last_seen" => Column::LastSeen,
            _ => {
                let hint = crate::diag::did_you_mean(&n, COLUMNS)
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                return Err((
                    *col,
                    format!(
                        "unknown column `{}` (columns: {}){hint}",
                        name.trim(),
                        COLUMNS.join(", ")
                    ),
                ));
            }
        };
        if cols.contains(&c) {
            return Err((*col, format!("column `{n}` appears twice")));
        }
        cols.push(c);
    }
    if !cols.contains(&Column::Callee) {
        return Err((row, "the header needs a `callee` column".into()));
    }
    if !cols.contains(&Column::Caller) {
        return Err((row, "the header needs a `caller` column".into()));
    }
    Ok(cols)
}

#[derive(Default)]
struct Partial {
    caller: Option<String>,
    callee: Option<String>,
    api: Option<String>,
    count: Option<u64>,
    last_seen: Option<String>,
}

impl Partial {
    fn set(&mut self, c: Column, col: Loc, text: &str) -> Result<(), FieldError> {
        let t = text.trim();
        match c {
            Column::Caller => self.caller = Some(check_name(t, "caller").map_err(|m| (col, m))?),
            Column::Callee => self.callee = Some(check_name(t, "callee").map_err(|m| (col, m))?),
            Column::Api if t.is_empty() => {}
            Column::Api => self.api = Some(check_name(t, "API").map_err(|m| (col, m))?),
            Column::Count if t.is_empty() => {}
            Column::Count => {
                self.count = Some(t.parse().map_err(|_| {
                    (
                        col,
                        format!("`{t}` is not a count (a whole number, 0 or more)"),
                    )
                })?)
            }
            Column::LastSeen if t.is_empty() => {}
            Column::LastSeen => self.last_seen = Some(check_timestamp(t).map_err(|m| (col, m))?),
        }
        Ok(())
    }

    fn record(self) -> Record {
        Record {
            caller: self.caller.unwrap_or_default(),
            callee: self.callee.unwrap_or_default(),
            api: self.api,
            count: self.count.unwrap_or(1),
            last_seen: self.last_seen,
            line: None,
        }
    }
}

fn row_with_header(cols: &[Column], fields: &[Field], row: Loc) -> Result<Record, FieldError> {
    if fields.len() != cols.len() {
        let at = fields.get(cols.len()).map_or(row, |f| f.0);
        return Err((
            at,
            format!(
                "expected {} fields as in the header, found {}",
                cols.len(),
                fields.len()
            ),
        ));
    }
    let mut p = Partial::default();
    for (c, (col, text)) in cols.iter().zip(fields) {
        p.set(*c, *col, text)?;
    }
    Ok(p.record())
}

fn row_by_shape(fields: &[Field], row: Loc) -> Result<Record, FieldError> {
    if !(2..=5).contains(&fields.len()) {
        let at = fields.get(5).map_or(row, |f| f.0);
        return Err((
            at,
            format!(
                "expected 2 to 5 fields (caller,callee[,api][,count][,last_seen]), found {}",
                fields.len()
            ),
        ));
    }
    let mut p = Partial::default();
    p.set(Column::Caller, fields[0].0, &fields[0].1)?;
    p.set(Column::Callee, fields[1].0, &fields[1].1)?;
    for (col, text) in &fields[2..] {
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        let c = if t.bytes().all(|b| b.is_ascii_digit()) {
            Column::Count
        } else if t.len() >= 10
            && t.as_bytes()[4] == b'-'
            && t.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        {
            Column::LastSeen
        } else {
            Column::Api
        };
        let taken = match c {
            Column::Count => p.count.is_some(),
            Column::LastSeen => p.last_seen.is_some(),
            _ => p.api.is_some(),
        };
        if taken {
            return Err((
                *col,
                format!("`{t}` repeats a field; add a header line to name the columns"),
            ));
        }
        p.set(c, *col, t)?;
    }
    Ok(p.record())
}

#[derive(Deserialize)]
struct JsonRecord {
    caller: Name,
    callee: Name,
    #[serde(default)]
    api: Option<String>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    last_seen: Option<Stamp>,
}

pub(super) fn parse_jsonl(text: &str) -> Result<Vec<Record>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let r: JsonRecord = serde_json::from_str(raw).map_err(|e| {
            let msg = ParseError::json(&e).message;
            ParseError::at(line_no, Some(e.column().max(1) as u32), msg)
        })?;
        let api = match r.api.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(check_name(a, "API").map_err(|m| ParseError::at(line_no, None, m))?),
        };
        out.push(Record {
            caller: r.caller.0,
            callee: r.callee.0,
            api,
            count: r.count.unwrap_or(1),
            last_seen: r.last_seen.map(|s| s.0),
            line: Some(line_no),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (String, String, Option<String>, u64, Option<String>);

    fn rows(text: &str) -> Vec<Row> {
        parse_csv(text)
            .unwrap()
            .into_iter()
            .map(|r| (r.caller, r.callee, r.api, r.count, r.last_seen))
            .collect()
    }

    #[test]
    fn csv_by_shape_and_with_header() {
        let r = rows(
            "# exported\n\na,b\na,b,12\n\"x, y\",b,api@2,3,2026-11-20\nc,d,2026-01-02T03:04:05Z\n",
        );
        assert_eq!(r[0], ("a".into(), "b".into(), None, 1, None));
        assert_eq!(r[1].3, 12);
        assert_eq!(
            r[2],
            (
                "x, y".into(),
                "b".into(),
                Some("api@2".into()),
                3,
                Some("2026-11-20".into())
            )
        );
        assert_eq!(r[3].4.as_deref(), Some("2026-01-02T03:04:05Z"));
        let r = rows("callee,count,caller\npkgdb,7,script\n");
        assert_eq!(r[0], ("script".into(), "pkgdb".into(), None, 7, None));
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        for (text, line, col, msg) in [
            ("a,b\nonly-one\n", 2, 1, "expected 2 to 5 fields"),
            ("a,b,1,2\n", 1, 7, "repeats a field"),
            ("caller,calee\n", 1, 8, "did you mean `callee`?"),
            ("caller,callee,count\na,b,many\n", 2, 5, "not a count"),
            ("caller,callee\na,b,c\n", 2, 5, "expected 2 fields"),
            ("a,\"b\n", 1, 3, "unterminated"),
            ("a,b\"c\n", 1, 4, "quote inside"),
            (",b\n", 1, 1, "empty caller"),
            ("a,b,2026-13-45\n", 1, 5, "not a date"),
        ] {
            let e = parse_csv(text).unwrap_err();
            assert_eq!(
                (e.line, e.column),
                (Some(line), Some(col)),
                "{text:?}: {}",
                e.message
            );
            assert!(e.message.contains(msg), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn csv_quoted_fields_hold_commas_quotes_and_line_breaks() {
        let text = "caller,callee,api,count\n\
                    \"web, eu\",pkgdb,\"api@2\",3\n\
                    \"the \"\"old\"\" script\",pkgdb,,1\n\
                    \"exported\nwith a line break\",pkgdb,\"\napi@3\n\",2\n\
                    # a comment after a record that spanned lines\n\
                    \n\
                    cron,pkgdb,,4\n";
        // A line break inside quotes is part of the field: it no longer ends the row. Names
        // are trimmed but hold no control character, so a break inside one is an error at
        // its line; one at the edge of a field is trimmed away.
        let e = parse_csv(text).unwrap_err();
        assert_eq!((e.line, e.column), (Some(4), Some(1)), "{}", e.message);
        assert!(e
            .message
            .contains("caller name contains a control character"));
        let text = text.replace("exported\nwith a line break", "exported");
        let got: Vec<_> = parse_csv(&text)
            .unwrap()
            .into_iter()
            .map(|r| (r.caller, r.api, r.count, r.line))
            .collect();
        let row = |c: &str, a: Option<&str>, n, l| (c.to_string(), a.map(String::from), n, Some(l));
        assert_eq!(
            got,
            [
                row("web, eu", Some("api@2"), 3, 2),
                row("the \"old\" script", None, 1, 3),
                row("exported", Some("api@3"), 2, 4),
                row("cron", None, 4, 9),
            ]
        );
        // Without a header: CRLF line ends, a quote after leading spaces, an indented comment.
        let r = rows("a,b\r\n  # note: \"quoted\"\r\nc, \"d\" ,7\r\n\"e\r\n\",g\r\n");
        assert_eq!(r[0], ("a".into(), "b".into(), None, 1, None));
        assert_eq!(r[1], ("c".into(), "d".into(), None, 7, None));
        assert_eq!((r[2].0.as_str(), r[2].1.as_str()), ("e", "g"));
    }

    #[test]
    fn csv_errors_after_a_field_spanning_lines_have_the_right_line() {
        for (text, line, col, msg) in [
            // The line breaks are inside the quotes: the repeated field is on line 3.
            ("a,b,\"\napi@2\n\",many more\n", 3, 3, "repeats a field"),
            ("\"a\n\",c\nd\n", 3, 1, "expected 2 to 5 fields"),
            (
                "caller,callee\n\"a\n\",c\nd,e,f\n",
                4,
                5,
                "expected 2 fields",
            ),
            (
                "caller,callee,count\n\"a\",\"b\n\",x\n",
                3,
                3,
                "not a count",
            ),
            (
                "a,b\n\"two\nlines\",c\n",
                2,
                1,
                "caller name contains a control",
            ),
            ("a,b\n\"a\"x,b\n", 2, 4, "expected `,` after a quoted field"),
            ("a,b\nc,\"d\ne,f\n", 2, 3, "unterminated"),
            (
                "a,b\nc, \"d, e\"\n",
                2,
                4,
                "no space before the opening quote",
            ),
            ("a,b\n  # x,\"y\nz\",w\n", 2, 1, "comment"),
        ] {
            let e = parse_csv(text).unwrap_err();
            assert_eq!(
                (e.line, e.column),
                (Some(line), Some(col)),
                "{text:?}: {}",
                e.message
            );
            assert!(e.message.contains(msg), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn wide_rows_are_located_in_one_pass() {
        // 200,000 fields on one line: locating them must not be quadratic.
        let e = parse_csv(&"a,".repeat(200_000)).unwrap_err();
        assert_eq!((e.line, e.column), (Some(1), Some(11)));
        assert!(e.message.contains("found 200001"), "{}", e.message);
    }

    #[test]
    fn jsonl() {
        let r = parse_jsonl("{\"caller\":\"a\",\"callee\":\"b\",\"count\":3,\"status\":200}\n\n{\"caller\":\"a\",\"callee\":\"b\",\"last_seen\":\"2026-11-20\"}\n").unwrap();
        assert_eq!((r[0].count, r[1].count, r[1].line), (3, 1, Some(3)));
        let e =
            parse_jsonl("{\"caller\":\"a\",\"callee\":\"b\"}\n{\"caller\":\"a\"}\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("callee"), "{}", e.message);
        let e = parse_jsonl("{\"caller\":\"a\",\"callee\":\"b\",\"count\":-1}\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse_jsonl("not json\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
