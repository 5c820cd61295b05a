//! The globs of a source's `include:`: `*` and `?` inside one path segment, `**` for any
//! number of segments (`**/catalog-info.yaml`, `cairn/**/*.yaml`, `services/*/catalog-info.yaml`).

/// Whether `path` (`/`-separated, relative) matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern
        .trim_start_matches("./")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // ok[i][j]: pattern[i..] matches path[j..]; filled from the ends, so any number of `**`
    // costs (pattern segments × path segments) segment matches at most.
    let (np, ns) = (pattern.len(), path.len());
    let mut ok = vec![vec![false; ns + 1]; np + 1];
    ok[np][ns] = true;
    for i in (0..np).rev() {
        for j in (0..=ns).rev() {
            ok[i][j] = if pattern[i] == "**" {
                ok[i + 1][j] || (j < ns && ok[i][j + 1])
            } else {
                j < ns && ok[i + 1][j + 1] && segment(pattern[i].as_bytes(), path[j].as_bytes())
            };
        }
    }
    ok[0][0]
}

/// One segment: `*` any run of characters, `?` one character (on bytes: names are compared
/// as written). Iterative with one backtrack point, so linear-ish on hostile patterns.
fn segment(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_like_a_shell_with_double_star() {
        assert!(matches("**/catalog-info.yaml", "catalog-info.yaml"));
        assert!(matches("**/catalog-info.yaml", "a/b/catalog-info.yaml"));
        assert!(!matches(
            "**/catalog-info.yaml",
            "a/b/catalog-info.yaml.bak"
        ));
        assert!(matches("cairn/**/*.yaml", "cairn/x.yaml"));
        assert!(matches("cairn/**/*.yaml", "cairn/a/b/x.yaml"));
        assert!(!matches("cairn/**/*.yaml", "other/cairn/x.yaml"));
        assert!(matches(
            "./services/*/catalog-info.yaml",
            "services/pay/catalog-info.yaml"
        ));
        assert!(!matches(
            "services/*/catalog-info.yaml",
            "services/a/b/catalog-info.yaml"
        ));
        assert!(matches("*.y?ml", "x.yaml"));
        assert!(!matches("*.y?ml", "x.yamll"));
        assert!(!matches("*.yaml", "a/x.yaml"));
        assert!(matches("**", "a/b/c"));
    }

    #[test]
    fn hostile_patterns_stay_fast() {
        let p = format!("{}b", "*a".repeat(50));
        let s = "a".repeat(5000);
        assert!(!matches(&p, &s));
        let p = "**/".repeat(200) + "x";
        let s = "a/".repeat(300) + "y";
        assert!(!matches(&p, &s));
    }
}
