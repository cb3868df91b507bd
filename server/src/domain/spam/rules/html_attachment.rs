//! HTML_ATTACHMENT: an attached HTML or SVG file. Opened, it runs in the browser from the
//! local disk — a login page no URL filter or block list ever sees. People send documents,
//! pictures and archives; a web page as an attachment is a phishing kit's trick.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "HTML_ATTACHMENT";
pub const POINTS: f64 = 3.0;

const EXTENSIONS: &[&str] = &[
    ".htm", ".html", ".shtml", ".xhtml", ".svg", ".svgz", ".mht", ".mhtml",
];

fn is_web_page(content_type: &str, filename: &str) -> bool {
    let name = filename
        .trim()
        .trim_end_matches(['"', '\'', '.'])
        .to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| name.ends_with(e))
        || (!name.contains('.')
            && matches!(content_type, "image/svg+xml" | "application/xhtml+xml"))
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if let Some(a) = v
        .attachments
        .iter()
        .find(|a| is_web_page(&a.content_type, &a.filename))
    {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!(
                "An attached web page or SVG ({}) opens in the browser, out of reach of link checks",
                if a.filename.is_empty() { a.content_type.as_str() } else { a.filename.as_str() }
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    fn with_attachment(ctype: &str, name: &str) -> String {
        format!(
            "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --b\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n<html><body>x</body></html>\r\n--b--\r\n"
        )
    }

    #[test]
    fn html_and_svg_attachments_are_hits() {
        assert_eq!(
            hit_names(&with_attachment("text/html", "Invoice_0412.html"), check),
            [NAME]
        );
        assert_eq!(
            hit_names(
                &with_attachment("application/octet-stream", "Remittance.HTM"),
                check
            ),
            [NAME]
        );
        assert_eq!(
            hit_names(&with_attachment("image/svg+xml", "Voicemail.svg"), check),
            [NAME]
        );
    }

    #[test]
    fn documents_pictures_and_html_bodies_are_fine() {
        assert!(hit_names(&with_attachment("application/pdf", "invoice.pdf"), check).is_empty());
        assert!(hit_names(&with_attachment("image/png", "chart.png"), check).is_empty());
        let body = "Content-Type: text/html\r\n\r\n<p>hello</p>";
        assert!(hit_names(body, check).is_empty());
    }
}
