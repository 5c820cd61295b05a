//! The impact announcement as a person sends it, with JavaScript on and off (issue #24): the
//! form fills a preview laid out as a mail, the `mailto:` link carries every address and the
//! subject, and the copy buttons exist only where a script can make them work.

use super::webdriver::Session;
use super::{browser_config, screenshot, start_server};

/// What the form is filled with.
const WHAT: &str = "GET /api/critpath drops the branches field";
const WHEN: &str = "Monday 2026-12-14, 09:00 UTC";
const WHY: &str = "The field has been empty since the move to dist-git";
const CONTACT: &str = "pingou@example.org";

#[test]
fn the_announcement_is_ready_to_send_with_javascript_on_and_off() {
    let base = format!("http://{}", start_server());
    for javascript in [true, false] {
        let mut cfg = browser_config();
        cfg.javascript = javascript;
        let browser = Session::start(&cfg);
        let js = if javascript { "on" } else { "off" };
        browser.goto(&format!(
            "{base}/impact?target=pkgdb%2Fapi%402&endpoint=GET+%2Fapi%2Fcritpath"
        ));
        for (id, text) in [
            ("what", WHAT),
            ("when", WHEN),
            ("why", WHY),
            ("contact", CONTACT),
        ] {
            browser.find(&format!("#{id}")).send_keys(text);
        }
        browser
            .find("form.announce-form button[type=submit]")
            .click();
        browser.wait_for_url("what=");

        // The preview reads as a mail: recipients, a subject naming the change, the body.
        let head = browser.find("article.mail dl.mail-head").text();
        assert!(head.contains("@"), "JS {js}: no recipient address:\n{head}");
        assert!(head.contains("pkgdb/api@2"), "JS {js}: subject:\n{head}");
        let body = browser.find("article.mail .mail-body").text();
        for part in [WHAT, WHEN, WHY, CONTACT, "bodhi"] {
            assert!(
                body.contains(part),
                "JS {js}: the mail lacks {part:?}:\n{body}"
            );
        }
        assert!(
            !body.contains("**") && !body.contains("| ---"),
            "JS {js}: the mail body is Markdown, not text:\n{body}"
        );

        // "Write the mail": a mailto: link with every address and the subject, short enough
        // for mail clients (2,000 characters).
        let mailto = browser
            .find("a.button[href^=\"mailto:\"]")
            .attribute("href")
            .expect("a mailto link");
        assert!(
            mailto.len() <= 2000,
            "JS {js}: mailto is {} long",
            mailto.len()
        );
        assert!(mailto.contains("subject="), "{mailto}");
        for address in head
            .split([',', ' ', '\n'])
            .filter(|w| w.contains('@') && !w.contains('/'))
        {
            assert!(
                mailto.contains(address),
                "JS {js}: {address} not in {mailto}"
            );
        }

        // The text and Markdown to copy are there either way; the copy buttons only with a
        // script to run them.
        browser.find("details.copy-box summary").click();
        let plain = browser.find("#announcement-plain").property("value");
        assert!(plain.as_str().unwrap_or_default().contains(WHAT), "JS {js}");
        let markdown = browser.find("#announcement-text").property("value");
        assert!(
            markdown.as_str().unwrap_or_default().contains(WHAT),
            "JS {js}"
        );
        let buttons = browser.find_all("button[data-copy]");
        assert_eq!(buttons.len(), 2);
        for b in &buttons {
            assert_eq!(
                b.is_displayed(),
                javascript,
                "JS {js}: a copy button is {} ",
                if javascript { "hidden" } else { "shown" }
            );
        }
        if javascript {
            // Copying answers either way: on the clipboard, or a hint to copy by hand.
            let label = buttons[0].text();
            buttons[0].click();
            let after = browser.find("button[data-copy]").text();
            assert!(
                after == "Copied" || after == "Select the text and copy it",
                "copy button said {after:?} (was {label:?})"
            );
        }
        screenshot(&browser, &format!("impact-announcement-js-{js}"));
    }
}
