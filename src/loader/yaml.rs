//! YAML text → values plus a span tree. The only module that knows the YAML crates.
//!
//! serde_yaml parses (it is the validating parser and the one whose errors users see); values it
//! returns carry no positions, so a second, event-level pass with yaml-rust2 builds a [`SpanNode`]
//! tree of the same shape whose nodes hold line and column. Converters walk both trees together,
//! so any later diagnostic (unknown reference, duplicate name) points at the offending value.
//! Before either parser runs, a linear pre-scan refuses pathological nesting, which makes
//! libyaml super-linear (100,000 levels take about a minute to fail).

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

pub use serde_yaml::Value;

/// 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// Positions of a parsed document, mirroring its value tree.
#[derive(Debug)]
pub enum SpanNode {
    Scalar(Pos),
    Alias(Pos),
    Seq(Pos, Vec<SpanNode>),
    /// Entries: key text (empty for complex keys), key position, value.
    Map(Pos, Vec<(String, Pos, SpanNode)>),
}

impl SpanNode {
    pub fn pos(&self) -> Pos {
        match self {
            SpanNode::Scalar(p) | SpanNode::Alias(p) | SpanNode::Seq(p, _) => *p,
            // A block mapping's start marker lands after its first key; the key is where it starts.
            SpanNode::Map(p, entries) => match entries.first() {
                Some((_, k, _)) if (k.line, k.col) < (p.line, p.col) => *k,
                _ => *p,
            },
        }
    }
}

/// One parsed document.
#[derive(Debug)]
pub struct Document {
    pub value: Value,
    /// `None` when the span pass disagreed with serde_yaml (positions then fall back to `start`).
    pub spans: Option<SpanNode>,
    pub start: Pos,
}

/// A syntax problem, located.
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Flow nesting (`[[[`) and block nesting (`- - -`, deep indentation) beyond these are refused.
const MAX_FLOW_DEPTH: usize = 64;
const MAX_BLOCK_COLUMN: usize = 512;

/// Parses every document in `text`. Empty and comment-only documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, SyntaxError> {
    parse(text, true)
}

/// [`parse_documents`] without the span pass: values only (`spans` is `None`, positions fall
/// back to the document's start). For text whose positions are never shown — an API
/// definition inline in a Backstage entity — it halves the parsing (docs/benchmarks.md).
pub fn parse_values(text: &str) -> Result<Vec<Document>, SyntaxError> {
    parse(text, false)
}

fn parse(text: &str, with_spans: bool) -> Result<Vec<Document>, SyntaxError> {
    if let Some(err) = prescan_nesting(text) {
        return Err(err);
    }
    let mut values = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        match <Value as serde::Deserialize>::deserialize(doc) {
            Ok(v) => values.push(v),
            Err(e) => {
                let pos = match e.location() {
                    Some(l) => Pos {
                        line: l.line() as u32,
                        col: l.column() as u32,
                    },
                    // serde_yaml's alias-expansion ("billion laughs") error has no location:
                    // point at the first alias instead.
                    None => first_alias(text).unwrap_or(Pos { line: 1, col: 1 }),
                };
                return Err(SyntaxError {
                    pos,
                    message: clean_message(&e.to_string()),
                });
            }
        }
    }
    let spans = if with_spans {
        span_documents(text)
    } else {
        None
    };
    let mut out = Vec::with_capacity(values.len());
    let mut spans_iter = spans.map(|s| s.into_iter());
    for value in values {
        let span = spans_iter.as_mut().and_then(|it| it.next());
        if value.is_null() {
            continue;
        }
        let start = span
            .as_ref()
            .map(|s| s.pos())
            .unwrap_or(Pos { line: 1, col: 1 });
        out.push(Document {
            value,
            spans: span,
            start,
        });
    }
    Ok(out)
}

/// serde_yaml's messages end with " at line X column Y"; the location is shown separately.
fn clean_message(msg: &str) -> String {
    let m = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    let m = m.trim_end_matches('.');
    if m.contains("repetition limit exceeded") {
        "too many alias expansions (a YAML \"billion laughs\" alias bomb?)".to_string()
    } else if m.contains("recursion limit exceeded") {
        "YAML nested too deeply".to_string()
    } else {
        format!("invalid YAML: {m}")
    }
}

