//! FROM_UNQUOTED_COMMA: the From header has a bare comma in the display name ("Temu, jehd
//! <x@…>", "Microsoft account team ,_<x@…>"). RFC 5322 §3.4 (and RFC 822 before it) makes
//! that a list of two mailboxes, the first one without an address; a mail client quotes a
//! name with a comma (`"Doe, Jane" <jane@…>`). Bulk tools that paste a brand in front of a
//! rented address get it wrong.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "FROM_UNQUOTED_COMMA";
pub const POINTS: f64 = 3.0;

/// `value` without quoted strings and comments (RFC 5322 §3.2.4, §3.2.2), escapes honoured.
fn unquoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let (mut quoted, mut depth, mut escaped) = (false, 0usize, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if !quoted && depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let Some(from) = v.header("from") else {
        return;
    };
    let bare = unquoted(from);
    let Some(angle) = bare.find('<') else {
        return;
    };
    let name = &bare[..angle];
    if name.contains(',') && !name.contains('@') {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            "The From display name has an unquoted comma (a broken mailbox list)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn a_bare_comma_in_the_name_is_a_hit() {
        assert_eq!(
            hit_names("From: Shop, promo <news@shop.example>\r\n\r\nx", check),
            [NAME]
        );
        assert_eq!(
            hit_names("From: Account team ,_<no-reply@x.example>\r\n\r\nx", check),
            [NAME]
        );
    }

    #[test]
    fn quoted_names_comments_and_address_lists_are_fine() {
        for raw in [
            "From: \"Doe, Jane\" <jane@example.org>\r\n\r\nx",
            "From: jane@example.org (Doe, Jane)\r\n\r\nx",
            "From: Jane Doe <jane@example.org>\r\n\r\nx",
            "From: jane@example.org, Bob <bob@example.org>\r\n\r\nx",
            "From: \"Doe \\\"J, \\\" Jane\" <jane@example.org>\r\n\r\nx",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
