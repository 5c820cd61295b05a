//! The [`Validator`]: the diagnostics of a check, how it reports them, and its memo of
//! "did you mean" hints.

use rustc_hash::FxHashMap as HashMap;

use crate::diag::{did_you_mean, Diagnostic};
use crate::model::*;

pub(super) struct Validator<'a> {
    pub(super) c: &'a Catalog,
    pub(super) out: Vec<Diagnostic>,
    /// A check read the whole catalog (a typo hint over every name, the API references of
    /// every system): its result can change with any edit
    /// ([`validate_kept`](super::validate_kept)).
    pub(super) global: bool,
    /// "Did you mean" of each name not in the catalog, by the kind of name: a catalog whose
    /// owners live in an org directory names the same few absent groups thousands of times,
    /// and each hint reads every name.
    hints: HashMap<(&'static str, String), Option<String>>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(c: &'a Catalog) -> Validator<'a> {
        Validator {
            c,
            out: Vec::new(),
            global: false,
            hints: HashMap::default(),
        }
    }

    /// [`did_you_mean`] among the names `of` gives, once per (`kind`, `wanted`).
    pub(super) fn hint<I>(
        &mut self,
        kind: &'static str,
        wanted: &str,
        of: impl FnOnce() -> I,
    ) -> Option<String>
    where
        I: IntoIterator<Item = &'a str>,
    {
        if let Some(h) = self.hints.get(&(kind, wanted.to_string())) {
            return h.clone();
        }
        let h = did_you_mean(wanted, of());
        self.hints.insert((kind, wanted.to_string()), h.clone());
        h
    }

    fn at(&self, loc: Loc) -> (&'a str, u32, u32) {
        (self.c.file_path(loc.file), loc.line, loc.col)
    }

    pub(super) fn error(
        &mut self,
        code: &'static str,
        loc: Loc,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        let (f, l, col) = self.at(loc);
        self.out.push(Diagnostic::error(code, f, l, col, msg));
        self.out.last_mut().expect("pushed")
    }

    pub(super) fn warning(
        &mut self,
        code: &'static str,
        loc: Loc,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        let (f, l, col) = self.at(loc);
        self.out.push(Diagnostic::warning(code, f, l, col, msg));
        self.out.last_mut().expect("pushed")
    }

    /// A consumer still names something its provider no longer offers: an error, or a warning
    /// when the consumer acknowledged the break on that entry (`acknowledged: DATE`), so that a
    /// planned removal can land while the acknowledging consumer's file still mentions it.
    pub(super) fn broken_ref(
        &mut self,
        ack: Option<crate::date::Date>,
        code: &'static str,
        loc: Loc,
        msg: String,
    ) -> &mut Diagnostic {
        match ack {
            None => self.error(code, loc, msg),
            Some(d) => {
                let w = self.warning(
                    code,
                    loc,
                    format!("{msg} (the break is acknowledged until {d})"),
                );
                w.hint = Some("remove or update this entry once you have migrated".into());
                w
            }
        }
    }
}
