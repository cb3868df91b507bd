//! PASSWORD_FORM: the message itself holds a form with a password field. No mail client
//! should ask for a password inside a message, and no honest sender does: this is a login
//! page delivered as mail.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "PASSWORD_FORM";
pub const POINTS: f64 = 3.0;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if v.password_inputs > 0 {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            "The message contains a form asking for a password",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn a_password_field_is_a_hit() {
        let raw = "Content-Type: text/html\r\n\r\n<form action=\"https://x.example/p\"><input type=\"email\" name=u><INPUT TYPE=Password name=p></form>";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn a_search_or_subscribe_form_is_fine() {
        let raw = "Content-Type: text/html\r\n\r\n<form action=\"https://x.example/s\"><input type=text name=q><input type=submit></form>";
        assert!(hit_names(raw, check).is_empty());
    }
}
