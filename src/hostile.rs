//! Generators of the hostile inputs of issue #21 ("a hostile committer"): each makes, at any
//! size, an input on which Cairn's work was worse than linear in the input (points 5 and 7) or
//! one the rendering budget is there for. One place for them, so the tests and the benchmark
//! run the same inputs: the tests at sizes that take seconds at most, checking what comes out
//! (`tests/it/check.rs`, `tests/it/web.rs`, `src/docs.rs`); `cargo bench --bench hostile` at
//! the sizes the issue quotes and twice those, failing when twice the input takes more than
//! three times as long. Nothing here reads or writes files.

/// A catalog file (about `3 * len` bytes) of names `len` bytes long: a team, an owner that
/// differs from it in one letter, a dependency that is not in the catalog. "Did you mean"
/// compared such names (the edit distance is length × length in time and memory: a 420 KB file
/// took 22 s); now no suggestion is given for or drawn from names over 128 bytes.
pub fn long_names(len: usize) -> String {
    let long = "a".repeat(len);
    format!(
        "kind: team\nname: t{long}\n---\n\
         kind: system\nname: app\nowner: t{long}b\ndepends_on: [x{long}]\n"
    )
}

/// A catalog file and an OpenAPI spec of `operations` operations (about 38 bytes each), whose
/// first operation the catalog also lists by hand: the spec's operations are merged into the
/// hand-listed endpoints (a linear search per operation made 40,000, 1.5 MB, take 100 s).
pub fn openapi_operations(operations: usize) -> (String, String) {
    let catalog = "kind: team\nname: t\n---\nkind: system\nname: app\nowner: t\n\
                   provides:\n  - name: api\n    version: 1\n    endpoints: [\"GET /op/0\"]\n    spec: spec.yaml\n"
        .to_string();
    let mut spec = String::from("openapi: 3.0.0\ninfo: { title: t, version: '1' }\npaths:\n");
    for i in 0..operations {
        spec.push_str(&format!("  /op/{i}: {{ get: {{ responses: {{}} }} }}\n"));
    }
    (catalog, spec)
}

/// `n` YAML documents of one line each and no `kind` (`---\na: 1\n`, 9 bytes): each is loaded
/// and skipped with a warning. 1,000,000 of them (9 MB) ran for minutes.
pub fn tiny_documents(n: usize) -> String {
    "---\na: 1\n".repeat(n)
}

/// `n` warnings in one file, each on its own line with its own text (`---\nw<i>: 1\n`: one
/// document without `kind` each, about 12 bytes): `cairn check` quotes each line under its
/// warning (finding each line from the top of the file made 80,000 warnings in 720 KB take 85 s).
pub fn many_warnings(n: usize) -> String {
    let mut s = String::with_capacity(n * 13);
    for i in 0..n {
        s.push_str(&format!("---\nw{i}: 1\n"));
    }
    s
}

/// The line of the `i`th warning of [`many_warnings`] (1-based), and its text.
pub fn many_warnings_line(i: usize) -> (u32, String) {
    (2 * i as u32 + 2, format!("w{i}: 1"))
}

/// Markdown of `n` nested blockquotes on one line (`>` x 40,000 took 5.6 s a view).
pub fn nested_quotes(n: usize) -> String {
    ">".repeat(n)
}

/// Markdown of `n` raw `<div>` tags (`<div>` x 40,000 took 4.9 s a view).
pub fn divs(n: usize) -> String {
    "<div>".repeat(n)
}

/// Markdown of `bytes` bytes of character references (`&amp;`: 4 MB took 7 s a view).
pub fn entities(bytes: usize) -> String {
    "&amp;".repeat(bytes / 5)
}

/// A settings file whose one glossary term is defined by `markdown` (a term of `>` x 40,000
/// made `/start` take 6.8 s).
pub fn glossary_settings(markdown: &str) -> String {
    // A JSON string is a YAML double-quoted scalar.
    let quoted = serde_json::to_string(markdown).unwrap_or_default();
    format!("kind: settings\nglossary:\n  Zebra: {quoted}\n")
}

/// Markdown of `n` headings of one text: each needs an anchor of its own (`# a` x 10,000,
/// 48 KB, took 4.5 s when each heading's search walked every earlier one).
pub fn same_headings(n: usize) -> String {
    "# a\n\n".repeat(n)
}

/// Markdown of `tables` tables of 2,000 columns, each with `rows` rows of one cell, which
/// pulldown-cmark pads to 2,000 cells (its first pass makes every padded cell: 10 such tables of
/// 140 rows, 80 KB, are 2.6 million cells).
pub fn padded_tables(tables: usize, rows: usize) -> String {
    let table = format!(
        "{}|\n{}|\n{}\n",
        "|a".repeat(2000),
        "|-".repeat(2000),
        "x\n".repeat(rows)
    );
    table.repeat(tables)
}

/// Markdown of lists nested `n` deep (`- - - ... x`): the sanitiser walks the open elements at
/// each (20,000 deep, 39 KB, took 5.9 s).
pub fn deep_lists(n: usize) -> String {
    format!("{}x\n", "- ".repeat(n))
}

/// Markdown of one raw HTML tag with `n` attributes: the sanitiser checks each against those
/// before it (40,000, 262 KB, took 0.5 s).
pub fn many_attributes(n: usize) -> String {
    let mut s = String::from("<p");
    for i in 0..n {
        s.push_str(&format!(" a{i}"));
    }
    s.push_str(">x</p>\n");
    s
}

/// Markdown of one paragraph of `n` no-break spaces: the sanitiser's serialiser looks ahead to
/// the end of the text at each (200,000 in a paragraph of 1.2 MB took 4 s).
pub fn no_break_spaces(n: usize) -> String {
    format!("a{}b\n", "\u{a0}".repeat(n))
}

/// A chain of `n` systems, each consuming the API of the one before (`s0 ← s1 ← … ← s<n-1>`):
/// the impact of a change to `s0` reaches every one, the last through all the others. Naming
/// every system of every "why" path was quadratic: 209 MB of JSON for a chain of 5,000.
pub fn chain(n: usize) -> String {
    let mut y = String::from(
        "kind: team\nname: t\n---\nkind: system\nname: s0\nowner: t\nprovides:\n  - name: api\n    version: 1\n",
    );
    for i in 1..n {
        y.push_str(&format!(
            "---\nkind: system\nname: s{i}\nowner: t\nconsumes: [s{}/api@1]\nprovides:\n  - name: api\n    version: 1\n",
            i - 1
        ));
    }
    y
}
