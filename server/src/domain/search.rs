//! The conversation search box: free text, `from:`, `status:`, `spam:true|false`.

use app::models::ConversationStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words that must each appear in the subject, the contact's address or a message.
    pub words: Vec<String>,
    pub from: Option<String>,
    pub status: Option<ConversationStatus>,
    pub spam: Option<bool>,
}

impl SearchQuery {
    /// Never fails: an operator with an unknown value is searched as plain text, so a user
    /// typing `status:whatever` still gets results rather than an error.
    pub fn parse(input: &str) -> SearchQuery {
        let mut q = SearchQuery::default();
        for token in input.split_whitespace() {
            let lower = token.to_lowercase();
            if let Some(v) = lower.strip_prefix("from:").filter(|v| !v.is_empty()) {
                q.from = Some(v.to_string());
            } else if let Some(s) = lower
                .strip_prefix("status:")
                .and_then(ConversationStatus::parse)
            {
                q.status = Some(s);
            } else if let Some(b) = lower.strip_prefix("spam:").and_then(|v| match v {
                "true" | "yes" => Some(true),
                "false" | "no" => Some(false),
                _ => None,
            }) {
                q.spam = Some(b);
            } else {
                q.words.push(lower);
            }
        }
        q
    }

    /// True when nothing was typed.
    pub fn is_empty(&self) -> bool {
        *self == SearchQuery::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_words_are_separated() {
        let q = SearchQuery::parse("  Refund from:Bob@Example.com status:done spam:true  late ");
        assert_eq!(q.words, vec!["refund", "late"]);
        assert_eq!(q.from.as_deref(), Some("bob@example.com"));
        assert_eq!(q.status, Some(ConversationStatus::Done));
        assert_eq!(q.spam, Some(true));
    }

    #[test]
    fn unknown_operator_values_are_searched_as_text() {
        let q = SearchQuery::parse("status:maybe spam:perhaps from:");
        assert_eq!(q.status, None);
        assert_eq!(q.spam, None);
        assert_eq!(q.words, vec!["status:maybe", "spam:perhaps", "from:"]);
    }

    #[test]
    fn empty_input_is_an_empty_query() {
        assert_eq!(SearchQuery::parse("   "), SearchQuery::default());
    }
}
