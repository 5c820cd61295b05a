//! The plain formats for everything else (access logs, API gateways, scripts' own reports):
//! CSV rows `caller,callee[,api][,count][,last_seen]` and JSON Lines objects with the same keys.
//!
//! CSV: blank lines and lines starting with `#` are skipped; fields may be double-quoted (`""`
//! inside quotes is a quote). A first row with a field named `caller` is a header and fixes the
//! columns (any order; `caller` and `callee` required). Without a header the optional fields
//! are recognised by shape: a whole number is the count, an ISO 8601 date is `last_seen`,
//! anything else the API. A row without a count counts 1, so raw log lines sum up naturally.
//! JSON Lines: one object per line; keys other than the five are ignored (log lines carry many).

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

pub(super) fn parse_csv(text: &str) -> Result<Vec<Record>, ParseError> {
    let mut header: Option<Vec<Column>> = None;
    let mut first = true;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let fields = split(raw).map_err(|(col, m)| ParseError::at(line_no, Some(col), m))?;
        if first {
            first = false;
            if fields
                .iter()
                .any(|f| f.1.trim().eq_ignore_ascii_case("caller"))
            {
                header = Some(
                    columns(&fields).map_err(|(col, m)| ParseError::at(line_no, Some(col), m))?,
                );
                continue;
            }
        }
        let r = match &header {
            Some(cols) => row_with_header(cols, &fields),
            None => row_by_shape(&fields),
        }
        .map_err(|(col, m)| ParseError::at(line_no, Some(col), m))?;
        out.push(Record {
            line: Some(line_no),
            ..r
        });
    }
    Ok(out)
}

/// Splits one CSV line into `(column, text)` pairs; `column` is the 1-based character position.
fn split(line: &str) -> Result<Vec<(u32, String)>, (u32, String)> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let mut col = 1u32;
    loop {
        let start = col;
        let mut field = String::new();
        // Leading spaces before a quote are allowed.
        while chars.peek() == Some(&' ') {
            chars.next();
            col += 1;
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            col += 1;
            loop {
                match chars.next() {
                    None => return Err((start, "unterminated quoted field".into())),
                    Some('"') => {
                        col += 1;
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            col += 1;
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some(c) => {
                        col += 1;
                        field.push(c);
                    }
                }
            }
            while chars.peek() == Some(&' ') {
                chars.next();
                col += 1;
            }
            match chars.peek() {
                None | Some(',') => {}
                Some(_) => return Err((col, "expected `,` after a quoted field".into())),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err((
                        col,
                        "a quote inside an unquoted field; quote the whole field".into(),
                    ));
                }
                field.push(c);
                chars.next();
                col += 1;
            }
        }
        out.push((start, field));
        match chars.next() {
            Some(',') => col += 1,
            _ => return Ok(out),
        }
    }
}

fn columns(fields: &[(u32, String)]) -> Result<Vec<Column>, (u32, String)> {
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
        return Err((1, "the header needs a `callee` column".into()));
    }
    if !cols.contains(&Column::Caller) {
        return Err((1, "the header needs a `caller` column".into()));
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
    fn set(&mut self, c: Column, col: u32, text: &str) -> Result<(), (u32, String)> {
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

fn row_with_header(cols: &[Column], fields: &[(u32, String)]) -> Result<Record, (u32, String)> {
    if fields.len() != cols.len() {
        let at = fields.get(cols.len()).map(|f| f.0).unwrap_or(1);
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

fn row_by_shape(fields: &[(u32, String)]) -> Result<Record, (u32, String)> {
    if !(2..=5).contains(&fields.len()) {
        let at = fields.get(5).map(|f| f.0).unwrap_or(1);
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
