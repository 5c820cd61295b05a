//! Small text helpers every surface shares (CLI, reports, server log).

/// "1 system", "3 systems": `n` followed by the word that fits it.
pub fn plural<N: Copy + std::fmt::Display + TryInto<u64>>(n: N, one: &str, many: &str) -> String {
    let is_one = n.try_into().ok() == Some(1);
    format!("{n} {}", if is_one { one } else { many })
}

/// Our own text (with catalog names in backticks) made safe for one cell of a Markdown table:
/// a `|` would end the cell and a line break the row.
pub fn md_table_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A name made from free text: lower-case ASCII letters and digits, every other run of
/// characters one `-`, none at either end ("Bodhi Two" -> `bodhi-two`). For suggested names
/// (not heading anchors: [`crate::docs::slug`] keeps non-ASCII letters, as Markdown renderers do).
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_fits_the_word_to_the_number() {
        assert_eq!(plural(1usize, "team", "teams"), "1 team");
        assert_eq!(plural(0usize, "team", "teams"), "0 teams");
        assert_eq!(plural(2u64, "call", "calls"), "2 calls");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Bodhi Two"), "bodhi-two");
        assert_eq!(slug("  Koji!"), "koji");
        assert_eq!(slug("--a  b--"), "a-b");
    }

    #[test]
    fn a_table_cell_keeps_to_its_cell() {
        assert_eq!(md_table_cell("a|b\nc\r\nd"), "a\\|b c  d");
    }
}
