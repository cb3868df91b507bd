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

#[cfg(test)]
mod tests {
    use super::*;

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
