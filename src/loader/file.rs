//! Reading the files a catalog is made of: one catalog file into its entities (text under the
//! size limit and valid UTF-8, YAML parsed, each document converted), and the same checked
//! text reads for the OpenAPI specs and docs the catalog names.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::document::{self, Entity};
use super::options::LoadOptions;
use super::walk::FoundFile;
use super::{node, openapi, read, settle, yaml};
use crate::diag::Diagnostic;
use crate::model::*;

/// What reading one catalog file gave.
pub(super) struct FileRead {
    pub(super) entities: Vec<Entity>,
    pub(super) diags: Vec<Diagnostic>,
    /// Files substituted into it (Backstage `$text`, ...): their change re-reads this one.
    pub(super) substituted: Vec<String>,
    /// Names it seems to declare when it does not parse ([`settle::recover_names`]).
    pub(super) recovered: Vec<String>,
}

pub(super) fn load_file(
    root: &Path,
    id: FileId,
    f: &FoundFile,
    opts: &LoadOptions,
    spec_reader: &(dyn Fn(&str) -> Result<Vec<Endpoint>, String> + Sync),
) -> FileRead {
    let failed = |d: Diagnostic, recovered: Vec<String>| FileRead {
        entities: Vec::new(),
        diags: vec![d],
        substituted: Vec::new(),
        recovered,
    };
    let text = match read_text(&f.full, f.stamp.size, opts) {
        Ok(t) => t,
        Err((line, col, msg)) => {
            let code = if msg.contains("limit") {
                "file-too-large"
            } else if msg.contains("UTF-8") {
                "invalid-utf8"
            } else {
                "unreadable"
            };
            return failed(Diagnostic::error(code, &f.rel, line, col, msg), Vec::new());
        }
    };
    let docs = match yaml::parse_documents(&text) {
        Ok(d) => d,
        Err(e) => {
            return failed(
                Diagnostic::error("yaml-syntax", &f.rel, e.pos.line, e.pos.col, e.message),
                settle::recover_names(&text),
            )
        }
    };
    let dir = f.rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut ctx = node::Ctx {
        file: id,
        file_path: &f.rel,
        dir,
        root,
        diags: Vec::new(),
        spec_reader,
        substituted: Vec::new(),
        max_file_size: opts.max_file_size,
    };
    let mut entities = Vec::new();
    for doc in &docs {
        let node = node::Node::new(&doc.value, doc.spans.as_ref(), doc.start);
        if let Some(e) = document::document(&mut ctx, node) {
            entities.push(e);
        }
    }
    FileRead {
        entities,
        diags: ctx.diags,
        substituted: ctx.substituted,
        recovered: Vec::new(),
    }
}

/// Reads a file as UTF-8 text under the size limit; the error is a located message.
pub(super) fn read_text(
    path: &Path,
    size_hint: u64,
    opts: &LoadOptions,
) -> Result<String, (u32, u32, String)> {
    if size_hint > opts.max_file_size {
        let e = read::ReadError::TooLarge {
            size: Some(size_hint),
            limit: opts.max_file_size,
        };
        return Err((1, 1, e.to_string()));
    }
    let mut bytes =
        read::read_regular(path, opts.max_file_size).map_err(|e| (1, 1, e.to_string()))?;
    // A UTF-8 byte-order mark (editors on Windows write one) is not part of the text.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let line_start = valid
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let col = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count() as u32
            + 1;
        (line, col, "file is not valid UTF-8".to_string())
    })
}

pub(super) fn read_spec(path: &Path, opts: &LoadOptions) -> Result<Vec<Endpoint>, String> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let text =
        read_text(path, size, opts).map_err(|(l, c, m)| format!("{m} (line {l}, column {c})"))?;
    openapi::endpoints(&text)
}

/// Reads every doc and runbook the systems name (paths were checked to stay inside the root
/// when converted); unreadable ones are left out, the converter already reported them.
pub(super) fn read_documents(
    root: &Path,
    c: &Catalog,
    opts: &LoadOptions,
) -> (
    std::collections::BTreeMap<String, Arc<str>>,
    std::collections::BTreeMap<String, String>,
) {
    let mut paths: Vec<&str> = c.systems.iter().flat_map(|s| c.doc_paths(s)).collect();
    paths.sort_unstable();
    paths.dedup();
    let read: Vec<(String, Arc<str>, Option<String>)> = paths
        .par_iter()
        .filter_map(|p| {
            let full = root.join(p);
            let size = std::fs::metadata(&full).ok()?.len();
            let text = read_text(&full, size, opts).ok()?;
            let as_text = crate::docs::shown_as_text(&text);
            Some((p.to_string(), Arc::from(text), as_text))
        })
        .collect();
    let mut docs = std::collections::BTreeMap::new();
    let mut as_text = std::collections::BTreeMap::new();
    for (p, text, why) in read {
        if let Some(why) = why {
            as_text.insert(p.clone(), why);
        }
        docs.insert(p, text);
    }
    (docs, as_text)
}

/// A warning at each declaration of a doc that is shown as plain text rather than rendered
/// (`doc-shown-as-text`), so the committer learns it at `cairn check`, not from a page.
pub(super) fn as_text_diagnostics(c: &Catalog) -> Vec<Diagnostic> {
    if c.documents_as_text.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in &c.systems {
        let runbook = s.runbook.iter().filter_map(|r| match &r.value {
            crate::model::DocRef::Path(p) => Some((p.as_str(), r.loc)),
            crate::model::DocRef::Url(_) => None,
        });
        for (path, loc) in s
            .docs
            .iter()
            .map(|d| (d.value.as_str(), d.loc))
            .chain(runbook)
        {
            if let Some(why) = c.documents_as_text.get(path) {
                out.push(
                    Diagnostic::warning(
                        "doc-shown-as-text",
                        c.file_path(loc.file),
                        loc.line,
                        loc.col,
                        format!("`{path}` is shown as plain text, not rendered: {why}"),
                    )
                    .with_hint(
                        "rendering Markdown like this would take more than linear time, or more work than its size allows; simplify it to have it rendered",
                    ),
                );
            }
        }
    }
    out
}