/// A linear scan for nesting that would make the parser slow: deep flow collections and
/// long chains of block indentation or `- ` indicators.
fn prescan_nesting(text: &str) -> Option<SyntaxError> {
    let mut flow_depth = 0usize;
    for (lineno, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        // Block depth is bounded by the column where content starts (indentation and `- `).
        let mut col = 0;
        while col < bytes.len()
            && (bytes[col] == b' ' || (bytes[col] == b'-' && bytes.get(col + 1) == Some(&b' ')))
        {
            col += 1;
        }
        if col > MAX_BLOCK_COLUMN {
            return Some(SyntaxError {
                pos: Pos {
                    line: lineno as u32 + 1,
                    col: 1,
                },
                message: format!(
                    "YAML nested too deeply (content starts beyond column {MAX_BLOCK_COLUMN})"
                ),
            });
        }
        let mut quote: Option<u8> = None;
        for (i, &b) in bytes.iter().enumerate() {
            match (quote, b) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'#') if i == 0 || bytes[i - 1] == b' ' => break,
                (None, b'"') => quote = Some(b'"'),
                (None, b'\'') if flow_depth > 0 => quote = Some(b'\''),
                (None, b'[' | b'{') => {
                    flow_depth += 1;
                    if flow_depth > MAX_FLOW_DEPTH {
                        return Some(SyntaxError {
                            pos: Pos {
                                line: lineno as u32 + 1,
                                col: i as u32 + 1,
                            },
                            message: format!("YAML nested too deeply (more than {MAX_FLOW_DEPTH} levels of brackets)"),
                        });
                    }
                }
                (None, b']' | b'}') => flow_depth = flow_depth.saturating_sub(1),
                _ => {}
            }
        }
        if flow_depth == 0 {
            quote = None;
        }
        let _ = quote;
    }
    None
}

fn first_alias(text: &str) -> Option<Pos> {
    struct FirstAlias(Option<Pos>);
    impl MarkedEventReceiver for FirstAlias {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            if self.0.is_none() && matches!(ev, Event::Alias(_)) {
                self.0 = Some(to_pos(mark));
            }
        }
    }
    let mut r = FirstAlias(None);
    let _ = Parser::new_from_str(text).load(&mut r, true);
    r.0
}

fn to_pos(m: Marker) -> Pos {
    Pos {
        line: m.line() as u32,
        col: m.col() as u32 + 1,
    }
}

enum Frame {
    Seq(Pos, Vec<SpanNode>),
    Map(Pos, Vec<(String, Pos, SpanNode)>, Option<(String, Pos)>),
}

#[derive(Default)]
struct SpanBuilder {
    stack: Vec<Frame>,
    docs: Vec<SpanNode>,
    /// Scalar text of the node just completed, for map keys.
    last_scalar: Option<String>,
}

impl SpanBuilder {
    fn complete(&mut self, node: SpanNode, scalar: Option<String>) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => *pending = Some((scalar.unwrap_or_default(), node.pos())),
                Some((key, kpos)) => entries.push((key, kpos, node)),
            },
        }
    }
}

impl MarkedEventReceiver for SpanBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = to_pos(mark);
        match ev {
            Event::Scalar(s, ..) => {
                self.last_scalar = None;
                self.complete(SpanNode::Scalar(pos), Some(s));
            }
            Event::Alias(_) => self.complete(SpanNode::Alias(pos), None),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(pos, Vec::new())),
            Event::MappingStart(..) => self.stack.push(Frame::Map(pos, Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(p, items)) => SpanNode::Seq(p, items),
                    Some(Frame::Map(p, entries, _)) => SpanNode::Map(p, entries),
                    None => return,
                };
                self.complete(node, None);
            }
            _ => {}
        }
    }
}

/// One span tree per document, or `None` if the event parser failed where serde_yaml did not.
fn span_documents(text: &str) -> Option<Vec<SpanNode>> {
    let mut b = SpanBuilder::default();
    Parser::new_from_str(text).load(&mut b, true).ok()?;
    Some(b.docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_values() {
        let docs =
            parse_documents("kind: system\nname: bodhi\ntags:\n  - a\n  - b\n---\nkind: team\n")
                .unwrap();
        assert_eq!(docs.len(), 2);
        let SpanNode::Map(_, entries) = docs[0].spans.as_ref().unwrap() else {
            panic!("not a map")
        };
        assert_eq!(entries[1].0, "name");
        assert_eq!(entries[1].1, Pos { line: 2, col: 1 });
        assert_eq!(entries[1].2.pos(), Pos { line: 2, col: 7 });
        let SpanNode::Seq(_, items) = &entries[2].2 else {
            panic!()
        };
        assert_eq!(items[1].pos(), Pos { line: 5, col: 5 });
        assert_eq!(docs[1].start.line, 7);
    }

    #[test]
    fn empty_and_comment_only_are_not_errors() {
        assert!(parse_documents("").unwrap().is_empty());
        assert!(parse_documents("# just a comment\n").unwrap().is_empty());
        assert!(parse_documents("---\n---\n").unwrap().is_empty());
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse_documents("kind: system\nname: [unclosed\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
        assert!(e.pos.line >= 2, "{:?}", e.pos);
    }

    #[test]
    fn deep_nesting_is_refused_fast() {
        let deep = format!("tags: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse_documents(&deep).unwrap_err();
        assert!(e.message.contains("nested too deeply"));
        let dashes = "- ".repeat(100_000) + "x";
        assert!(parse_documents(&dashes)
            .unwrap_err()
            .message
            .contains("nested too deeply"));
    }
}
