//! The signed refresh request (`POST /api/v1/sources/{name}/refresh`): the push webhooks of
//! the common git hosts. GitHub, Gitea, Forgejo and Bitbucket sign the body with a shared
//! secret, `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`; GitLab sends the secret itself,
//! `X-Gitlab-Token: <secret>`. Both are compared in constant time. Without a configured secret
//! the endpoint is off.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether a request carrying these headers and this body is signed with `secret`.
pub fn verify(
    secret: &[u8],
    hub_signature_256: Option<&str>,
    gitlab_token: Option<&str>,
    body: &[u8],
) -> bool {
    if secret.is_empty() {
        return false;
    }
    if let Some(sig) = hub_signature_256 {
        let Some(hex) = sig.trim().strip_prefix("sha256=") else {
            return false;
        };
        let Some(expected) = from_hex(hex) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(body);
        return mac.verify_slice(&expected).is_ok();
    }
    if let Some(token) = gitlab_token {
        return constant_time_eq(token.as_bytes(), secret);
    }
    false
}

/// `sha256=<hex>` for `body`: what a git host sends (for tests and docs).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Equal bytes, in time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_signature_matches_the_documented_example() {
        // GitHub's documentation: secret "It's a Secret to Everybody", payload "Hello, World!".
        let sig = sign(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(verify(
            b"It's a Secret to Everybody",
            Some(&sig),
            None,
            b"Hello, World!"
        ));
        assert!(!verify(
            b"It's a Secret to Everybody",
            Some(&sig),
            None,
            b"Hello, World?"
        ));
        assert!(!verify(b"other", Some(&sig), None, b"Hello, World!"));
        assert!(!verify(b"s", Some("sha1=abcd"), None, b""));
        assert!(!verify(b"s", Some("sha256=zz"), None, b""));
        assert!(!verify(b"s", None, None, b""));
        assert!(
            !verify(b"", Some(&sign(b"", b"x")), None, b"x"),
            "no secret: off"
        );
    }

    #[test]
    fn gitlab_token_is_the_secret() {
        assert!(verify(b"tok", None, Some("tok"), b"{}"));
        assert!(!verify(b"tok", None, Some("toK"), b"{}"));
        assert!(!verify(b"tok", None, Some("to"), b"{}"));
    }
}
