//! Content and header tests, one family per file. Each `check` reads a [`MailView`] and
//! appends the [`RuleHit`]s that fire, with points in SpamAssassin's scale: no single test
//! reaches the default threshold of 5 by itself.
//!
//! How the points were chosen (as SpamAssassin does with its perceptron): a logistic
//! regression over the rule hits and Bayes bands of 5-fold cross-validation on the *train*
//! split only, scaled so its decision boundary falls at 5 points, then rounded to 0.1 and
//! capped at 2.5 per rule; rules that fired too rarely to be fitted keep a small hand value.

use super::message::MailView;
use super::score::RuleHit;

pub mod charset;
pub mod headers;
pub mod html;
pub mod links;
pub mod phrases;
pub mod subject;

/// Runs every content and header test.
pub fn check_all(view: &MailView, hits: &mut Vec<RuleHit>) {
    headers::check(view, hits);
    subject::check(view, hits);
    html::check(view, hits);
    links::check(view, hits);
    phrases::check(view, hits);
    charset::check(view, hits);
}

#[cfg(test)]
pub(crate) fn hit_names(raw: &str, check: fn(&MailView, &mut Vec<RuleHit>)) -> Vec<String> {
    let mut hits = Vec::new();
    check(&MailView::parse(raw.as_bytes()), &mut hits);
    hits.into_iter().map(|h| h.name).collect()
}
