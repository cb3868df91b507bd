//! Mail HTML is untrusted: it is cleaned with ammonia before it is stored, so nothing a sender
//! writes can run in an agent's browser.

/// Keeps formatting and links; drops scripts, event handlers, `javascript:` URLs, forms,
/// iframes and styles. Links open in a new tab without a referrer.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .clean(html)
        .to_string()
}

/// Whether a URL would be fetched from another host (`http:`, `https:`, `//host`).
fn is_remote(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    url.starts_with("http:") || url.starts_with("https:") || url.starts_with("//")
}

/// Mail HTML as shown before an agent asks for images: remote image sources removed, so
/// opening a message tells no tracking pixel who read it, when, or from which address. `None`
/// when the HTML has no remote image (nothing to hold back).
///
/// Applied when a message is shown, not when it is stored, so messages stored earlier are
/// covered too; the HTML is already sanitized, this only takes away.
pub fn without_remote_images(html: &str) -> Option<String> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let found = Arc::new(AtomicBool::new(false));
    let seen = found.clone();
    let blocked = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .attribute_filter(move |element, attribute, value| {
            if element == "img" && matches!(attribute, "src" | "srcset") && is_remote(value) {
                seen.store(true, Ordering::Relaxed);
                return None;
            }
            Some(value.into())
        })
        .clean(html)
        .to_string();
    found.load(Ordering::Relaxed).then_some(blocked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_images_are_held_back_until_asked_for() {
        let html = sanitize_html(
            r#"<p>Hi</p><img src="https://track.test/p.gif?u=1" width="1"><img src="//cdn.test/a.png" alt="logo"><img src="cid:part1" alt="inline"><a href="https://shop.test">shop</a>"#,
        );
        let blocked = without_remote_images(&html).expect("remote images found");
        assert!(!blocked.contains("track.test"), "{blocked}");
        assert!(!blocked.contains("cdn.test"), "{blocked}");
        assert!(blocked.contains(r#"alt="logo""#), "{blocked}");
        assert!(blocked.contains(r#"href="https://shop.test""#), "{blocked}");
        assert!(blocked.contains("<p>Hi</p>"));
        assert_eq!(without_remote_images("<p>no images</p>"), None);
        assert_eq!(without_remote_images(r#"<img src="cid:x">"#), None);
    }

    #[test]
    fn scripts_and_event_handlers_are_removed() {
        let dirty = r#"<p>Hi</p><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">x</a><svg onload="alert(4)"></svg><iframe src="https://evil.test"></iframe>"#;
        let clean = sanitize_html(dirty);
        assert!(clean.contains("<p>Hi</p>"), "{clean}");
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "javascript:",
            "onload",
            "<iframe",
        ] {
            assert!(!clean.contains(bad), "{bad} survived in {clean}");
        }
    }

    #[test]
    fn ordinary_formatting_survives() {
        let clean = sanitize_html(r#"<p><b>Order</b> <a href="https://shop.test/o/1">#1</a></p>"#);
        assert!(clean.contains("<b>Order</b>"));
        assert!(clean.contains(r#"href="https://shop.test/o/1""#));
        assert!(clean.contains("noopener"));
    }
}
