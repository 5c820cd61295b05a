//! The impact announcement as people send it: the form's fields, the mail preview, the
//! `mailto:` link, the `.eml` download and the CLI's `--format eml|md`.

use axum::body::Body;
use axum::http::Request;
use cairn::web::{router, AppState};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

fn get(uri: &str) -> (u16, String, String) {
    let dir = example_catalog();
    let st = AppState::new(load(&dir), &dir, Default::default()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let resp = router(st).oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
    })
}

const ASKED: &str =
    "target=pkgdb%2Fapi%402&at=2026-11-23&what=GET+%2Fapi%2Fcritpath+drops+%60branches%60\
                     &when=Monday+2026-11-23+09%3A00+UTC&why=Unused&contact=ops%40example.org";

#[test]
fn the_page_fills_a_mail_with_recipients_subject_and_the_senders_words() {
    let (status, _, html) = get(&format!("/impact?{ASKED}"));
    assert_eq!(status, 200);
    // The form keeps what was typed.
    assert!(
        html.contains(r#"name="what" value="GET /api/critpath drops `branches`""#),
        "{html}"
    );
    // The preview: every affected team's address, the subject, the sender's words.
    for a in [
        "infra-apps@example.org",
        "rel-eng@example.org",
        "qa@example.org",
    ] {
        assert!(
            html.contains(&format!(r#"<span class="mono">{a}</span>"#)),
            "{a}"
        );
    }
    assert!(html.contains(
        "<strong>Planned change to pkgdb/api@2 on Monday 2026-11-23 09:00 UTC: GET /api/critpath drops `branches`</strong>"
    ));
    assert!(html.contains("What changes: GET /api/critpath drops `branches`"));
    assert!(html.contains("or contact ops@example.org."));
    // A mail link with recipients, subject and body; downloads carry the same question.
    let mailto = html
        .split("href=\"mailto:")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a mailto link");
    assert!(
        mailto.starts_with("bugzilla-liaison@example.org,docs@example.org,"),
        "{mailto}"
    );
    assert!(
        mailto.contains("?subject=Planned%20change%20to%20pkgdb%2Fapi@2%20on%20Monday"),
        "{mailto}"
    );
    assert!(mailto.contains("&#38;body=Planned%20change"), "{mailto}");
    assert!(
        mailto.contains("too%20long%20for%20a%20mail%20link"),
        "shortened, and says so"
    );
    assert!(
        mailto.replace("&#38;", "&").len() <= 2000,
        "a mail link stays short: {}",
        mailto.len()
    );
    assert!(
        html.contains("href=\"/impact.eml?target=pkgdb/api@2&#38;at=2026-11-23&#38;what="),
        "{html}"
    );
    // Without the script the copy buttons are not shown (`hidden`, which the CSS lets win).
    assert_eq!(html.matches("data-copy=").count(), 2);
    assert_eq!(html.matches(" hidden>Copy the").count(), 2);
    let css = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/cairn.css"),
    )
    .unwrap();
    assert!(css.contains("[hidden] { display: none !important; }"));
}

#[test]
fn the_eml_download_is_a_draft_mail_with_crlf_lines_and_no_injected_headers() {
    let uri = format!("/impact.eml?{ASKED}&why=x%0D%0ABcc%3A+everyone%40corp.example");
    let (status, ctype, eml) = get(&uri);
    assert_eq!(status, 200);
    assert_eq!(ctype, "message/rfc822");
    let (head, body) = eml.split_once("\r\n\r\n").expect("head and body");
    assert!(
        head.starts_with("To: bugzilla-liaison@example.org,\r\n "),
        "{head}"
    );
    assert!(head.contains("\r\nX-Unsent: 1\r\n"));
    assert!(head.contains("\r\nContent-Type: text/plain; charset=utf-8"));
    assert!(
        !head.contains("Bcc:"),
        "a line break in a field never makes a header: {head}"
    );
    assert!(
        body.contains("Why: x Bcc: everyone@corp.example\r\n"),
        "{body}"
    );
    assert!(
        !eml.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
}

#[test]
fn the_cli_writes_the_same_announcement_as_eml_or_markdown() {
    let catalog = example_catalog();
    let args = [
        "--catalog",
        catalog.to_str().unwrap(),
        "impact",
        "pkgdb/api@2",
        "--at",
        "2026-11-23",
        "--what",
        "drops branches",
        "--when",
        "Monday",
        "--contact",
        "ops@example.org",
    ];
    let mut eml = args.to_vec();
    eml.extend(["--format", "eml"]);
    let (code, out, err) = cli(&eml);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("To: bugzilla-liaison@example.org,\n"),
        "{out}"
    );
    assert!(out.contains("Subject: Planned change to pkgdb/api@2 on Monday: drops branches\n"));
    insta::assert_snapshot!("announce-eml", out);
    let mut md = args.to_vec();
    md.extend(["--format", "md"]);
    let (_, out, _) = cli(&md);
    assert!(
        out.contains("**What changes:** drops branches  \n**When:** Monday  \n"),
        "{out}"
    );
    assert!(out.contains("contact **ops@example.org**"), "{out}");
    // Other commands refuse eml by name.
    let (code, _, err) = cli(&["--format", "eml", "show", "bodhi"]);
    assert_eq!(code, 2);
    assert!(err.contains("`show` cannot print eml output"), "{err}");
}
