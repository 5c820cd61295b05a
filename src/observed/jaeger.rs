//! Jaeger's dependency links: the `/api/dependencies` response (`{"data": [...], "errors": ...}`),
//! a bare list of links, or the storage document (`{"dependencies": [...], "timestamp": ...}`).
//! Each link is `{"parent", "child", "callCount"}`; Jaeger may repeat a pair, and the counts
//! are summed by the caller of this parser like every other record.

use serde::Deserialize;

use super::{Name, ParseError, Record, Stamp};

enum Document {
    Links(Vec<Link>),
    Response(Response),
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    data: Option<Vec<Link>>,
    #[serde(default)]
    dependencies: Option<Vec<Link>>,
    #[serde(default)]
    timestamp: Option<Stamp>,
    #[serde(default)]
    errors: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct Link {
    parent: Name,
    child: Name,
    #[serde(rename = "callCount")]
    call_count: u64,
}

pub(super) fn parse(text: &str) -> Result<Vec<Record>, ParseError> {
    // Pick the shape first: an untagged enum would lose serde_json's location on error.
    let is_list = text.trim_start().starts_with('[');
    let doc = if is_list {
        serde_json::from_str::<Vec<Link>>(text).map(Document::Links)
    } else {
        serde_json::from_str::<Response>(text).map(Document::Response)
    }
    .map_err(|e| ParseError::json(&e))?;
    let (links, stamp) = match doc {
        Document::Links(l) => (l, None),
        Document::Response(r) => {
            if let Some(errors) = r.errors.filter(|e| !e.is_empty()) {
                let msgs: Vec<String> = errors
                    .iter()
                    .map(|e| match e.get("msg").and_then(|m| m.as_str()) {
                        Some(m) => m.to_string(),
                        None => e.to_string(),
                    })
                    .collect();
                return Err(ParseError::whole(format!(
                    "Jaeger answered with errors: {}",
                    msgs.join("; ")
                )));
            }
            let mut links = r.data.unwrap_or_default();
            links.extend(r.dependencies.unwrap_or_default());
            (links, r.timestamp.map(|s| s.0))
        }
    };
    Ok(links
        .into_iter()
        .map(|l| Record {
            caller: l.parent.0,
            callee: l.child.0,
            api: None,
            count: l.call_count,
            last_seen: stamp.clone(),
            line: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, u64)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|r| (r.caller, r.callee, r.count))
            .collect()
    }

    #[test]
    fn shapes() {
        let api = r#"{"data":[{"parent":"killer","child":"queen","callCount":12}],"total":0,"limit":0,"offset":0,"errors":null}"#;
        assert_eq!(pairs(api), vec![("killer".into(), "queen".into(), 12)]);
        let bare = r#"[{"parent":"a","child":"b","callCount":1}]"#;
        assert_eq!(pairs(bare), vec![("a".into(), "b".into(), 1)]);
        let stored = r#"{"dependencies":[{"callCount":1,"child":"svcB","parent":"svcA"}],"timestamp":"2020-01-02T03:04:05Z"}"#;
        let r = parse(stored).unwrap();
        assert_eq!(r[0].last_seen.as_deref(), Some("2020-01-02T03:04:05Z"));
        assert!(parse(r#"{"data":null,"errors":null}"#).unwrap().is_empty());
    }

    #[test]
    fn errors_are_located() {
        let e =
            parse("{\"data\":[\n{\"parent\":\"a\",\"child\":\"\",\"callCount\":1}]}").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("empty service name"), "{}", e.message);
        let e = parse("{\"data\":[\n{\"parent\":\"a\",\"child\":\"b\",\"callCount\":-3}]}")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("{\"data\":[\n{\"parent\":\"a\",\"child\":\"b\"}]}").unwrap_err();
        assert!(e.message.contains("callCount"), "{}", e.message);
        let e = parse(r#"{"data":null,"errors":[{"code":500,"msg":"storage down"}]}"#).unwrap_err();
        assert!(e.message.contains("storage down"));
    }
}
