//! Duplicate-name checks: systems, teams and domains declared twice, and ambiguous aliases.

use rustc_hash::FxHashMap as HashMap;

use crate::diag::Diagnostic;
use crate::model::*;

use super::validator::Validator;
use super::Duplicates;

impl<'a> Validator<'a> {
    pub(super) fn duplicates(&mut self, part: Duplicates) {
        let c = self.c;
        let dup = |what: &str, names: Vec<&Spanned<String>>, out: &mut Vec<Diagnostic>| {
            let mut first: HashMap<&str, Loc> = HashMap::default();
            for n in names {
                match first.get(n.value.as_str()) {
                    None => {
                        first.insert(&n.value, n.loc);
                    }
                    Some(prev) => {
                        let (f, l, col) = (c.file_path(n.loc.file), n.loc.line, n.loc.col);
                        out.push(
                            Diagnostic::error(
                                "duplicate-name",
                                f,
                                l,
                                col,
                                format!("duplicate {what} name `{}`", n.value),
                            )
                            .with_hint(format!(
                                "first declared at {}:{}:{}",
                                c.file_path(prev.file),
                                prev.line,
                                prev.col
                            )),
                        );
                    }
                }
            }
        };
        match part {
            Duplicates::Systems => {
                dup(
                    "system",
                    c.systems.iter().map(|s| &s.name).collect(),
                    &mut self.out,
                );
                return;
            }
            Duplicates::TeamsAndDomains => {}
            Duplicates::Aliases => return self.aliases(),
        }
        dup(
            "team",
            c.teams.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
        dup(
            "domain",
            c.domains.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
    }

    /// Aliases map traffic to systems: each must name exactly one system.
    fn aliases(&mut self) {
        let c = self.c;
        let mut alias_owner: HashMap<&str, &str> = HashMap::default();
        for s in &c.systems {
            for a in &s.aliases {
                if a.value == s.name.value {
                    continue;
                }
                if let Some(other) = c.system(&a.value) {
                    let msg = format!(
                        "alias `{}` of `{}` is the name of another system",
                        a.value, s.name.value
                    );
                    let hint = format!(
                        "`{}` is declared at {}:{}",
                        a.value,
                        c.file_path(other.name.loc.file),
                        other.name.loc.line
                    );
                    self.warning("ambiguous-alias", a.loc, msg).hint = Some(hint);
                } else if let Some(prev) = alias_owner.insert(&a.value, &s.name.value) {
                    if prev != s.name.value {
                        self.warning(
                            "ambiguous-alias",
                            a.loc,
                            format!(
                                "alias `{}` is used by both `{prev}` and `{}`",
                                a.value, s.name.value
                            ),
                        );
                    }
                }
            }
        }
    }
}
